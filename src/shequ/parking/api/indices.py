"""Parking indices endpoints (停车指数、泊位指数、夜间空余泊位) for community and street staff.

No ``from __future__ import annotations`` here: django-ninja reads the annotations.

- ``GET /indices/idle-night-spaces?estate=E001``: idle night spaces of each garage within
  walking distance of the estate, and their ``total``;
- ``GET /indices/parking?estate=E001``: the estate's parking index (night demand over night
  supply) and shortfall; ``GET /indices/estates``: every estate in the user's regions (the
  "idle spaces per estate" chart);
- ``GET /indices/garages``: each garage's idle night figures;
- ``GET /indices/berth?garage=G01``: berth index by hour of the week (the heatmap);
- ``GET /indices/occupancy?garage=G01&days=14``: cars inside hour by hour (the time chart).

Figures are what the worker last published (``shequ.parking.indices``); every response carries
the definitions (``formulas``) that the pages show as tooltips. Staff (community or street, or
a platform administrator) see the estates and garages of their regions.
"""

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from shequ.core.permissions import Perm, has_global, prefixes_for
from shequ.core.schemas import READ, errors
from shequ.parking import indices
from shequ.parking.geo import DETOUR_FACTOR
from shequ.parking.indices import published_berth, published_nights, published_window
from shequ.parking.services.access import STAFF_ROLES, is_staff_for

router = Router(tags=["parking indices"])

CODE = r"^[A-Za-z0-9_.-]{1,32}$"


class WindowOut(Schema):
    start: datetime
    end: datetime
    weeks: float


class GarageIdleOut(Schema):
    garage_code: str
    name: str
    walk_m: int | None = None
    capacity: int
    p95_occupied: int | None
    idle_spaces: int | None


class IdleOut(Schema):
    estate_code: str
    estate_name: str
    region_code: str
    radius_m: float
    detour_factor: float
    window: WindowOut | None
    garages: list[GarageIdleOut]
    total: int
    formulas: dict[str, str]


class ParkingIndexOut(Schema):
    """An estate's figures, read from ``indices.EstateIndex``."""

    estate_code: str
    estate_name: str
    region_code: str
    households: int
    night_demand: int
    estate_spaces: int
    shared_spaces: int
    night_supply: int
    parking_index: float | None
    shortfall: int
    idle_night_spaces: int | None = Field(
        None, description="Within walking distance; null until the worker has computed them."
    )
    radius_m: float
    formulas: dict[str, str]

    @staticmethod
    def resolve_parking_index(obj: Any) -> float | None:
        return None if obj.parking_index is None else round(obj.parking_index, 4)

    @staticmethod
    def resolve_formulas(obj: Any) -> dict[str, str]:
        return _formulas("parking_index", "idle_night_spaces")

    @classmethod
    def of(cls, estate: indices.EstateIndex, idle_computed: bool) -> "ParkingIndexOut":
        """The estate's figures; its idle night spaces stay null until the worker has
        computed them (before that every garage counts none)."""
        out = cls.model_validate(estate)
        return out if idle_computed else out.model_copy(update={"idle_night_spaces": None})


class GarageNightOut(Schema):
    garage_code: str
    name: str
    region_code: str
    capacity: int
    night_samples: int
    p95_occupied: int
    idle_spaces: int


class GaragesOut(Schema):
    window: WindowOut | None
    garages: list[GarageNightOut]
    total: int
    formulas: dict[str, str]


class BerthCellOut(Schema):
    weekday: int = Field(..., description="1 Monday .. 7 Sunday")
    hour: int
    occupancy_rate: float
    turnover: float
    avg_stay_minutes: float | None
    samples: int


class BerthOut(Schema):
    garage_code: str
    capacity: int
    window: WindowOut | None
    cells: list[BerthCellOut]
    formulas: dict[str, str]


class OccupancyPointOut(Schema):
    hour_start: datetime
    occupied: int
    occupancy_rate: float
    entries: int
    exits: int


class OccupancyOut(Schema):
    garage_code: str
    capacity: int
    points: list[OccupancyPointOut]
    formulas: dict[str, str]


def _formulas(*keys: str) -> dict[str, str]:
    return {k: str(indices.FORMULAS[k]) for k in keys}


def _window() -> dict[str, Any] | None:
    w = published_window()
    return {"start": w.start, "end": w.end, "weeks": round(w.weeks, 2)} if w else None


def _require_staff(request: HttpRequest, region_code: str) -> None:
    if not is_staff_for(request.user, region_code):
        raise HttpError(403, _("Only community or street staff of this region see its indices."))


def _estate(request: HttpRequest, code: str) -> indices.EstateIndex:
    """The estate's index with the published idle figures; 404 unknown, 403 not the user's."""
    if not indices.has_data("estate_parking_spaces"):
        raise HttpError(404, _("No estates are in the hub yet."))
    found = indices.estate_indices(published_nights(), estate=code)
    if not found:
        raise HttpError(404, _("There is no estate %(code)s in the hub.") % {"code": code})
    _require_staff(request, found[0].region_code)
    return found[0]


