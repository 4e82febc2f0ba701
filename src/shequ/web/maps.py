"""Maps on pages: GeoJSON drawn by Leaflet (``web/map.js``), offline unless tiles are configured.

Coordinates are stored in WGS-84. With no ``MAP_TILE_URL`` a map draws only the GeoJSON it is
given (boundaries and points of the demo's own geometry), so it works on an intranet. A tile
URL adds a background; Chinese tile services (AMap, Tencent) draw in GCJ-02, so with
``MAP_TILE_CRS=gcj02`` every coordinate is shifted to GCJ-02 before it reaches the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings

# Krasovsky 1940 ellipsoid, as GCJ-02 uses it.
_A = 6378245.0
_EE = 0.00669342162296594323


def _outside_china(lat: float, lon: float) -> bool:
    """GCJ-02 leaves points outside mainland China's rough bounding box unshifted."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """A WGS-84 point as GCJ-02 ("Mars coordinates") tile services expect it."""
    if _outside_china(lat, lon):
        return lat, lon
    dlat = _shift_lat(lon - 105.0, lat - 35.0)
    dlon = _shift_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lat + dlat, lon + dlon


@dataclass(frozen=True)
class Tiles:
    url: str  # empty: no background, the GeoJSON alone
    crs: str  # "wgs84" or "gcj02"
    attribution: str


def tiles() -> Tiles:
    crs = str(settings.MAP_TILE_CRS).lower()
    return Tiles(
        url=str(settings.MAP_TILE_URL),
        crs="gcj02" if crs == "gcj02" else "wgs84",
        attribution=str(settings.MAP_TILE_ATTRIBUTION),
    )


def _position(lat: float, lon: float) -> list[float]:
    """A GeoJSON position [lon, lat] in the drawing's datum."""
    if tiles().url and tiles().crs == "gcj02":
        lat, lon = wgs84_to_gcj02(lat, lon)
    return [round(lon, 7), round(lat, 7)]


def point(lat: float, lon: float, **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": _position(lat, lon)},
        "properties": properties,
    }


def _positions(value: Any) -> Any:
    """A GeoJSON coordinates array with every [lon, lat] moved to the drawing's datum."""
    if value and isinstance(value[0], int | float):
        return _position(float(value[1]), float(value[0]))
    return [_positions(v) for v in value]


def area(geometry: dict[str, Any], **properties: Any) -> dict[str, Any] | None:
    """A stored WGS-84 GeoJSON geometry (a region's boundary) as a feature; None if unusable."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon") or not geometry.get("coordinates"):
        return None
    return {
        "type": "Feature",
        "geometry": {"type": kind, "coordinates": _positions(geometry["coordinates"])},
        "properties": properties,
    }


def collection(features: list[dict[str, Any] | None]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [f for f in features if f is not None]}


def drawing(features: list[dict[str, Any] | None]) -> dict[str, Any]:
    """What a page's map include needs: the features and the tile settings."""
    setting = tiles()
    return {"geojson": collection(features), "tiles": setting}
