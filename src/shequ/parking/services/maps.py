"""The parking maps: an estate with the garages a resident may choose, and the indices' estates
and garages. Features only (GeoJSON, WGS-84 moved to the tiles' datum by ``web.maps``)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from shequ.parking import indices
from shequ.parking.geo import DETOUR_FACTOR, EARTH_RADIUS_M
from shequ.parking.models import Estate
from shequ.parking.services import units
from shequ.web import maps


def _reach(lat: float, lon: float, walk_m: float) -> dict[str, Any] | None:
    """The area within ``walk_m`` walking: a circle of walk_m / detour, as a 48-gon."""
    radius = walk_m / DETOUR_FACTOR
    ring = []
    for step in range(49):
        angle = 2 * math.pi * step / 48
        dlat = math.degrees(radius * math.cos(angle) / EARTH_RADIUS_M)
        dlon = math.degrees(radius * math.sin(angle) / EARTH_RADIUS_M / math.cos(math.radians(lat)))
        ring.append([lon + dlon, lat + dlat])
    return maps.area({"type": "Polygon", "coordinates": [ring]}, kind="reach")


def offer_map(estate: Estate, offers: Iterable[Any]) -> dict[str, Any]:
    """The estate, its walking reach and the garages on offer, labelled with the walk."""
    features: list[dict[str, Any] | None] = []
    if estate.region.boundary:
        features.append(maps.area(estate.region.boundary, kind="area", label=estate.region.name))
    features.append(_reach(estate.lat, estate.lon, indices.walk_radius_m()))
    features.append(maps.point(estate.lat, estate.lon, kind="estate", label=estate.name))
    for offer in offers:
        garage = offer.garage
        label = f"{garage.name} · {units.distance(offer.walking_m)}"
        features.append(
            maps.point(
                garage.lat, garage.lon, kind="garage", label=label, code=garage.code, permanent=True
            )
        )
    return maps.drawing(features)


def indices_map(
    estates: Iterable[indices.EstateIndex], garages: Iterable[indices.GarageNight]
) -> dict[str, Any]:
    """Estates coloured by their parking index (over 1: short), garages with idle spaces."""
    features: list[dict[str, Any] | None] = []
    for e in estates:
        if e.location is None:
            continue
        index = e.parking_index
        tone = "none" if index is None else ("over" if index > 1 else "good")
        label = _("%(estate)s · index %(index)s") % {
            "estate": e.estate_name,
            "index": "—" if index is None else f"{index:.2f}",
        }
        features.append(
            maps.point(
                e.location.lat,
                e.location.lon,
                kind="estate",
                tone=tone,
                label=label,
                code=e.estate_code,
            )
        )
    for g in garages:
        if g.location is None:
            continue
        label = _("%(garage)s · %(n)d idle at night") % {"garage": g.name, "n": g.idle_spaces}
        features.append(
            maps.point(
                g.location.lat,
                g.location.lon,
                kind="garage",
                label=label,
                code=g.garage_code,
                permanent=True,
            )
        )
    return maps.drawing(features)
