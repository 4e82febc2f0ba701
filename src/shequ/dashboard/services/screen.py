"""What the big screen (大屏) and the phone summary show: key figures, live alerts, the map."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from shequ.access.services import public as access_public
from shequ.core.models import Region
from shequ.dashboard.services import values
from shequ.dashboard.services.access import Scope, children, shown_at
from shequ.flood.services import public as flood_public
from shequ.web import maps

LEVEL_NAMES = {1: "blue", 2: "yellow", 3: "orange", 4: "red"}


@dataclass(frozen=True)
class LiveAlert:
    kind: str  # flood or access
    region: str
    what: str
    level: str  # blue … red, or the door alert's colour
    label: str
    at: datetime


def key_figures(scope: Scope, region: Region) -> list[values.Figure]:
    shown = [i for i in scope.indicators() if i.key_figure and shown_at(i, region)]
    found = values.latest(shown, [region])
    return [found[(i.key, region.code, "")] for i in shown]


def live_alerts(scope: Scope, region: Region, limit: int = 12) -> list[LiveAlert]:
    """Open flood and door alerts under the region, newest first (staff only)."""
    if scope.public_only:
        return []
    names = {r.code: r.name for r in Region.objects.filter(code__startswith=region.prefix)}
    found = [
        LiveAlert(
            "flood",
            names.get(a.region_code, ""),
            a.point,
            LEVEL_NAMES.get(a.level, "blue"),
            a.level_label,
            a.at,
        )
        for a in flood_public.open_alerts(region.prefix, limit)
    ]
    found += [
        LiveAlert("access", names.get(a.region_code, ""), "", a.colour, a.colour_label, a.at)
        for a in access_public.open_alerts(region.prefix, limit)
    ]
    found.sort(key=lambda a: a.at, reverse=True)
    return found[:limit]


def drawing(scope: Scope, region: Region) -> dict[str, Any]:
    """The region's map: boundaries (a centre dot without one), open flood alerts, and the
    offline basemap's roads, railway and creek. No tiles unless configured."""
    features: list[dict[str, Any] | None] = []
    for r in [region, *children(scope, region)]:
        if r.boundary:
            features.append(maps.area(r.boundary, kind="area", label=r.name, code=r.code))
        elif r.centre_lat is not None and r.centre_lon is not None and r != region:
            features.append(maps.point(r.centre_lat, r.centre_lon, kind="community",
                                       label=r.name, code=r.code))  # fmt: skip
    if not scope.public_only:
        for a in flood_public.open_alerts(region.prefix, 50):
            features.append(maps.point(a.lat, a.lon, kind="alert", label=a.point,
                                       level=LEVEL_NAMES.get(a.level, "blue")))  # fmt: skip
    drawn = maps.drawing(features)
    drawn["basemap"] = maps.collection(
        [
            maps.area(f["geometry"], **f["properties"]) or _line(f)
            for f in flood_public.basemap_features()
        ]
    )
    return drawn


def _line(feature: dict[str, Any]) -> dict[str, Any]:
    return feature  # lines stay as the file has them (WGS-84; no tiles means no datum shift)


def payload(scope: Scope, region: Region) -> dict[str, Any]:
    """The JSON the big screen asks for every few seconds."""
    figures = key_figures(scope, region)
    return {
        "region": {"code": region.code, "name": region.name},
        "generated_at": timezone.now(),
        "figures": [figure_out(f) for f in figures],
        "alerts": live_alerts(scope, region, 6),
        "communities": [
            {
                "code": c.code,
                "name": c.name,
                "figures": [figure_out(f) for f in key_figures(scope, c)],
            }
            for c in children(scope, region)
        ],
    }


def figure_out(f: values.Figure) -> dict[str, Any]:
    return {
        "key": f.indicator.key,
        "title": f.title,
        "unit": f.unit,
        "value": f.value,
        "display": f.display,
        "status": f.status,
        "why": f.why,
        "at": f.at,
    }
