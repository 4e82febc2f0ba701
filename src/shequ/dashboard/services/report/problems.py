"""The open problems a weekly report lists, as of its generation.

Indicators that closed the week off target, and what is still open in the region: flood and
door alerts, welfare checks, unanswered residents' comments and unfinished staff tasks. The
other apps are read through their ``services/public.py``; only counts, nothing personal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from shequ.access.services import public as access_public
from shequ.core.models import Region
from shequ.dashboard.models import Feedback, StaffTask, TaskStatus
from shequ.dashboard.services import values
from shequ.dashboard.services.report.figures import NOT_MET, Line
from shequ.flood.services import public as flood_public


@dataclass(frozen=True)
class Problem:
    kind: str  # off_target, flood_alerts, door_alerts, welfare, feedback, tasks
    text: str  # in the report's language
    count: int


def _level_names() -> dict[int, str]:
    return {4: _("red"), 3: _("orange"), 2: _("yellow"), 1: _("blue")}


def off_target(found: Sequence[Line]) -> list[Problem]:
    text = _("%(title)s closed the week at %(value)s %(unit)s, target %(target)s.")
    return [
        Problem("off_target", text % {"title": line.title, "value": line.now.display,
                                      "unit": line.unit, "target": line.target_display}, 1)
        for line in found
        if line.status == NOT_MET
    ]  # fmt: skip


def open_now(region: Region) -> list[Problem]:
    """What is still open under the region (zero counts are left out)."""
    prefix = region.prefix
    found: list[Problem] = []
    flood = flood_public.open_alerts_by_level(prefix)
    if sum(flood.values()):
        names = _level_names()
        parts = ", ".join(
            f"{names[level]} {values.number(flood[level], 0)}"
            for level in sorted(flood, reverse=True)
            if flood[level]
        )
        found.append(
            Problem(
                "flood_alerts",
                _("Open flood alerts: %(n)s (%(parts)s).")
                % {"n": values.number(sum(flood.values()), 0), "parts": parts},
                sum(flood.values()),
            )
        )
    counts = [
        ("door_alerts", access_public.figures(prefix)["open_alerts"],
         _("Open door alerts: %(n)s.")),
        ("welfare", access_public.welfare_figures(prefix)["open"],
         _("Welfare checks still open: %(n)s.")),
        ("feedback", Feedback.objects.filter(region__code__startswith=prefix, hidden=False,
                                             first_replied_at__isnull=True).count(),
         _("Residents' comments without a reply: %(n)s.")),
        ("tasks", StaffTask.objects.filter(region__code__startswith=prefix).exclude(
            status=TaskStatus.DONE).count(), _("Staff tasks not done: %(n)s.")),
    ]  # fmt: skip
    for kind, n, text in counts:
        if n:
            found.append(Problem(kind, text % {"n": values.number(n, 0)}, n))
    return found


def gather(region: Region, found: Sequence[Line]) -> list[Problem]:
    return off_target(found) + open_now(region)
