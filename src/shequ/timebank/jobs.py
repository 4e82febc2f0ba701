"""Worker jobs of the time bank: the ledger's daily check, auto-confirmation, expiry,
untaken requests alerting staff, and telling matching volunteers about a new request."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver
from huey import crontab
from huey.contrib.djhuey import db_task

from shequ.core.periodic import periodic_job
from shequ.timebank.services import flowback, ledger, orders, records, requests, staff
from shequ.timebank.signals import request_open

log = logging.getLogger(__name__)


@periodic_job(crontab(hour="4", minute="10"))
def check_ledger() -> dict[str, Any]:
    """Daily: the ledger's invariants; a broken one is logged as an error for the operators."""
    report = ledger.check()
    for problem in report.problems:
        log.error("time bank ledger: %s", problem)
    return {"ok": report.ok, "accounts": report.accounts, "problems": len(report.problems)}


@periodic_job(crontab(hour="3", minute="40"))
def publish_indicators() -> dict[str, int | None]:
    """Nightly: the communities' monthly indicators and the service records, published back to
    the hub (anonymised); the version each is at."""
    return {flowback.KEY: flowback.publish(), records.KEY: records.publish()}


@periodic_job(crontab(minute="15"))
def confirm_unobjected() -> int:
    return orders.auto_confirm()


@periodic_job(crontab(minute="*/10"))
def expire_and_alert() -> dict[str, int]:
    return {"expired": requests.expire(), "alerted": staff.alert_untaken()}


@db_task(retries=2, retry_delay=30)
def tell_volunteers(request_id: int) -> int:
    return staff.tell_matching_volunteers(request_id)


@receiver(request_open, dispatch_uid="timebank.tell_volunteers")
def _queue_tell(sender: Any, request_id: int, **kwargs: Any) -> None:
    tell_volunteers(request_id)
