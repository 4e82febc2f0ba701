"""Dates of passes and plan periods: calendar months, local dates."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from django.utils import timezone


def today() -> date:
    return timezone.localdate()


def local_naive(moment: datetime) -> datetime:
    """A moment as naive local wall-clock time, as the sharing hours are written."""
    return timezone.localtime(moment).replace(tzinfo=None)


def aware(naive: datetime) -> datetime:
    return timezone.make_aware(naive)


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def pass_end(start: date, months: int) -> date:
    """The last day of a pass of ``months`` starting on ``start`` (1 Mar + 1 month -> 31 Mar)."""
    return add_months(start, months) - timedelta(days=1)


def next_period_start(day: date) -> date:
    """The first day of the month after ``day``'s: when a changed plan may take effect."""
    return add_months(day.replace(day=1), 1)
