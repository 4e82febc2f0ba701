"""Worker jobs of the dashboards: refresh the indicators that are due, publish them to the hub."""

from __future__ import annotations

from huey import crontab

from shequ.core.periodic import periodic_job
from shequ.dashboard.services import refresh


@periodic_job(crontab(minute="*/5"))
def refresh_indicators() -> int:
    """Every five minutes: each indicator whose interval has passed (5 minutes to 6 hours)."""
    return refresh.run()
