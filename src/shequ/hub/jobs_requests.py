"""Worker job of data requests: remind approvers of overdue decisions, once a day each."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="7"))
def remind_overdue_requests() -> int:
    """Hourly; ``send_overdue_reminders`` itself keeps it to one reminder a request a day."""
    from shequ.hub.services.requests import send_overdue_reminders

    return send_overdue_reminders()
