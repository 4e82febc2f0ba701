"""Periodic jobs run once per schedule slot across several workers (core.periodic, issue 21)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from shequ.core.jobqueue import SLOT_KWARG
from shequ.core.jobs import purge_worker_records
from shequ.core.models import PeriodicClaim, WorkerHeartbeat
from shequ.core.periodic import ONCE_PER_SLOT, unclaimed_periodic_tasks
from shequ.core.services import workers

pytestmark = pytest.mark.django_db
SLOT = "2026-03-01T03:50:00"


def test_every_registered_periodic_task_claims_its_slot() -> None:
    registered = HUEY._registry._periodic_tasks
    assert len(registered) >= 20  # every app's jobs are imported by Django's setup
    assert unclaimed_periodic_tasks() == []
    assert set(registered) <= ONCE_PER_SLOT


def test_a_periodic_task_declared_without_the_claim_is_caught() -> None:
    @db_periodic_task(crontab(minute="*"))
    def forgotten() -> None:
        """A job declared with huey's decorator alone."""

    try:
        assert unclaimed_periodic_tasks() == [f"{__name__}.forgotten"]
    finally:
        forgotten.unregister()


def test_the_queue_stamps_each_due_periodic_task_with_its_minute() -> None:
    due = HUEY.read_periodic(datetime(2026, 3, 1, 3, 50, 42))
    purge = [t for t in due if t.name == "purge_worker_records"]
    assert len(purge) == 1 and purge[0].kwargs == {SLOT_KWARG: SLOT}
    assert all(t.kwargs[SLOT_KWARG] == SLOT for t in due)
    assert not [
        t
        for t in HUEY.read_periodic(datetime(2026, 3, 1, 3, 51))
        if t.name == "purge_worker_records"
    ]


def test_a_slot_runs_once_however_many_workers_enqueue_it() -> None:
    first = purge_worker_records.call_local(**{SLOT_KWARG: SLOT})
    again = purge_worker_records.call_local(**{SLOT_KWARG: SLOT})
    assert first == {"claims": 0, "heartbeats": 0}
    assert again is None  # turned away: the claim is taken
    claim = PeriodicClaim.objects.get()
    assert claim.task == "shequ.core.jobs.purge_worker_records"
    assert claim.slot == datetime(2026, 3, 1, 3, 50, tzinfo=UTC)
    assert claim.finished_at is not None and not claim.failed
    # The next slot is a run of its own; a call without a slot (by hand) always runs.
    assert purge_worker_records.call_local(**{SLOT_KWARG: "2026-03-02T03:50:00"}) is not None
    assert purge_worker_records.call_local() is not None
    assert PeriodicClaim.objects.count() == 2


def test_a_failing_run_keeps_its_claim_marked_failed() -> None:
    slot = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)

    def broken() -> None:
        raise RuntimeError("the job broke")

    with pytest.raises(RuntimeError):
        workers.run_claimed("tests.broken", slot, broken)
    claim = PeriodicClaim.objects.get(task="tests.broken")
    assert claim.failed and claim.finished_at is not None
    assert workers.run_claimed("tests.broken", slot, lambda: "again") is None


@pytest.mark.django_db(transaction=True)
def test_workers_claiming_one_slot_at_the_same_moment_get_it_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("threads on SQLite's shared-cache test database lock each other's tables")
    slot = datetime(2026, 3, 1, 5, 0, tzinfo=UTC)
    barrier = threading.Barrier(4)
    won: list[bool] = []

    def worker() -> None:
        try:
            barrier.wait()
            won.append(workers.claim("tests.race", slot) is not None)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False, False, False, True]
    assert PeriodicClaim.objects.filter(task="tests.race").count() == 1


def test_old_claims_and_gone_workers_are_purged(settings: Any) -> None:
    settings.PERIODIC_CLAIM_DAYS = 7
    now = timezone.now()
    for days in (1, 8):
        at = now - timedelta(days=days)
        PeriodicClaim.objects.create(task="t", slot=at, worker="w:1", claimed_at=at)
    for pid, seen in ((1, now - timedelta(hours=2)), (2, now - timedelta(days=2))):
        WorkerHeartbeat.objects.create(hostname="h", pid=pid, started_at=seen, last_seen=seen)
    assert workers.purge(now) == {"claims": 1, "heartbeats": 1}
    assert list(PeriodicClaim.objects.values_list("claimed_at", flat=True)) == [
        now - timedelta(days=1)
    ]
    WorkerHeartbeat.objects.create(hostname="h", pid=3, started_at=now, last_seen=now)
    assert workers.purge(now) == {"claims": 0, "heartbeats": 0}


def test_a_worker_beats_and_records_its_stop() -> None:
    beat = workers.Heartbeat(every=3600)
    row = WorkerHeartbeat.objects.get()
    assert row.pid == beat.row.pid and row.stopped_at is None
    WorkerHeartbeat.objects.update(last_seen=row.last_seen - timedelta(minutes=5))
    assert workers.alive(timedelta(minutes=3)) == []
    beat.beat()
    assert [w.pk for w in workers.alive(timedelta(minutes=3))] == [row.pk]
    beat.start()
    beat.stop()
    assert WorkerHeartbeat.objects.get().stopped_at is not None
    assert workers.alive(timedelta(minutes=3)) == []


def test_a_worker_purged_while_stuck_records_itself_again() -> None:
    beat = workers.Heartbeat(every=3600)
    WorkerHeartbeat.objects.all().delete()
    beat.beat()
    assert WorkerHeartbeat.objects.count() == 1
