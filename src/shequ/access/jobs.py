"""Worker jobs of access control: the access log's retention."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from shequ.access.services import log


@db_periodic_task(crontab(hour="3", minute="40"))
def purge_access_log() -> int:
    """Nightly: delete access events past ``SHEQU_ACCESS_LOG_DAYS`` (180 by default)."""
    return log.purge()
