"""The big screen (大屏, 1920×1080) and the phone summary."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shequ.dashboard.services import screen, values
from shequ.dashboard.services.access import children, shown_at
from shequ.dashboard.views.common import scope_and_region

REFRESH_SECONDS = 30
SCREEN_ALERTS = 6  # as many as the column shows at 1920×1080


def _every(asked: str) -> int:
    """Seconds between refreshes: ``?every=`` (5 to 300) for a wall that wants it faster."""
    return min(300, max(5, int(asked))) if asked.isdigit() else REFRESH_SECONDS


@login_required
def big_screen(request: HttpRequest) -> HttpResponse:
    scope, region = scope_and_region(request)
    context = {
        "region": region,
        "figures": screen.key_figures(scope, region),
        "alerts": screen.live_alerts(scope, region, SCREEN_ALERTS),
        "communities": [(c, screen.key_figures(scope, c)) for c in children(scope, region)],
        "map": screen.drawing(scope, region),
        "refresh": _every(request.GET.get("every", "")),
    }
    return render(request, "dashboard/screen/page.html", context)


@login_required
def phone(request: HttpRequest) -> HttpResponse:
    scope, region = scope_and_region(request)
    context = {
        "region": region,
        "regions": scope.regions,
        "figures": screen.key_figures(scope, region) if not scope.public_only else [],
        "public": scope.public_only,
        "alerts": screen.live_alerts(scope, region, 5),
    }
    if scope.public_only:
        shown = [i for i in scope.indicators() if shown_at(i, region)]
        found = values.latest(shown, [region])
        context["figures"] = [found[(i.key, region.code, "")] for i in shown]
    return render(request, "dashboard/phone/page.html", context)
