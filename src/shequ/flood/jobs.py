"""Worker jobs of the flood watch: the no-data sweep."""

from __future__ import annotations

from huey import crontab

from shequ.core.periodic import periodic_job
from shequ.flood.services import downlink, flowback, sweeps


@periodic_job(crontab(minute="*"))
def sweep_no_data() -> int:
    """Every minute: a device silent for 3 of its reporting intervals opens a no-data alert."""
    return sweeps.sweep_no_data()


@periodic_job(crontab(minute="*"))
def sweep_cameras() -> int:
    """Every minute: a camera alert whose camera saw nothing of its kind for a while resolves."""
    return sweeps.sweep_cameras()


@periodic_job(crontab(minute="7"))
def publish_to_hub() -> dict[str, int]:
    """Hourly: readings and alerts flow back to the hub for the departments (R3.5)."""
    return flowback.publish()


@periodic_job(crontab(minute="*"))
def remind_unacknowledged() -> int:
    """Every minute: alerts firing unacknowledged for 15 minutes since their last message."""
    return sweeps.remind()


@periodic_job(crontab(minute="*"))
def publish_device_configs() -> int:
    """Every minute: device configurations the broker did not take (it was away) sent again."""
    return downlink.publish_pending()
