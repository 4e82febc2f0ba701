"""Worker jobs of the hub: queued runs, cron-scheduled sources, drop folders."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from shequ.hub.connectors.folder import FolderConnector
from shequ.hub.models import IngestRun, Source
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


@db_periodic_task(crontab(minute="*"))
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


@db_periodic_task(crontab(minute="*/15"))
def sweep_interrupted_runs() -> int:
    return mark_interrupted_runs()


@receiver(run_queued, dispatch_uid="hub.execute_run")
def _execute_queued_run(sender: Any, run_id: int, **kwargs: Any) -> None:
    execute_run(run_id)
