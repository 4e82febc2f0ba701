"""Distances on the ground between WGS-84 points: great circle and estimated walking, in metres."""

from __future__ import annotations

import math
from typing import NamedTuple

from django.utils.translation import gettext as _

# Mean Earth radius (IUGG); the haversine error against the WGS-84 ellipsoid is under 0.5 %.
EARTH_RADIUS_M = 6_371_008.8
# Walking route length over straight-line distance in a city of blocks (the "circuity" or
# detour factor). Studies of Chinese and European cities find 1.2 to 1.4; 1.3 is the middle,
# so an 800 m walking radius reaches garages about 615 m away as the crow flies.
DETOUR_FACTOR = 1.3


class LatLon(NamedTuple):
    """A WGS-84 point: latitude and longitude in degrees."""

    lat: float
    lon: float


def haversine_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance between a and b in metres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def walking_m(a: LatLon, b: LatLon, detour: float = DETOUR_FACTOR) -> float:
    """Estimated walking distance: the great-circle distance times the detour factor."""
    return haversine_m(a, b) * detour


def location_errors(lat: float, lon: float) -> dict[str, list[str]]:
    """A form's errors for a point off the globe (garages and estates are placed by it)."""
    errors: dict[str, list[str]] = {}
    if not -90 <= lat <= 90:
        errors["lat"] = [_("Latitude must be between -90 and 90.")]
    if not -180 <= lon <= 180:
        errors["lon"] = [_("Longitude must be between -180 and 180.")]
    return errors