def _staff_prefixes(request: HttpRequest) -> list[str] | None:
    """Region code prefixes the user is staff of (None: everywhere)."""
    if has_global(request.user, Perm.PARKING):
        return None
    prefixes = prefixes_for(request.user, Perm.PARKING, STAFF_ROLES)
    if not prefixes:
        raise HttpError(403, _("The parking indices are for community and street staff."))
    return prefixes


def _in(code: str, prefixes: list[str] | None) -> bool:
    return prefixes is None or any(code.startswith(p) for p in prefixes)


@router.get(
    "/indices/idle-night-spaces",
    response={200: IdleOut, **errors(READ)},
    summary="Idle night spaces near an estate",
)
def idle_night_spaces(
    request: HttpRequest, estate: str = Query(..., pattern=CODE)
) -> dict[str, Any]:
    e = _estate(request, estate)
    window = _window()
    if window is None:
        raise HttpError(404, _("The idle night spaces have not been computed yet."))
    return {
        "estate_code": e.estate_code,
        "estate_name": e.estate_name,
        "region_code": e.region_code,
        "radius_m": e.radius_m,
        "detour_factor": DETOUR_FACTOR,
        "window": window,
        "garages": [asdict(g) for g in e.garages],
        "total": e.idle_night_spaces,
        "formulas": _formulas("idle_night_spaces"),
    }


@router.get(
    "/indices/parking",
    response={200: ParkingIndexOut, **errors(READ)},
    summary="Parking index of an estate",
)
def parking_index(request: HttpRequest, estate: str = Query(..., pattern=CODE)) -> ParkingIndexOut:
    e = _estate(request, estate)
    return ParkingIndexOut.of(e, indices.has_data("idle_night_spaces"))


@router.get(
    "/indices/estates",
    response={200: list[ParkingIndexOut], **errors(READ)},
    summary="Parking index per estate",
)
def estates(request: HttpRequest) -> list[ParkingIndexOut]:
    prefixes = _staff_prefixes(request)
    if not indices.has_data("estate_parking_spaces"):
        return []
    computed = indices.has_data("idle_night_spaces")
    found = indices.estate_indices(published_nights())
    return [ParkingIndexOut.of(e, computed) for e in found if _in(e.region_code, prefixes)]


@router.get(
    "/indices/garages",
    response={200: GaragesOut, **errors(READ)},
    summary="Idle night spaces per garage",
)
def garages(request: HttpRequest) -> dict[str, Any]:
    nights = published_nights(_staff_prefixes(request))
    rows = [
        {
            "garage_code": n.garage_code,
            "name": n.name,
            "region_code": n.region_code,
            "capacity": n.capacity,
            "night_samples": n.samples,
            "p95_occupied": n.p95_occupied,
            "idle_spaces": n.idle_spaces,
        }
        for n in nights.values()
    ]
    return {
        "window": _window(),
        "garages": rows,
        "total": sum(r["idle_spaces"] for r in rows),
        "formulas": _formulas("idle_night_spaces"),
    }


def _garage_hours(request: HttpRequest, garage: str) -> list[indices.BerthHour]:
    hours = published_berth(garage)
    if not hours:
        raise HttpError(404, _("No berth index for garage %(code)s yet.") % {"code": garage})
    _require_staff(request, hours[0].region_code)
    return hours


@router.get(
    "/indices/berth",
    response={200: BerthOut, **errors(READ)},
    summary="Berth index by hour of the week",
)
def berth(request: HttpRequest, garage: str = Query(..., pattern=CODE)) -> dict[str, Any]:
    hours = _garage_hours(request, garage)
    cells = indices.hour_of_week(hours).get(garage, [])
    return {
        "garage_code": garage,
        "capacity": hours[-1].capacity,
        "window": _window(),
        "cells": [asdict(c) for c in cells],
        "formulas": _formulas("occupancy_rate", "turnover", "avg_stay"),
    }


@router.get(
    "/indices/occupancy",
    response={200: OccupancyOut, **errors(READ)},
    summary="Cars inside, hour by hour",
)
def occupancy(
    request: HttpRequest,
    garage: str = Query(..., pattern=CODE),
    days: int = Query(14, ge=1, le=366),
) -> dict[str, Any]:
    hours = _garage_hours(request, garage)
    since = hours[-1].hour_start - timedelta(days=days)
    recent = [h for h in hours if h.hour_start > since]
    return {
        "garage_code": garage,
        "capacity": hours[-1].capacity,
        "points": [
            {
                "hour_start": h.hour_start,
                "occupied": h.occupied,
                "occupancy_rate": round(h.occupancy_rate, 4),
                "entries": h.entries,
                "exits": h.exits,
            }
            for h in recent
        ],
        "formulas": _formulas("occupancy_rate"),
    }
