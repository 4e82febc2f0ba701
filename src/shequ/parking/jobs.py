"""Worker jobs of shared parking: overstay sweep, offers and holds running out, reminders,
the nightly indices."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*/5"))
def sweep_overstays() -> dict[str, int]:
    from shequ.parking.services.overstay import sweep

    return sweep()


@db_periodic_task(crontab(minute="*/10"))
def expire_holds_and_offers() -> int:
    from shequ.parking.services.passes import expire_passes
    from shequ.parking.services.waiting import expire_offers

    return expire_passes() + expire_offers()


@db_periodic_task(crontab(hour="9", minute="0"))
def remind_renewals() -> int:
    from shequ.parking.services.reminders import send_renewal_reminders

    return send_renewal_reminders()


@db_periodic_task(crontab(hour="3", minute="20"))
def publish_parking_indices() -> dict[str, int | None]:
    """Nightly: berth and parking indices and idle night spaces, published back to the hub."""
    from shequ.parking.indices import compute_and_publish_indices

    return compute_and_publish_indices().published
