"""The live map's own background when no tile server is configured (offline, in a typhoon).

Drawn from what the app holds: the boundaries of the regions a user watches and of the
regions under them, and the features of a GeoJSON file (``SHEQU_FLOOD_BASEMAP``, by default
``DATA_DIR/flood/basemap.geojson``; the demo writes its village's roads, railway and creek
there). Each feature's ``kind`` says how the map draws it: ``road``, ``railway``, ``water``,
``hill`` or ``boundary``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Q

from shequ.core.models import Region
from shequ.core.permissions import Perm, regions_for
from shequ.core.types import Requester
from shequ.web import maps

log = logging.getLogger(__name__)
KINDS = {"road", "railway", "water", "hill", "boundary"}


def path() -> Path:
    configured = getattr(settings, "FLOOD_BASEMAP", "")
    return Path(configured) if configured else Path(settings.DATA_DIR) / "flood" / "basemap.geojson"


def file_features() -> list[dict[str, Any]]:
    source = path()
    if not source.is_file():
        return []
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("flood basemap %s unreadable: %s", source, exc)
        return []
    out = []
    for feature in data.get("features", []) if isinstance(data, dict) else []:
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        if props.get("kind") in KINDS and geometry.get("type") in (
            "LineString", "MultiLineString", "Polygon", "MultiPolygon",
        ):  # fmt: skip
            out.append(
                {
                    "type": "Feature",
                    "geometry": geometry,
                    "properties": {"kind": props["kind"], "label": str(props.get("label", ""))},
                }
            )
    return out


def features(user: Requester) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: the boundaries under the user's regions, then the file's."""
    watched = list(regions_for(user, Perm.FLOOD))
    out: list[dict[str, Any]] = []
    if watched:
        under = Q()
        for region in watched:
            under |= Q(code__startswith=region.prefix)
        for region in Region.objects.filter(under).exclude(boundary=None).order_by("code"):
            if not region.boundary:
                continue
            feature = maps.area(region.boundary, kind="boundary", label=region.name)
            if feature is not None:
                out.append(feature)
        out.extend(file_features())
    return {"type": "FeatureCollection", "features": out}


def write(collection: dict[str, Any]) -> Path:
    """Keep a basemap file (the demo's), atomically."""
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    tmp.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    tmp.replace(target)
    return target
