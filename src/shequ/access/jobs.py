"""Worker jobs of access control: the access log's retention, the welfare sweep."""

from __future__ import annotations

from huey import crontab

from shequ.access.services import log, welfare
from shequ.core.periodic import periodic_job


@periodic_job(crontab(hour="3", minute="40"))
def purge_access_log() -> int:
    """Nightly: delete access events past ``SHEQU_ACCESS_LOG_DAYS`` (180 by default)."""
    return log.purge()


@periodic_job(crontab(minute="15"))
def welfare_sweep() -> int:
    """Hourly (quiet hours skipped): elders living alone not seen at any door for a while."""
    return welfare.sweep()
