"""A point's page: its gauges now, a chart of the last 24 h or 7 d, its open alerts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shequ.flood.forms import AcknowledgeForm
from shequ.flood.services import access, cameras, points, response, tasks
from shequ.flood.views.alerts import task_buttons, with_tasks
from shequ.flood.views.common import watcher_required

RANGES = {"24h": 24, "7d": 24 * 7}


@watcher_required
def point_detail(request: HttpRequest, code: str) -> HttpResponse:
    point = access.point_for(request.user, code)
    span = request.GET.get("range", "24h")
    hours = RANGES.get(span, 24)
    return render(
        request,
        "flood/points/detail.html",
        {
            "point": point,
            "devices": points.devices_now(point),
            "series": points.series(point, hours),
            "span": span if span in RANGES else "24h",
            "alerts": with_tasks(points.open_alerts(point)),
            "tasks": list(tasks.visible_tasks(request.user).filter(point=point)[:20]),
            "snapshots": cameras.latest_snapshots(point),
            "ack_form": AcknowledgeForm(),
            "responses": [
                r
                for r in response.active_for(request.user)
                if point.region.code.startswith(r.region.prefix)
            ],
            **task_buttons(),
        },
    )
