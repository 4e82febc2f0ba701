"""ISO weeks (2026-W49) as the report names them, and their bounds in local time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.errors import Invalid

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Week:
    year: int
    number: int

    @property
    def name(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def start(self) -> datetime:
        """Monday 00:00 in the platform's time zone (Asia/Shanghai by default)."""
        return timezone.make_aware(datetime.combine(self.monday, time()))

    @property
    def end(self) -> datetime:
        """The next Monday 00:00 (exclusive)."""
        return timezone.make_aware(datetime.combine(self.monday + timedelta(days=7), time()))

    def previous(self) -> Week:
        return of(self.monday - timedelta(days=7))


def of(day: date) -> Week:
    year, number, _weekday = day.isocalendar()
    return Week(year, number)


def parse(text: str) -> Week:
    """``2026-W49`` → that week; a 422 naming ``week`` for anything else."""
    found = _WEEK.fullmatch(text.strip())
    if found:
        try:
            date.fromisocalendar(int(found[1]), int(found[2]), 1)
            return Week(int(found[1]), int(found[2]))
        except ValueError:
            pass
    raise Invalid(
        _("week: %(text)s is not an ISO week such as 2026-W49.") % {"text": text[:20]},
        fields={"week": [_("An ISO week such as 2026-W49.")]},
    )


def last_complete(now: datetime | None = None) -> Week:
    """The last week that has ended by ``now`` (on a Monday: the week before)."""
    today = timezone.localdate(now or timezone.now())
    return of(today - timedelta(days=7))
