"""Per request: the request id, the metrics, and (``SHEQU_LOG_REQUESTS``) one log line."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from shequ.core.observability import metrics
from shequ.core.observability.context import METHOD, REQUEST_ID, request_id_from

log = logging.getLogger("shequ.request")

HEADER = "X-Request-ID"


class ObservabilityMiddleware:
    """Outermost: times the whole answer, whichever middleware gives it (static files too).

    The route label is the URL pattern that matched (``api/v1/flood/points/<int:point_id>``),
    never the path: no identifier or personal value reaches a label or the log, and the
    number of series stays bounded. The query string and the body are never read.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.log_requests = bool(settings.LOG_REQUESTS)
        self.static_url = str(settings.STATIC_URL)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        id_token = REQUEST_ID.set(request_id)
        method = request.method if request.method in KNOWN_METHODS else "other"
        method_token = METHOD.set(method)
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response.headers[HEADER] = request_id
            return response
        finally:
            seconds = time.perf_counter() - started
            route = self.route(request)
            metrics.observe_request(route, method, status, seconds)
            if self.log_requests:
                log.info(
                    "%s %s %s",
                    method,
                    route,
                    status,
                    extra={
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                        "user_id": user_id(request),
                    },
                )
            METHOD.reset(method_token)
            REQUEST_ID.reset(id_token)

    def route(self, request: HttpRequest) -> str:
        match = request.resolver_match
        if match is not None:
            return match.route or match.view_name or "unnamed"
        if request.path.startswith(self.static_url):
            return "static"
        return "unmatched"


# Any other method is counted as "other": a client cannot add series by inventing methods.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def user_id(request: HttpRequest) -> int | None:
    """The user's id when the request already loaded them (no session query for this)."""
    user = request.__dict__.get("_cached_user")
    return user.pk if user is not None and user.is_authenticated else None
