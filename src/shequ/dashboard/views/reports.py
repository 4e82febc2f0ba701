"""The weekly reports' archive (周报存档): the caller's regions' reports and their downloads."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from shequ.core.types import user_of
from shequ.dashboard.services.report import archive, store
from shequ.dashboard.views.modules import module_titles

SHOWN = 300  # rows: a street with 10 communities, two languages, 15 weeks


def _language_names() -> dict[str, str]:
    return {"zh-hans": _("Chinese"), "en": _("English")}


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    scope = archive.staff_scope(user)
    asked = request.GET.get("region", "")
    found = list(archive.listing(user, asked)[:SHOWN])
    names = _language_names()
    order = {code: n for n, code in enumerate(store.languages())}
    rows: list[dict[str, Any]] = [
        {"region": items[0].region, "week": items[0].week, "first": items[0],
         "files": [(r, names.get(r.language, r.language))
                   for r in sorted(items, key=lambda r: order.get(r.language, 9))]}
        for (_code, _week), group in groupby(found, key=lambda r: (r.region.code, r.week))
        for items in [list(group)]
    ]  # fmt: skip
    rows.sort(key=lambda row: (row["week"], row["region"].code), reverse=True)
    region = next((r for r in scope.regions if r.code == asked), scope.regions[0])
    context = {
        "rows": rows,
        "regions": scope.regions,
        "asked": asked,
        "region": region,
        "modules": module_titles(),
        "reports_link": True,
        "module": "reports",
    }
    return render(request, "dashboard/reports/page.html", context)


@login_required
def download(request: HttpRequest, report_id: int, fmt: str) -> FileResponse:
    path = archive.download(user_of(request), report_id, fmt, request)
    response = FileResponse(
        path.open("rb"), content_type=store.FORMATS[fmt], as_attachment=True,
        filename=f"weekly-report-{path.parent.name}-{path.name}",
    )  # fmt: skip
    response["Cache-Control"] = "private, no-store"
    return response
