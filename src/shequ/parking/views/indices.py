"""Parking indices pages (停车指数、泊位指数、夜间空余泊位) for staff, and garages' for operators.

The figures are what the worker last published to the hub (``indices.store``), read through the
same functions as the API; charts draw in the browser with ECharts from JSON that the page embeds
(``json_script``), so no figure is fetched twice. Community and street staff see the estates and
garages of their regions; a garage operator sees the berth index of the garages they operate.
Every figure carries its definition (``indices.FORMULAS``) as a tooltip and a link to the
definitions page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shequ.core.permissions import Perm, has_global, prefixes_for, scope
from shequ.core.types import Requester, User, user_of
from shequ.parking import indices
from shequ.parking.geo import DETOUR_FACTOR
from shequ.parking.indices import published_berth, published_nights, published_window
from shequ.parking.models import Garage
from shequ.parking.services import maps as parking_maps
from shequ.parking.services.access import OPERATOR_ROLES, STAFF_ROLES, is_staff_for

DAYS = (7, 14, 28, 56)
DEFAULT_DAYS = 14


# Who sees what ------------------------------------------------------------------------------


def _staff_prefixes(user: Requester) -> list[str] | None:
    """Region code prefixes where the user is staff; None: everywhere."""
    if has_global(user, Perm.PARKING):
        return None
    return prefixes_for(user, Perm.PARKING, STAFF_ROLES)


def _operated(user: User) -> set[str]:
    """Codes of the garages the user operates (role over the region and named operator)."""
    mine = Garage.objects.filter(operators=user)
    return set(scope(mine, user, Perm.PARKING, roles=OPERATOR_ROLES).values_list("code", flat=True))


def _in(code: str, prefixes: list[str] | None) -> bool:
    return prefixes is None or any(code.startswith(p) for p in prefixes)


def formulas() -> dict[str, str]:
    return {key: str(text) for key, text in indices.FORMULAS.items()}


def _window() -> dict[str, Any] | None:
    w = published_window()
    if w is None:
        return None
    return {
        "start": timezone.localtime(w.start),
        "end": timezone.localtime(w.end),
        "weeks": round(w.weeks, 1),
    }


# Chart data (plain JSON for parking/indices.js) ---------------------------------------------


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def estate_bars(estate: indices.EstateIndex) -> dict[str, Any]:
    garages = [g for g in estate.garages if g.idle_spaces is not None]
    return {
        "kind": "garages",
        "categories": [g.name for g in garages],
        "series": [
            {"name": _("Idle at night"), "data": [g.idle_spaces for g in garages]},
            {"name": _("Occupied at night (P95)"), "data": [g.p95_occupied for g in garages]},
        ],
        "unit": _("spaces"),
    }


def estates_bars(estates: list[indices.EstateIndex], computed: bool) -> dict[str, Any]:
    return {
        "kind": "estates",
        "categories": [e.estate_name for e in estates],
        "series": [
            {
                "name": _("Idle night spaces within reach"),
                "data": [e.idle_night_spaces if computed else None for e in estates],
            },
            {"name": _("Shortfall"), "data": [e.shortfall for e in estates]},
        ],
        "unit": _("spaces"),
    }


def narrow_weekdays() -> list[str]:
    """One- or two-letter weekday names for a phone's narrow heatmap columns."""
    return [
        pgettext("narrow weekday", "Mo"),
        pgettext("narrow weekday", "Tu"),
        pgettext("narrow weekday", "We"),
        pgettext("narrow weekday", "Th"),
        pgettext("narrow weekday", "Fr"),
        pgettext("narrow weekday", "Sa"),
        pgettext("narrow weekday", "Su"),
    ]


def heatmap(cells: list[indices.BerthCell]) -> dict[str, Any]:
    """Hour x weekday cells: [hour, weekday index, occupancy %, turnover, average stay min]."""
    return {
        "hours": [f"{h:02d}:00" for h in range(24)],
        "weekdays": [str(WEEKDAYS_ABBR[d]) for d in range(7)],
        "weekdays_narrow": narrow_weekdays(),
        "cells": [
            [
                c.hour,
                c.weekday - 1,
                _percent(c.occupancy_rate),
                round(c.turnover, 2),
                None if c.avg_stay_minutes is None else round(c.avg_stay_minutes),
            ]
            for c in cells
        ],
        "labels": {
            "rate": _("Occupancy rate"),
            "turnover": _("Turnover"),
            "stay": _("Average stay"),
            "minutes": _("min"),
        },
    }


def occupancy_line(hours: list[indices.BerthHour], days: int) -> dict[str, Any]:
    since = hours[-1].hour_start - timedelta(days=days)
    recent = [h for h in hours if h.hour_start > since]
    local = [timezone.localtime(h.hour_start) for h in recent]
    return {
        "times": [t.strftime("%m-%d %H:%M") for t in local],
        "ticks": [i for i, t in enumerate(local) if t.hour == 0],
        "occupied": [h.occupied for h in recent],
        "capacity": recent[-1].capacity if recent else 0,
        "labels": {"occupied": _("Cars inside"), "capacity": _("Capacity")},
    }


