"""The parking API under /api/v1/parking/: operators, residents, staff, gates, payments.

No ``from __future__ import annotations`` in these modules: django-ninja reads the annotations.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse

from shequ.parking.api import gates, operator, resident, staff  # noqa: F401  (they add routes)
from shequ.parking.api.common import router
from shequ.parking.services.errors import Conflict, Throttled

__all__ = ["router"]


def register_error_handlers() -> None:
    """Conflicts (409) and throttling (429) in the API's one error shape."""
    from shequ.api import api, error_response

    def on_conflict(request: HttpRequest, exc: Any) -> HttpResponse:
        return error_response(request, 409, exc.code, exc.message)

    def on_throttled(request: HttpRequest, exc: Any) -> HttpResponse:
        return error_response(request, 429, "throttled", exc.message)

    api.add_exception_handler(Conflict, on_conflict)
    api.add_exception_handler(Throttled, on_throttled)


register_error_handlers()
