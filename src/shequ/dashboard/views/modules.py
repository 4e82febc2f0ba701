"""One page per module: each indicator with its chart over time and its downloads."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from shequ.dashboard.indicators import MODULES
from shequ.dashboard.services import values
from shequ.dashboard.services.access import children, shown_at
from shequ.dashboard.views.common import scope_and_region


def module_titles() -> dict[str, str]:
    return {
        "parking": _("Shared parking"),
        "flood": _("Flood watch"),
        "timebank": _("Time bank"),
        "access": _("Access control"),
        "hub": _("Data hub"),
        "feedback": _("Residents' feedback"),
    }


@login_required
def module_page(request: HttpRequest, module: str) -> HttpResponse:
    if module not in MODULES:
        raise Http404(module)
    scope, region = scope_and_region(request)
    shown = [i for i in scope.indicators(module) if shown_at(i, region)]
    if not shown:
        raise Http404(module)
    below = children(scope, region)
    found = values.latest(shown, [region, *below])
    charts: list[dict[str, Any]] = []
    for i in shown:
        points = values.series(i, region)
        figure = found[(i.key, region.code, "")]
        charts.append(
            {
                "id": f"series-{len(charts) + 1}",
                "figure": figure,
                "chart": {
                    "title": values.title(i),
                    "unit": values.unit(i),
                    "target": figure.target,
                    "target_label": _("Target"),
                    "points": [[p.at.isoformat(), p.value] for p in points if p.at],
                },
                "children": [found[(i.key, c.code, "")] for c in below if shown_at(i, c)],
            }
        )
    context = {
        "region": region,
        "module": module,
        "module_title": module_titles()[module],
        "charts": charts,
        "modules": module_titles(),
        "reports_link": not scope.public_only,
    }
    return render(request, "dashboard/modules/page.html", context)
