"""Read-only counts of parking's own records for other apps (through ``services.public``)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Sum
from django.utils import timezone

from shequ.parking.models import Order, Pass


def active_passes(region_prefix: str, on: date | None = None) -> int:
    """Shared passes in force on ``on`` (default today) in garages under a region prefix."""
    on = on or timezone.localdate()
    return Pass.objects.filter(
        garage__region__code__startswith=region_prefix,
        status=Pass.Status.ACTIVE,
        starts_on__lte=on,
        ends_on__gte=on,
    ).count()


def revenue_fen(region_prefix: str, days: int = 30) -> int:
    """Paid pass orders of the last ``days`` in garages under a region prefix, in fen."""
    since = timezone.now() - timedelta(days=days)
    total = Order.objects.filter(
        pass_obj__garage__region__code__startswith=region_prefix,
        status=Order.Status.PAID,
        paid_at__gte=since,
    ).aggregate(s=Sum("amount_fen"))["s"]
    return int(total or 0)
