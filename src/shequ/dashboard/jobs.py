"""Worker jobs of the dashboards: refresh the indicators, the Monday weekly report."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY

from shequ.core.periodic import periodic_job
from shequ.dashboard.services import refresh
from shequ.dashboard.services.report import weekly


@periodic_job(crontab(minute="*/5"))
def refresh_indicators() -> int:
    """Every five minutes: each indicator whose interval has passed (5 minutes to 6 hours)."""
    return refresh.run()


def monday_seven(moment: datetime) -> bool:
    """Monday 07:00 in the platform's time zone (Asia/Shanghai), whatever zone the worker
    schedules in: huey hands a naive UTC time (``utc=True``, its default) or a local one."""
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC) if HUEY.utc else timezone.make_aware(moment)
    local = timezone.localtime(moment)
    return local.isoweekday() == 1 and local.hour == 7 and local.minute == 0


@periodic_job(monday_seven)
def weekly_reports() -> str:
    """Every Monday 07:00: last week's report of every street and community, staff told."""
    outcome = weekly.run()
    return f"{outcome.week}: {outcome.reports} reports, {outcome.notified} regions notified"
