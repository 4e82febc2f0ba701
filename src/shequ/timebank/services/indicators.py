"""Indicators of a community's time bank over a period (R4.4), computed from the records."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, Q, Sum

from shequ.core.models import Region
from shequ.timebank.models import HelpRequest, Member, Order, Rating

DONE = (Order.Status.COMPLETED, Order.Status.CONFIRMED, Order.Status.DISPUTED)


@dataclass(frozen=True)
class Indicators:
    region_code: str
    start: datetime
    end: datetime
    registered_volunteers: int
    active_volunteers: int
    requests_posted: int
    services_completed: int
    confirmed_minutes: int
    take_minutes_p50: float | None
    take_minutes_p90: float | None
    completion_rate: float | None
    demand_answered: float | None
    satisfaction: float | None
    ratings: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0–100) by linear interpolation between closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def compute(region: Region, start: datetime, end: datetime) -> Indicators:
    """Figures for the region and every community below it, for ``start <= t < end``."""
    in_region = Q(region__code__startswith=region.prefix)
    volunteers = Member.objects.filter(in_region, is_volunteer=True, joined__lt=end)
    done = Order.objects.filter(
        request__region__code__startswith=region.prefix,
        status__in=DONE,
        checked_out_at__gte=start,
        checked_out_at__lt=end,
    )
    posted = HelpRequest.objects.filter(in_region, created__gte=start, created__lt=end)
    counts = posted.aggregate(
        n=Count("pk"),
        taken=Count("pk", filter=Q(first_taken_at__isnull=False)),
        finished=Count("pk", filter=Q(status__in=("completed", "confirmed"))),
        closed=Count("pk", filter=~Q(status__in=("open", "taken", "in_service"))),
    )
    waits = [
        (taken - created).total_seconds() / 60
        for created, taken in posted.filter(first_taken_at__isnull=False).values_list(
            "created", "first_taken_at"
        )
        if taken is not None
    ]
    ratings = Rating.objects.filter(order__in=done, side=Rating.Side.REQUESTER).aggregate(
        avg=Avg("score"), n=Count("pk")
    )
    minutes = done.filter(status=Order.Status.CONFIRMED).aggregate(m=Sum("transfer__minutes"))
    p50, p90 = percentile(waits, 50), percentile(waits, 90)
    return Indicators(
        region_code=region.code,
        start=start,
        end=end,
        registered_volunteers=volunteers.count(),
        active_volunteers=done.values("volunteer_id").distinct().count(),
        requests_posted=counts["n"],
        services_completed=done.count(),
        confirmed_minutes=int(minutes["m"] or 0),
        take_minutes_p50=round(p50, 1) if p50 is not None else None,
        take_minutes_p90=round(p90, 1) if p90 is not None else None,
        completion_rate=_share(counts["finished"], counts["closed"]),
        demand_answered=_share(counts["taken"], counts["n"]),
        satisfaction=round(float(ratings["avg"]), 2) if ratings["avg"] is not None else None,
        ratings=ratings["n"],
    )
