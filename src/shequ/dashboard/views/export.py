"""A chart's data as CSV or XLSX: the indicator's series for the region and its communities."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from shequ.dashboard.indicators import get
from shequ.dashboard.services import export, values
from shequ.dashboard.services.access import children, shown_at
from shequ.dashboard.views.common import scope_and_region

TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
def download(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    scope, region = scope_and_region(request)
    indicator = get(key)
    if indicator is None or indicator not in scope.indicators() or fmt not in TYPES:
        raise Http404(key)
    figures = []
    for r in [region, *children(scope, region)]:
        if shown_at(indicator, r):
            figures.extend(values.series(indicator, r))
    response = HttpResponse(export.render(figures, fmt), content_type=TYPES[fmt])
    name = f"{key}-{region.code}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
