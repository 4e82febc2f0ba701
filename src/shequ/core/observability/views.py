"""``GET /metrics``: the Prometheus scrape, behind ``SHEQU_METRICS_TOKEN``.

No token configured: 404, the endpoint does not exist. A token configured: the scrape must
send ``Authorization: Bearer <token>``; a missing or wrong one gets 401 (compared in
constant time).
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from shequ.core.observability import metrics


@require_GET
def scrape(request: HttpRequest) -> HttpResponse:
    token = str(settings.METRICS_TOKEN or "")
    if not token:
        raise Http404("metrics are off (SHEQU_METRICS_TOKEN is not set)")
    if not authorised(request.META.get("HTTP_AUTHORIZATION", ""), token):
        response = HttpResponse("a bearer token is required\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    response = HttpResponse(metrics.render(), content_type=metrics.CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def authorised(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    # Compared even when the scheme is wrong: the time taken says nothing about the token.
    same = hmac.compare_digest(given.strip().encode(), token.encode())
    return same and scheme.lower() == "bearer"
