"""Capacity: how many spaces of a plan are unsold on every day of a span.

Passes, payments (a late payment finds its space taken), waiting (an offer needs a space) and
allocation all ask this; it depends on none of them, so none depends on another for it.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from shequ.parking.models import Application, Garage, Pass, SharingPlan, WaitingListEntry


def holding(garage: Garage, plan_code: str, first: date, last: date) -> QuerySet[Pass]:
    """Passes that hold a space of the plan on some day from first to last."""
    now = timezone.now()
    return Pass.objects.filter(
        garage=garage, plan_code=plan_code, starts_on__lte=last, ends_on__gte=first
    ).filter(
        Q(status__in=[Pass.Status.ACTIVE, Pass.Status.SUSPENDED])
        | Q(status=Pass.Status.PENDING, hold_until__gt=now)
    )


def open_offers(garage: Garage, plan_code: str, exclude: Application | None = None) -> int:
    offers = WaitingListEntry.objects.filter(
        garage=garage,
        plan_code=plan_code,
        status=WaitingListEntry.Status.OFFERED,
        offered_until__gt=timezone.now(),
    )
    if exclude is not None:
        offers = offers.exclude(application=exclude)
    return offers.count()


def free_spaces(
    garage: Garage,
    plan_code: str,
    first: date,
    last: date,
    for_application: Application | None = None,
) -> int:
    """The fewest unsold spaces of the plan on any day from first to last."""
    versions = list(
        SharingPlan.objects.filter(garage=garage, code=plan_code, valid_from__lte=last).order_by(
            "valid_from"
        )
    )
    if not versions or versions[0].valid_from > first:
        return 0
    spans = list(holding(garage, plan_code, first, last).values_list("starts_on", "ends_on"))
    # The number of passes only rises on a start day, and capacity only changes on valid_from.
    days = (
        {first}
        | {s for s, _e in spans if s > first}
        | {v.valid_from for v in versions if v.valid_from > first}
    )
    offers = open_offers(garage, plan_code, for_application)
    fewest = None
    for day in sorted(days):
        capacity = [v for v in versions if v.valid_from <= day][-1].capacity
        used = sum(1 for s, e in spans if s <= day <= e)
        free = capacity - used - offers
        fewest = free if fewest is None else min(fewest, free)
    return max(fewest or 0, 0)
