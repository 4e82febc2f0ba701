"""Worker jobs of flowback: announce each committed version to the dataset's subscribers."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shequ.hub.models import Dataset, DatasetVersion, Subscription
from shequ.hub.services.flowback import announce, sweep


@db_task()
def announce_version(dataset_id: int, version: int) -> int:
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    return announce(dataset, version) if dataset is not None else 0


@db_periodic_task(crontab(minute="*/5"))
def sweep_announcements() -> int:
    """Whatever the per-version task missed (worker down, channel failing) goes out here."""
    return sweep()


@receiver(post_save, sender=DatasetVersion, dispatch_uid="hub.flowback.announce")
def _version_committed(sender: Any, instance: DatasetVersion, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    if Subscription.objects.filter(dataset_id=instance.dataset_id, active=True).exists():
        # Once the version's transaction has committed, so the worker reads it.
        dataset_id, version = instance.dataset_id, instance.version
        transaction.on_commit(lambda: announce_version(dataset_id, version))
