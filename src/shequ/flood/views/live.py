"""The live map: every point the user watches, coloured by its worst open alert.

The page embeds the GeoJSON it first draws; ``live.js`` asks ``map.json`` again every few
seconds and recolours the points, so a level change shows within 5 s.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from shequ.core.permissions import Perm, regions_for
from shequ.flood.services import basemap, points, response
from shequ.flood.views.common import watcher_required
from shequ.web import maps

REFRESH_SECONDS = 5


def _features(request: HttpRequest) -> tuple[list[points.PointStatus], dict[str, Any]]:
    statuses = points.statuses(request.user)
    levels = {r.region.code: r for r in response.active_for(request.user)}
    features: list[dict[str, Any] | None] = []
    for r in regions_for(request.user, Perm.FLOOD).exclude(boundary=None):
        if not r.boundary:
            continue
        top = max(
            (v for code, v in levels.items() if r.code.startswith(v.region.prefix)),
            key=lambda v: v.level,
            default=None,
        )
        extra = (
            {"response": top.name, "response_label": str(top.get_level_display())} if top else {}
        )
        features.append(maps.area(r.boundary, kind="area", label=r.name, **extra))
    for s in statuses:
        features.append(
            maps.point(
                s.point.lat,
                s.point.lon,
                kind="point",
                code=s.point.code,
                label=s.point.name,
                level=s.level_name,
                level_label=s.level_label,
                url=reverse("flood:point", args=[s.point.code]),
            )
        )
    return statuses, maps.drawing(features)


@watcher_required
def live_map(request: HttpRequest) -> HttpResponse:
    statuses, drawing = _features(request)
    statuses.sort(key=lambda s: (-s.level, s.point.code))
    context = {
        "statuses": statuses,
        "map": drawing,
        "refresh": REFRESH_SECONDS,
        "responses": response.active_for(request.user),
    }
    return render(request, "flood/live/map.html", context)


@watcher_required
def map_data(request: HttpRequest) -> JsonResponse:
    _statuses, drawing = _features(request)
    return JsonResponse(drawing["geojson"])


@watcher_required
def basemap_data(request: HttpRequest) -> JsonResponse:
    """The map's own background when no tile server is configured (see services/basemap)."""
    return JsonResponse(basemap.features(request.user))