# Pages --------------------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Estates of the user's regions (parking index, shortfall, idle spaces) and garages."""
    prefixes = _staff_prefixes(request.user)
    operated = _operated(user_of(request))
    is_staff = prefixes is None or bool(prefixes)
    if not is_staff and not operated:
        raise PermissionDenied(_("The parking indices are for community and street staff."))
    nights = published_nights()
    computed = bool(nights) or indices.has_data("idle_night_spaces")
    estates: list[indices.EstateIndex] = []
    if is_staff and indices.has_data("estate_parking_spaces"):
        estates = [e for e in indices.estate_indices(nights) if _in(e.region_code, prefixes)]
    garages = [
        n
        for n in nights.values()
        if (is_staff and _in(n.region_code, prefixes)) or n.garage_code in operated
    ]
    return render(
        request,
        "parking/indices/overview.html",
        {
            "estates": estates,
            "garages": garages,
            "garage_total": sum(n.idle_spaces for n in garages),
            "computed": computed,
            "is_staff": is_staff,
            "window": _window(),
            "formulas": formulas(),
            "chart": estates_bars(estates, computed) if estates else None,
            "map": parking_maps.indices_map(estates, garages) if estates or garages else None,
        },
    )


def _estate(request: HttpRequest, code: str) -> indices.EstateIndex:
    if not indices.has_data("estate_parking_spaces"):
        raise Http404(_("No estates are in the hub yet."))
    found = indices.estate_indices(published_nights(), estate=code)
    if not found:
        raise Http404(_("There is no estate %(code)s in the hub.") % {"code": code})
    if not is_staff_for(request.user, found[0].region_code):
        raise PermissionDenied(_("Only community or street staff of this region see its indices."))
    return found[0]


def _days(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("days", DEFAULT_DAYS))
    except ValueError:
        return DEFAULT_DAYS
    return days if days in DAYS else DEFAULT_DAYS


def garage_charts(code: str, days: int) -> dict[str, Any] | None:
    """What the garage charts need, or None before the worker has published its hours."""
    hours = published_berth(code)
    if not hours:
        return None
    cells = indices.hour_of_week(hours).get(code, [])
    rates = [c.occupancy_rate for c in cells]
    night = [c.occupancy_rate for c in cells if c.hour in indices.NIGHT_HOURS]
    return {
        "code": code,
        "region_code": hours[-1].region_code,
        "capacity": hours[-1].capacity,
        "heatmap": heatmap(cells),
        "line": occupancy_line(hours, days),
        "peak": _percent(max(rates)) if rates else None,
        "night": _percent(sum(night) / len(night)) if night else None,
        "days": days,
        "heatmap_id": f"heatmap-{code}",
        "line_id": f"line-{code}",
    }


@login_required
def estate_page(request: HttpRequest, code: str) -> HttpResponse:
    estate = _estate(request, code)
    days = _days(request)
    with_hours = [g for g in estate.garages if g.idle_spaces is not None]
    chosen = request.GET.get("garage") or (with_hours[0].garage_code if with_hours else "")
    if chosen not in {g.garage_code for g in estate.garages}:
        chosen = with_hours[0].garage_code if with_hours else ""
    charts = garage_charts(chosen, days) if chosen else None
    name = next((g.name for g in estate.garages if g.garage_code == chosen), chosen)
    return render(
        request,
        "parking/indices/estate.html",
        {
            "estate": estate,
            "computed": indices.has_data("idle_night_spaces"),
            "bars": estate_bars(estate) if with_hours else None,
            "chosen": chosen,
            "chosen_name": name,
            "charts": charts,
            "days_options": DAYS,
            "window": _window(),
            "formulas": formulas(),
            "detour": DETOUR_FACTOR,
        },
    )


@login_required
def garage_page(request: HttpRequest, code: str) -> HttpResponse:
    charts = garage_charts(code, _days(request))
    if charts is None:
        raise Http404(_("No berth index for garage %(code)s yet.") % {"code": code})
    user = user_of(request)
    if not (is_staff_for(user, charts["region_code"]) or code in _operated(user)):
        raise PermissionDenied(_("You do not manage this garage."))
    night = published_nights().get(code)
    return render(
        request,
        "parking/indices/garage.html",
        {
            "code": code,
            "name": night.name if night else code,
            "night": night,
            "charts": charts,
            "days_options": DAYS,
            "window": _window(),
            "formulas": formulas(),
        },
    )


@login_required
def formulas_page(request: HttpRequest) -> HttpResponse:
    """The definitions of every figure, in the user's language (docs/parking-indices.md)."""
    return render(
        request,
        "parking/indices/formulas.html",
        {
            "formulas": formulas(),
            "radius_m": round(indices.walk_radius_m()),
            "detour": DETOUR_FACTOR,
            "weeks": indices.DEFAULT_WEEKS,
            "percentile": round(indices.NIGHT_PERCENTILE * 100),
            "dedup_minutes": indices.DEDUP_SECONDS // 60,
            "missed_hours": indices.MISSED_READ_HOURS,
        },
    )
