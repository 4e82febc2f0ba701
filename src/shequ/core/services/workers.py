"""Several `shequ worker` processes side by side: each periodic job's schedule slot claimed by
one of them (``claim``, ``run_claimed``), and each process's heartbeat (``Heartbeat``).

A claim is a row inserted under a unique (task, slot) constraint in its own transaction: on
PostgreSQL the second insert waits for the first to commit and then fails, on SQLite the
write transactions are serialised anyway; either way exactly one worker gets the row. A worker
that dies after claiming loses that slot's run (the next slot runs as usual): a periodic job
catches up on what it missed, it never depends on one particular run.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from shequ.core.models import PeriodicClaim, WorkerHeartbeat

log = logging.getLogger(__name__)
T = TypeVar("T")

HEARTBEAT_KEEP = timedelta(days=1)
MIGRATION_LOCK = 0x7368_6571_7500  # PostgreSQL advisory lock key ("shequ")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(task: str, slot: datetime) -> PeriodicClaim | None:
    """The claim of TASK's run for SLOT, or None when another worker already holds it."""
    try:
        with transaction.atomic():
            return PeriodicClaim.objects.create(
                task=task, slot=slot, worker=worker_name(), claimed_at=timezone.now()
            )
    except IntegrityError:
        return None


def run_claimed(task: str, slot: datetime, job: Callable[[], T]) -> T | None:
    """Run JOB if this worker claims TASK's SLOT; None (and nothing run) when another did."""
    taken = claim(task, slot)
    if taken is None:
        log.info("periodic %s for %s: run by another worker, skipped", task, _minute(slot))
        return None
    log.info("periodic %s for %s: claimed by %s", task, _minute(slot), taken.worker)
    try:
        result = job()
    except BaseException:
        PeriodicClaim.objects.filter(pk=taken.pk).update(finished_at=timezone.now(), failed=True)
        raise
    PeriodicClaim.objects.filter(pk=taken.pk).update(finished_at=timezone.now())
    return result


def _minute(slot: datetime) -> str:
    return slot.isoformat(timespec="minutes")


def purge(now: datetime | None = None) -> dict[str, int]:
    """Claims older than ``PERIODIC_CLAIM_DAYS`` and heartbeats of processes gone a day."""
    now = now or timezone.now()
    claims, _ = PeriodicClaim.objects.filter(
        claimed_at__lt=now - timedelta(days=settings.PERIODIC_CLAIM_DAYS)
    ).delete()
    beats, _ = WorkerHeartbeat.objects.filter(last_seen__lt=now - HEARTBEAT_KEEP).delete()
    return {"claims": claims, "heartbeats": beats}


def alive(within: timedelta, now: datetime | None = None) -> list[WorkerHeartbeat]:
    """Workers seen within WITHIN and not stopped, newest first."""
    now = now or timezone.now()
    return list(
        WorkerHeartbeat.objects.filter(
            last_seen__gte=now - within, stopped_at__isnull=True
        ).order_by("-last_seen")
    )


class Heartbeat(threading.Thread):
    """Records this worker process every ``WORKER_HEARTBEAT_SECONDS`` in its own thread
    (a periodic job would not do: only one worker runs each slot of those)."""

    def __init__(self, every: float | None = None) -> None:
        super().__init__(name="shequ-heartbeat", daemon=True)
        self.every = float(every if every is not None else settings.WORKER_HEARTBEAT_SECONDS)
        self.done = threading.Event()
        now = timezone.now()
        self.row = WorkerHeartbeat.objects.create(
            hostname=socket.gethostname(), pid=os.getpid(), started_at=now, last_seen=now
        )

    def beat(self) -> None:
        now = timezone.now()
        if not WorkerHeartbeat.objects.filter(pk=self.row.pk).update(last_seen=now):
            # Purged while this worker was stuck for a day: record it again.
            self.row.pk = None
            self.row.last_seen = now
            self.row.save(force_insert=True)

    def run(self) -> None:
        try:
            while not self.done.wait(self.every):
                try:
                    self.beat()
                except DatabaseError as exc:
                    log.warning("worker heartbeat not recorded: %s", exc)
                    close_old_connections()
        finally:
            connection.close()  # this thread's own connection

    def stop(self) -> None:
        """Stop beating and record the stop (from the thread that started it)."""
        self.done.set()
        self.join(timeout=self.every + 5)
        try:
            WorkerHeartbeat.objects.filter(pk=self.row.pk).update(stopped_at=timezone.now())
        except DatabaseError as exc:
            log.warning("worker stop not recorded: %s", exc)


@contextmanager
def migration_lock() -> Iterator[None]:
    """One process at a time applies migrations: servers and workers started together on a
    new version wait for the first, then find nothing left to do. PostgreSQL: an advisory
    lock of the session; SQLite: a file lock beside the database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])
        return
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" or name == ":memory:" or "mode=memory" in name:
        yield
        return
    fd = os.open(f"{name}-migrate.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
