"""What one weekly report says: the region, the week, its figures and the open problems."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from shequ.core.models import Region
from shequ.dashboard.services.report import figures, problems
from shequ.dashboard.services.report.figures import MET, NO_DATA, NOT_MET, Line
from shequ.dashboard.services.report.problems import Problem
from shequ.dashboard.services.report.weeks import Week


@dataclass(frozen=True)
class Report:
    region: Region
    week: Week
    lines: list[Line]
    problems: list[Problem]
    generated_at: datetime

    @property
    def title(self) -> str:
        return _("%(region)s weekly report, %(week)s") % {
            "region": self.region.name,
            "week": self.week.name,
        }

    @property
    def period(self) -> str:
        return _("%(monday)s to %(sunday)s") % {
            "monday": formats.date_format(self.week.monday, "Y-m-d"),
            "sunday": formats.date_format(self.week.sunday, "Y-m-d"),
        }

    @property
    def generated(self) -> str:
        return timezone.localtime(self.generated_at).strftime("%Y-%m-%d %H:%M")

    def count(self, status: str) -> int:
        return sum(1 for line in self.lines if line.status == status)

    @property
    def summary(self) -> str:
        return _(
            "%(n)s indicators: %(met)s met the target, %(not_met)s did not, %(none)s without "
            "data. %(problems)s open problems."
        ) % {
            "n": len(self.lines),
            "met": self.count(MET),
            "not_met": self.count(NOT_MET),
            "none": self.count(NO_DATA),
            "problems": len(self.problems),
        }


def build(region: Region, week: Week, now: datetime | None = None) -> Report:
    """The report's content in the active language (numbers and texts follow it)."""
    found = figures.lines(region, week)
    return Report(region, week, found, problems.gather(region, found), now or timezone.now())
