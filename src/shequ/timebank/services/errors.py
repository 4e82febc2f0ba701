"""The time bank raises the project's one error type (``shequ.core.errors``)."""

from shequ.core.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError

__all__ = ["Conflict", "Forbidden", "Invalid", "NotFound", "ServiceError"]
