"""The SensorThings API's refusals, in the project's one error shape."""

from __future__ import annotations

from shequ.core.errors import ServiceError


class BadRequest(ServiceError):
    """A request option or path the SensorThings API cannot answer: HTTP 400, naming it."""

    status = 400
    default_code = "sta_bad_request"


class Unauthenticated(ServiceError):
    """No credential, or one that is not valid: HTTP 401."""

    status = 401
    default_code = "unauthenticated"
