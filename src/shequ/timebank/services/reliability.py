"""A volunteer's reliability: the share of their orders they turned up for, recent ones
weighing more (a weight halves every 30 days), with a prior of two kept orders so one
early no-show does not brand a newcomer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from shequ.timebank.models import Order

HALF_LIFE_DAYS = 30
PRIOR_KEPT = 2.0
SINCE_DAYS = 365
COUNTED = (
    Order.Status.IN_SERVICE,
    Order.Status.COMPLETED,
    Order.Status.DISPUTED,
    Order.Status.CONFIRMED,
    Order.Status.NO_SHOW,
)


def weight(at: datetime, now: datetime) -> float:
    return float(0.5 ** (max(0.0, (now - at).total_seconds()) / 86400 / HALF_LIFE_DAYS))


def scores(member_ids: Iterable[int], now: datetime | None = None) -> dict[int, float]:
    """Member id -> reliability between 0 and 1 (1.0 for a member with no history), in one query."""
    now = now or timezone.now()
    ids = list(member_ids)
    kept: dict[int, float] = defaultdict(float)
    missed: dict[int, float] = defaultdict(float)
    found = Order.objects.filter(
        volunteer_id__in=ids, status__in=COUNTED, taken_at__gte=now - timedelta(days=SINCE_DAYS)
    ).values_list("volunteer_id", "status", "taken_at")
    for volunteer_id, status, at in found:
        target = missed if status == Order.Status.NO_SHOW else kept
        target[volunteer_id] += weight(at, now)
    return {
        pk: round((kept[pk] + PRIOR_KEPT) / (kept[pk] + missed[pk] + PRIOR_KEPT), 3) for pk in ids
    }
