"""The errors of the Action API, each with CKAN's ``__type``, HTTP status and body."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


class ActionError(Exception):
    """An action refused; ``body()`` is the ``error`` object of CKAN's response envelope."""

    kind = "Internal Server Error"
    status = 500

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": self.message}


class NotFound(ActionError):
    kind, status = "Not Found Error", 404

    def body(self) -> dict[str, Any]:
        # CKAN: "Not found: <detail>"; ckanapi keeps what follows the first ": ".
        head = _("Not found")
        return {"__type": self.kind, "message": f"{head}: {self.message}" if self.message else head}


class NotAuthorized(ActionError):
    kind, status = "Authorization Error", 403

    def body(self) -> dict[str, Any]:
        head = _("Access denied")
        return {"__type": self.kind, "message": f"{head}: {self.message}" if self.message else head}


class Invalid(ActionError):
    """CKAN's ValidationError: the body names each field with its messages."""

    kind, status = "Validation Error", 409

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))
        self.fields = fields

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, **self.fields}


def invalid(field: str, message: str) -> Invalid:
    return Invalid({field: [message]})


class SearchQueryError(ActionError):
    kind, status = "Search Query Error", 400

    def body(self) -> dict[str, Any]:
        return {
            "__type": self.kind,
            "message": _("Search Query is invalid: %(error)s") % {"error": self.message},
        }


class BadRequest(ActionError):
    kind, status = "Bad Request", 400

    def body(self) -> dict[str, Any]:
        return {
            "__type": self.kind,
            "message": _("Bad request - %(error)s") % {"error": self.message},
        }
