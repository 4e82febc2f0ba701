"""Worker jobs of shared parking: overstay sweep, offers and holds running out, reminders,
the nightly indices."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_periodic_task(crontab(minute="*/5"))
def sweep_overstays() -> dict[str, int]:
    from shequ.parking.services.overstay import sweep

    return sweep()


@db_periodic_task(crontab(minute="*/10"))
def expire_holds_and_offers() -> int:
    from shequ.parking.services.passes import expire_passes
    from shequ.parking.services.payments import sync_lapsing
    from shequ.parking.services.waiting import expire_offers

    sync_lapsing()  # a payment whose notification was lost still counts
    return expire_passes() + expire_offers()


@db_periodic_task(crontab(hour="9", minute="0"))
def remind_renewals() -> int:
    from shequ.parking.services.reminders import send_renewal_reminders

    return send_renewal_reminders()


@db_periodic_task(crontab(hour="3", minute="20"))
def publish_parking_indices() -> dict[str, int | None]:
    """Nightly: berth and parking indices and idle night spaces, published back to the hub."""
    from shequ.parking.services.indices import compute_and_publish_indices

    return compute_and_publish_indices().published


@db_task(retries=5, retry_delay=60)
def issue_refund_job(refund_pk: int) -> str:
    """Pay back a refund owed on an online payment (late or double payments) via its provider.

    A provider that refuses leaves the refund requested: staff see it on the refunds page.
    """
    from shequ.parking.models import Refund
    from shequ.parking.services.errors import Conflict
    from shequ.parking.services.payments import issue_refund

    refund = Refund.objects.select_related("order").get(pk=refund_pk)
    try:
        return issue_refund(refund).status
    except Conflict as exc:
        if exc.code == "provider_unavailable":
            raise  # huey tries again later
        return exc.code
