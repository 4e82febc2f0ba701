"""The one error type of the services, and how the API and pages show it.

A service raises a ``ServiceError`` (or Django's ``ValidationError`` for invalid input);
nobody registers handlers. ``shequ.api`` answers every ``ServiceError`` in the API's one
error shape, ``{"error": {"code", "message", "fields"}}`` with ``status``; pages show the
same error next to the form's fields or as a message above the page (``shequ.web.errors``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# The API's error code for each status, when an error names none of its own.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "timeout",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "throttled",
}


class ServiceError(Exception):
    """A refusal a user should see: ``status`` (HTTP), ``code``, ``message``, ``fields``.

    ``fields`` maps a field name to its messages, as a form's errors do; the message stays
    whole without them, for clients that show one line.
    """

    status = 400
    default_code = ""

    def __init__(
        self,
        message: str,
        code: str = "",
        *,
        fields: Mapping[str, Sequence[str]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self._message = message
        if status is not None:
            self.status = status
        self.code = code or self.default_code or STATUS_CODES.get(self.status, "error")
        self.fields = {name: [str(m) for m in msgs] for name, msgs in (fields or {}).items()}

    @property
    def message(self) -> str:
        """The message in English (for logs and tests)."""
        return self._message

    @property
    def text(self) -> str:
        """The message in the active language (a subclass may translate at display time)."""
        return self.message

    @property
    def api_code(self) -> str:
        """The code the API answers with."""
        return self.code


class Invalid(ServiceError):
    """Input that no state could accept: HTTP 422, naming the fields."""

    status = 422


class Forbidden(ServiceError):
    """The caller may not do this (another garage's device, no grant): HTTP 403."""

    status = 403


class NotFound(ServiceError):
    """No such object, or not one the caller may see: HTTP 404."""

    status = 404


class Conflict(ServiceError):
    """The request is valid but the state forbids it now (sold out, already paid …): HTTP 409."""

    status = 409


class Throttled(ServiceError):
    """Too many attempts, or too many at once: HTTP 429, with ``Retry-After`` when known."""

    status = 429

    def __init__(self, message: str, code: str = "", *, retry_after: int | None = None) -> None:
        super().__init__(message, code)
        self.retry_after = retry_after
