"""Estates: the parking index and the idle night spaces within walking distance."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings

from shequ.parking.geo import DETOUR_FACTOR, LatLon, walking_m
from shequ.parking.indices.figures import (
    CAR_TYPES,
    EstateIndex,
    GarageInReach,
    GarageNight,
)
from shequ.parking.indices.sql import location_of, query, sql_literal


def _garage_sites() -> list[dict[str, Any]]:
    return query(
        "SELECT garage_code, name, capacity, coalesce(offpeak_shared, false) AS shared, "
        "coalesce(offpeak_spaces, 0) AS offpeak_spaces, longitude, latitude, region_code "
        "FROM public_parking_lots ORDER BY garage_code"
    )


def _estate_rows(estate: str | None = None) -> list[dict[str, Any]]:
    types = ", ".join(sql_literal(t) for t in CAR_TYPES)
    where = f"WHERE s.estate_code = {sql_literal(estate)}" if estate is not None else ""
    return query(f"""
WITH cars AS (
  SELECT estate_code, count(*) AS n FROM vehicle_registrations
  WHERE estate_code IS NOT NULL AND coalesce(status, '正常') = '正常'
    AND vehicle_type IN ({types})
  GROUP BY estate_code
),
sites AS (
  SELECT estate_code, any_value(longitude) AS longitude, any_value(latitude) AS latitude
  FROM housing_estates GROUP BY estate_code
)
SELECT s.estate_code, s.estate_name, s.region_code, s.spaces_total,
       coalesce(s.households, 0) AS households, coalesce(c.n, 0) AS night_demand,
       h.longitude, h.latitude
FROM estate_parking_spaces s
LEFT JOIN cars c ON c.estate_code = s.estate_code
LEFT JOIN sites h ON h.estate_code = s.estate_code
{where}
ORDER BY s.estate_code""")


def estate_indices(
    idle: Mapping[str, GarageNight],
    *,
    radius_m: float | None = None,
    estate: str | None = None,
    detour: float = DETOUR_FACTOR,
) -> list[EstateIndex]:
    """Parking index of every estate (or one), with the garages within ``radius_m`` walking.

    ``idle`` maps garage code -> its night figures (from ``night_idle`` or the published
    dataset); garages within reach without figures are listed with ``idle_spaces`` None.
    """
    from shequ.parking.services.garages import shared_spaces_by_garage

    radius = float(radius_m if radius_m is not None else walk_radius_m())
    sites = _garage_sites()
    shared = shared_spaces_by_garage()
    out = []
    for row in _estate_rows(estate):
        home = location_of(row)
        reach = _in_reach(home, sites, idle, radius, detour, shared) if home is not None else []
        out.append(
            EstateIndex(
                estate_code=row["estate_code"],
                estate_name=row["estate_name"],
                region_code=row["region_code"],
                households=int(row["households"]),
                night_demand=int(row["night_demand"]),
                estate_spaces=int(row["spaces_total"]),
                shared_spaces=sum(g.shared_spaces for g in reach),
                radius_m=radius,
                garages=tuple(reach),
                location=home,
            )
        )
    return out


def _in_reach(
    home: LatLon,
    sites: list[dict[str, Any]],
    idle: Mapping[str, GarageNight],
    radius: float,
    detour: float,
    shared: Mapping[str, int],
) -> list[GarageInReach]:
    """The garages within ``radius`` metres walking of home, nearest first.

    A garage the platform runs shares what its plans say (``shared``); another one what the
    upstream registry declares.
    """
    reach = []
    for g in sites:
        spot = location_of(g)
        walk = walking_m(home, spot, detour) if spot is not None else math.inf
        if walk > radius:
            continue
        night = idle.get(g["garage_code"])
        reach.append(
            GarageInReach(
                garage_code=g["garage_code"],
                name=g["name"] or g["garage_code"],
                walk_m=round(walk),
                capacity=int(g["capacity"] or 0),
                shared_spaces=shared.get(
                    g["garage_code"], int(g["offpeak_spaces"]) if g["shared"] else 0
                ),
                p95_occupied=night.p95_occupied if night else None,
                idle_spaces=night.idle_spaces if night else None,
            )
        )
    return sorted(reach, key=lambda g: (g.walk_m, g.garage_code))


def walk_radius_m() -> float:
    return float(settings.PARKING_WALK_RADIUS_M)
