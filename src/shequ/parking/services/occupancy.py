"""Live occupancy from the gate events' counters, reconciled with the operator's counts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.parking.models import (
    Garage,
    GateEvent,
    OccupancyCount,
    Order,
    Payment,
    Presence,
    Refund,
    SharingPlan,
)
from shequ.parking.services import holidays, opening_hours, periods
from shequ.parking.services.access import require_garage


def shared_capacity_now(garage: Garage, at: datetime | None = None) -> int:
    """Shared spaces of the plans whose window is open now (plan versions in force today)."""
    moment = periods.local_naive(at or timezone.now())
    plans = SharingPlan.objects.filter(garage=garage, valid_from__lte=moment.date())
    return _open_capacity(garage, plans, moment)


def _open_capacity(garage: Garage, plans: Iterable[SharingPlan], moment: datetime) -> int:
    """Of these plan versions, those in force (the latest per code) whose window is open."""
    hols = holidays.holidays_for(garage.region.code)
    latest: dict[str, SharingPlan] = {}
    for plan in sorted(plans, key=lambda p: p.valid_from):
        latest[plan.code] = plan
    return sum(
        p.capacity for p in latest.values() if opening_hours.cached(p.hours).is_open(moment, hols)
    )


def snapshot(garage: Garage) -> dict[str, Any]:
    """What the operator's page and the guidance sign show (one row plus the plans)."""
    garage.refresh_from_db(fields=["occupied", "shared_inside", "counted_at"])
    return _snapshot(garage, shared_capacity_now(garage))


def snapshots(garages: Iterable[Garage]) -> list[tuple[Garage, dict[str, Any]]]:
    """The snapshots of many garages, freshly read, with all their plans in one query.

    The operator's garage list: a fixed number of queries however many garages it shows
    (and one per region for its holidays, cached).
    """
    rows = list(garages)
    moment = periods.local_naive(timezone.now())
    plans: dict[int, list[SharingPlan]] = {g.pk: [] for g in rows}
    for plan in SharingPlan.objects.filter(garage__in=rows, valid_from__lte=moment.date()):
        plans[plan.garage_id].append(plan)
    return [(g, _snapshot(g, _open_capacity(g, plans[g.pk], moment))) for g in rows]


def _snapshot(garage: Garage, shared: int) -> dict[str, Any]:
    return {
        "garage": garage.pk,
        "total_spaces": garage.total_spaces,
        "occupied": garage.occupied,
        "free": max(garage.total_spaces - garage.occupied, 0),
        "shared_capacity_now": shared,
        "shared_inside": garage.shared_inside,
        "shared_free": max(
            min(shared - garage.shared_inside, garage.total_spaces - garage.occupied), 0
        ),
        "counted_at": garage.counted_at,
    }


def record_count(
    actor: User,
    garage: Garage,
    *,
    occupied: int,
    counted_at: datetime | None = None,
    note: str = "",
) -> OccupancyCount:
    """The operator counted the cars: the counter becomes that count plus what moved since."""
    require_garage(actor, garage)
    now = timezone.now()
    at = counted_at or now
    if at > now:
        raise ValidationError({"counted_at": [_("A count cannot be in the future.")]})
    if occupied < 0 or occupied > garage.total_spaces * 2:
        raise ValidationError({"occupied": [_("The count is not plausible for this garage.")]})
    with transaction.atomic():
        locked = Garage.objects.select_for_update().get(pk=garage.pk)
        since = GateEvent.objects.filter(garage=garage, at__gt=at, open=True).aggregate(
            ins=Count("pk", filter=Q(direction="in")), outs=Count("pk", filter=Q(direction="out"))
        )
        moved = since["ins"] - since["outs"]
        entry = OccupancyCount.objects.create(
            garage=garage,
            counted_at=at,
            occupied=occupied,
            computed=locked.occupied - moved,
            recorded_by=actor,
            note=note[:200],
        )
        locked.occupied = max(occupied + moved, 0)
        locked.counted_at = at
        locked.save(update_fields=["occupied", "counted_at"])
        record("parking.count", actor=actor, obj=garage, occupied=occupied, drift=entry.drift)
    return entry


def shared_inside(garage: Garage) -> QuerySet[Presence]:
    """The shared-pass cars inside now, the longest there first (plates masked on the rows)."""
    return garage.inside.filter(pass_obj__isnull=False).order_by("entered_at")


def income(garage: Garage, first: date | None = None, last: date | None = None) -> dict[str, Any]:
    """Money of paid orders and refunds over local dates (both included), in fen.

    Without dates: the month to date. The answer names the period it covers.
    """
    today = periods.today()
    first = first or today.replace(day=1)
    last = last or today
    paid = (
        Payment.objects.filter(
            order__pass_obj__garage=garage, at__date__gte=first, at__date__lte=last
        ).aggregate(total=Sum("amount_fen"))["total"]
        or 0
    )
    refunded = (
        Refund.objects.filter(
            order__pass_obj__garage=garage, created__date__gte=first, created__date__lte=last
        ).aggregate(total=Sum("amount_fen"))["total"]
        or 0
    )
    orders = Order.objects.filter(
        pass_obj__garage=garage, paid_at__date__gte=first, paid_at__date__lte=last
    ).count()
    return {
        "first": first,
        "last": last,
        "paid_fen": int(paid),
        "refunded_fen": int(refunded),
        "net_fen": int(paid - refunded),
        "orders": orders,
    }
