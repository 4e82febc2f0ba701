"""What `shequ worker` processes record about themselves: a claim per periodic job and
schedule slot (so several workers run each slot once), and a heartbeat per process."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicClaim(models.Model):
    """One periodic job's run for one schedule slot (its scheduled minute), taken by the worker
    that inserted the row first: the unique constraint makes every other worker skip it."""

    task = models.CharField(max_length=200)
    slot = models.DateTimeField()
    worker = models.CharField(max_length=200)  # hostname:pid
    claimed_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    failed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "slot"], name="core_periodic_claim_once")
        ]
        indexes = [models.Index(fields=["claimed_at"], name="core_periodic_claimed")]
        verbose_name = _("periodic job claim")
        verbose_name_plural = _("periodic job claims")

    def __str__(self) -> str:
        return f"{self.task} @ {self.slot:%Y-%m-%d %H:%M} by {self.worker}"


class WorkerHeartbeat(models.Model):
    """A `shequ worker` process, seen alive at ``last_seen`` (``shequ doctor`` reads it)."""

    hostname = models.CharField(max_length=200)
    pid = models.IntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hostname", "pid", "started_at"], name="core_worker_heartbeat_process"
            )
        ]
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid}"
