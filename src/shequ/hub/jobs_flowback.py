"""Worker jobs of flowback: announce each committed version to the dataset's subscribers."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shequ.hub.models import DatasetVersion


@db_task()
def announce_version(dataset_id: int, version: int) -> int:
    from shequ.hub.models import Dataset
    from shequ.hub.services.flowback import announce

    dataset = Dataset.objects.filter(pk=dataset_id).first()
    return announce(dataset, version) if dataset is not None else 0


@db_periodic_task(crontab(minute="*/5"))
def sweep_announcements() -> int:
    """Whatever the per-version task missed (worker down, channel failing) goes out here."""
    from shequ.hub.services.flowback import sweep

    return sweep()


@receiver(post_save, sender=DatasetVersion, dispatch_uid="hub.flowback.announce")
def _version_committed(sender: Any, instance: DatasetVersion, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    from shequ.hub.models import Subscription
    from shequ.hub.services.flowback import announce_later

    if Subscription.objects.filter(dataset_id=instance.dataset_id, active=True).exists():
        announce_later(instance.dataset_id, instance.version)
