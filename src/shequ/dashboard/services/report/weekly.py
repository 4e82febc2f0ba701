"""The Monday run: every street's and community's report for last week, then its staff told.

The message carries a link to the archive page, not the figures (a robot's group chat is no
place for them). Each region is told once a week: the first run that generates its report
claims ``notified_at``; a rerun regenerates the files and tells no one again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shequ.core.errors import ServiceError
from shequ.core.models import Region
from shequ.core.services.notify import notify_region
from shequ.core.transports.base import Message
from shequ.dashboard.models import WeeklyReport
from shequ.dashboard.services.access import SHOWN_LEVELS
from shequ.dashboard.services.report import store
from shequ.dashboard.services.report.weeks import Week, last_complete

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    week: str
    made: list[WeeklyReport] = field(default_factory=list)
    notified: int = 0
    failed: list[str] = field(default_factory=list)  # region codes

    @property
    def reports(self) -> int:
        return len(self.made)


def regions() -> list[Region]:
    return list(Region.objects.filter(level__in=SHOWN_LEVELS).order_by("code"))


def notify(region: Region, week: Week) -> bool:
    """Tell the region's channels that its report is in the archive (once per week)."""
    claimed = WeeklyReport.objects.filter(
        region=region, week=week.name, notified_at__isnull=True
    ).update(notified_at=timezone.now())
    if not claimed:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        message = Message(
            title=_("Weekly report %(week)s: %(region)s")
            % {"week": week.name, "region": region.name},
            body=_("The weekly report is in the archive."),
            url=f"{reverse('dashboard:reports')}?region={region.code}",
            region_code=region.code,
            event_id=f"weekly-report:{region.code}:{week.name}",
        )
    notify_region(region, message)
    return True


def run(
    week: Week | None = None,
    *,
    now: datetime | None = None,
    only: Sequence[Region] | None = None,
    languages: Sequence[str] | None = None,
    tell: bool = True,
) -> Outcome:
    """Generate the reports of ``week`` (default: last week) of every region (or ``only``
    these) in every language (or ``languages``); tell each region's staff once."""
    week = week or last_complete(now)
    outcome = Outcome(week.name)
    for region in regions() if only is None else only:
        try:
            for language in languages or store.languages():
                outcome.made.append(store.generate(region, week, language))
        except ServiceError:
            raise  # the same for every region (no font, an unknown language): stop and say it
        except Exception:  # one region's failure must not keep the others' reports back
            log.exception("weekly report: %s %s failed", region.code, week.name)
            outcome.failed.append(region.code)
            continue
        if tell and notify(region, week):
            outcome.notified += 1
    return outcome
