"""Worker jobs of shared parking: overstay sweep, offers and holds running out, reminders,
the nightly indices, refunds owed on online payments."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from huey import crontab
from huey.contrib.djhuey import db_task

from shequ.core.periodic import periodic_job
from shequ.parking.models import Refund
from shequ.parking.services import overstay, passes, refunds, reminders, waiting
from shequ.parking.services.callbacks import sync_lapsing
from shequ.parking.services.errors import Conflict
from shequ.parking.services.indices import compute_and_publish_indices
from shequ.parking.signals import refund_owed


@periodic_job(crontab(minute="*/5"))
def sweep_overstays() -> dict[str, int]:
    return overstay.sweep()


@periodic_job(crontab(minute="*/10"))
def expire_holds_and_offers() -> int:
    sync_lapsing()  # a payment whose notification was lost still counts
    return passes.expire_passes() + waiting.expire_offers()


@periodic_job(crontab(hour="9", minute="0"))
def remind_renewals() -> int:
    return reminders.send_renewal_reminders()


@periodic_job(crontab(hour="3", minute="20"))
def publish_parking_indices() -> dict[str, int | None]:
    """Nightly: berth and parking indices and idle night spaces, published back to the hub."""
    return compute_and_publish_indices().published


@db_task(retries=5, retry_delay=60)
def issue_refund_job(refund_pk: int) -> str:
    """Pay back a refund owed on an online payment (late or double payments) via its provider.

    A provider that refuses leaves the refund requested: staff see it on the refunds page.
    """
    refund = Refund.objects.select_related("order").get(pk=refund_pk)
    try:
        return refunds.issue_refund(refund).status
    except Conflict as exc:
        if exc.code == "provider_unavailable":
            raise  # huey tries again later
        return exc.code


@receiver(refund_owed, dispatch_uid="parking.issue_refund")
def _queue_refund(sender: Any, refund_id: int, **kwargs: Any) -> None:
    issue_refund_job(refund_id)
