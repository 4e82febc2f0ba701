"""Background work of the core app, run by `shequ worker` (huey)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from huey import crontab
from huey.contrib.djhuey import db_task

from shequ.core.models import Region
from shequ.core.periodic import periodic_job
from shequ.core.services import workers
from shequ.core.services.notify import notify_people, notify_region
from shequ.core.signals import people_message_queued, region_message_queued
from shequ.core.transports.base import Message


@db_task(retries=2, retry_delay=30)
def notify_region_task(region_id: int, message: Message) -> int:
    """Deliver a message through a region's channels; return how many were sent."""
    region = Region.objects.get(pk=region_id)
    return sum(d.status == "sent" for d in notify_region(region, message))


@receiver(region_message_queued, dispatch_uid="core.notify_region_later")
def _queue_region_message(sender: Any, region_id: int, message: Message, **kwargs: Any) -> None:
    notify_region_task(region_id, message)


@db_task(retries=2, retry_delay=30)
def notify_people_task(user_ids: list[int], message: Message) -> int:
    """Deliver a message through people's own channels; return how many were sent."""
    return sum(d.status == "sent" for d in notify_people(user_ids, message))


@receiver(people_message_queued, dispatch_uid="core.notify_people_later")
def _queue_people_message(
    sender: Any, user_ids: list[int], message: Message, **kwargs: Any
) -> None:
    notify_people_task(user_ids, message)


@periodic_job(crontab(hour="3", minute="50"))
def purge_worker_records() -> dict[str, int]:
    """Nightly: periodic jobs' old claims and the heartbeats of workers gone for a day."""
    return workers.purge()
