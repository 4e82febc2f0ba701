"""The feedback indicators' figures: satisfaction and time to first reply, per service.

Both look at the feedback given in the ``DAYS`` before the moment asked for, in the region (a
street holds its communities' feedback). Hidden comments count: moderation hides words, not
the rating. A comment not answered yet has no time to first reply; the inbox's "unanswered"
filter shows those.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import median

from django.db.models import Avg, QuerySet

from shequ.core.models import Region
from shequ.dashboard.indicators.registry import NoData, Reason
from shequ.dashboard.models import Feedback

DAYS = 30


def _given(region: Region, now: datetime, service: str) -> QuerySet[Feedback]:
    found = Feedback.objects.filter(
        region__code__startswith=region.prefix,
        created_at__gt=now - timedelta(days=DAYS),
        created_at__lte=now,
    )
    return found.filter(service=service) if service else found


def satisfaction(region: Region, now: datetime, service: str = "") -> float:
    """The average rating (1–5)."""
    given = _given(region, now, service)
    average = given.aggregate(avg=Avg("rating"))["avg"]
    if average is None:
        raise NoData(Reason.NOT_MEASURED, f"no feedback in {DAYS} days")
    return round(float(average), 2)


def reply_hours_median(region: Region, now: datetime, service: str = "") -> float:
    """The median time from a comment to its first reply, in hours."""
    given = _given(region, now, service)
    pairs = given.filter(first_replied_at__lte=now).values_list("created_at", "first_replied_at")
    hours = [(replied - created).total_seconds() / 3600 for created, replied in pairs if replied]
    if not hours:
        raise NoData(Reason.NOT_MEASURED, f"no reply in {DAYS} days")
    return round(median(hours), 2)
