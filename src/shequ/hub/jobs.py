"""Worker jobs of the hub: queued runs, cron-scheduled sources, drop folders; announcing new
versions to subscribers; reminding approvers of overdue data requests."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_task

from shequ.core.periodic import periodic_job
from shequ.hub.connectors.folder import FolderConnector
from shequ.hub.models import Dataset, DatasetVersion, IngestRun, Source, Subscription
from shequ.hub.services import compaction, statistics, vacuum
from shequ.hub.services.flowback import announce, sweep
from shequ.hub.services.requests import send_overdue_reminders
from shequ.hub.services.runs import clear_config, mark_interrupted_runs, run_source
from shequ.hub.services.sources import due_sources, next_run_after, queue_run
from shequ.hub.signals import run_queued

log = logging.getLogger(__name__)


@db_task()
def execute_run(run_id: int) -> str:
    """Claim a queued run (so a repeated task does nothing) and carry it out."""
    claimed = IngestRun.objects.filter(pk=run_id, status=IngestRun.Status.QUEUED).update(
        status=IngestRun.Status.RUNNING, started=timezone.now()
    )
    if not claimed:
        return "already taken"
    run = IngestRun.objects.select_related("source", "dataset").get(pk=run_id)
    if run.source is None:
        run.status, run.error = IngestRun.Status.FAILED, "the run has no source"
        run.save(update_fields=["status", "error"])
        return run.status
    return run_source(run.source, run=run).status


@periodic_job(crontab(minute="*"))
def schedule_sources() -> int:
    """Queue a run for every source whose cron schedule is due; a drop folder when it has files."""
    now = timezone.now()
    queued = 0
    for source in due_sources(now):
        with transaction.atomic():
            # Move next_run first: two workers ticking at once queue one run, not two.
            moved = Source.objects.filter(pk=source.pk, next_run=source.next_run).update(
                next_run=next_run_after(source.schedule, now)
            )
            if moved:
                queue_run(source)
                queued += 1
    for source in Source.objects.filter(enabled=True, connector="folder"):
        busy = source.runs.filter(status__in=["queued", "running"]).exists()
        if not busy and FolderConnector.pending(clear_config(source)):
            with transaction.atomic():
                queue_run(source)
            queued += 1
    return queued


@periodic_job(crontab(minute="*/15"))
def sweep_interrupted_runs() -> int:
    return mark_interrupted_runs()


@receiver(run_queued, dispatch_uid="hub.execute_run")
def _execute_queued_run(sender: Any, run_id: int, **kwargs: Any) -> None:
    execute_run(run_id)


# Flowback: announce each committed version to the dataset's subscribers.


@db_task()
def announce_version(dataset_id: int, version: int) -> int:
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    return announce(dataset, version) if dataset is not None else 0


@periodic_job(crontab(minute="*/5"))
def sweep_announcements() -> int:
    """Whatever the per-version task missed (worker down, channel failing) goes out here."""
    return sweep()


@receiver(post_save, sender=DatasetVersion, dispatch_uid="hub.flowback.announce")
def _version_committed(sender: Any, instance: DatasetVersion, created: bool, **kwargs: Any) -> None:
    if not created or instance.operation == compaction.OPERATION:  # no row changed
        return
    if Subscription.objects.filter(dataset_id=instance.dataset_id, active=True).exists():
        # Once the version's transaction has committed, so the worker reads it.
        dataset_id, version = instance.dataset_id, instance.version
        transaction.on_commit(lambda: announce_version(dataset_id, version))


# Data requests


@periodic_job(crontab(minute="7"))
def remind_overdue_requests() -> int:
    """Hourly; ``send_overdue_reminders`` itself keeps it to one reminder a request a day."""
    return send_overdue_reminders()


# Column statistics of each committed version, computed after its commit.


@db_task()
def version_statistics(dataset_id: int, version: int) -> bool:
    """Column statistics of a committed version (see services.statistics)."""
    return statistics.compute(dataset_id, version)


@periodic_job(crontab(minute="*/5"))
def sweep_version_statistics() -> int:
    """What a job queued at a commit missed (worker down, job failed) is computed here."""
    return statistics.sweep()


@receiver(post_save, sender=DatasetVersion, dispatch_uid="hub.version_statistics")
def _version_recorded(sender: Any, instance: DatasetVersion, created: bool, **kwargs: Any) -> None:
    if created and statistics.pending(instance):
        # Once the version's transaction has committed, so the worker reads it.
        dataset_id, version = instance.dataset_id, instance.version
        transaction.on_commit(lambda: version_statistics(dataset_id, version))


# Compaction of tables appended often (many small files), hourly.


@periodic_job(crontab(minute="41"))
def compact_tables() -> int:
    """Rewrite the small data files of datasets that have many (see services.compaction)."""
    return len(compaction.compact_all())


# Expiry of the files compaction (or a replace, an upsert) removed, once past the retention.


@periodic_job(crontab(minute="53"))
def vacuum_tables() -> int:
    """Delete replaced data files older than HUB_VACUUM_RETENTION_HOURS (services.vacuum)."""
    return sum(v.files for v in vacuum.vacuum_all())
