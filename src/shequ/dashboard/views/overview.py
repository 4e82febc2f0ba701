"""The street overview with drill-down to communities (and a community's estates)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shequ.dashboard.services import values
from shequ.dashboard.services.access import children, shown_at
from shequ.dashboard.services.screen import key_figures
from shequ.dashboard.views.common import scope_and_region
from shequ.dashboard.views.modules import module_titles


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    scope, region = scope_and_region(request)
    below = children(scope, region)
    shown = [i for i in scope.indicators() if shown_at(i, region)]
    found = values.latest(shown, [region, *below], estates=True)
    sections = [
        (key, title, [found[(i.key, region.code, "")] for i in shown if i.module == key])
        for key, title in module_titles().items()
    ]
    # The communities' table: the key figures a community has (not the street-only ones).
    key = [i for i in shown if i.key_figure and (not below or shown_at(i, below[0]))]
    estates = sorted(
        (f for k, f in found.items() if k[2] and k[1] == region.code),
        key=lambda f: (f.indicator.key, f.estate_code),
    )
    context = {
        "region": region,
        "scope": scope,
        "reports_link": not scope.public_only,
        "figures": key_figures(scope, region),
        "sections": [s for s in sections if s[2]],
        "key_titles": [values.title(i) for i in key],
        "communities": [(c, [found[(i.key, c.code, "")] for i in key]) for c in below],
        "estates": estates,
        "modules": {
            m: title for m, title in module_titles().items() if any(i.module == m for i in shown)
        },
        "parent": region.parent if region.parent and region.parent in scope.regions else None,
    }
    return render(request, "dashboard/overview/page.html", context)
