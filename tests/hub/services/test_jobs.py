"""Worker jobs: queued runs are claimed once, cron schedules and drop folders queue runs."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from shequ.core.models import Role
from shequ.hub.jobs import execute_run, schedule_sources
from shequ.hub.models import Category, Dataset, DatasetVersion, IngestRun, Source
from shequ.hub.services.sources import next_run_after, queue_run, save_source

SCHEMA = {
    "primaryKey": ["code"],
    "fields": [
        {"name": "code", "title": "编号", "constraints": {"required": True}},
        {"name": "amount", "type": "integer", "title": "数量"},
    ],
}


@pytest.fixture
def immediate() -> Iterator[None]:
    """Run huey tasks in-process, as soon as they are enqueued."""
    HUEY.immediate = True
    try:
        yield
    finally:
        HUEY.immediate = False


@pytest.fixture
def dataset(regions: dict[str, Any]) -> Dataset:
    category = Category.objects.create(key="test", name="测试", name_en="Test")
    return Dataset.objects.create(
        key="counts",
        title="计数",
        title_en="Counts",
        category=category,
        region=regions["990102001000"],
        tier="street",
        sharing="conditional",
        schema=SCHEMA,
    )


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user(Role.STREET_STAFF, "990102001000")


def file_source(manager: Any, dataset: Dataset, path: Path, **extra: Any) -> Any:
    """A source reading one file the test wrote."""
    return save_source(
        manager, dataset, name="file", connector="file", config={"path": str(path)}, **extra
    )


def folder_source(manager: Any, dataset: Dataset, inbox: Path) -> Any:
    """A drop folder of CSV files."""
    config = {"path": str(inbox), "pattern": "*.csv"}
    return save_source(manager, dataset, name="drop", connector="folder", config=config)


def write(path: Path, rows: int, *, age: float = 60) -> Path:
    path.write_text("编号,数量\n" + "".join(f"C{i},{i}\n" for i in range(rows)), encoding="utf-8")
    past = time.time() - age
    os.utime(path, (past, past))
    return path


def test_a_queued_run_is_carried_out_once(
    dataset: Dataset, manager: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    source = file_source(manager, dataset, write(tmp_path / "a.csv", 5))
    run = queue_run(source, user=manager)
    assert run.status == IngestRun.Status.QUEUED
    execute_run.call_local(run.pk)
    run.refresh_from_db()
    assert (run.status, run.rows_written, run.version) == ("succeeded", 5, 0)
    assert execute_run.call_local(run.pk) == "already taken"
    assert IngestRun.objects.count() == 1


def test_the_task_is_sent_only_after_the_transaction_commits(
    dataset: Dataset,
    manager: Any,
    tmp_path: Path,
    immediate: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    source = file_source(manager, dataset, write(tmp_path / "a.csv", 3))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = queue_run(source)
        assert IngestRun.objects.get(pk=run.pk).status == "queued"
    # The run's task; then, queued by the version the run committed, its statistics job.
    assert len(callbacks) == 2
    assert IngestRun.objects.get(pk=run.pk).status == "succeeded"
    assert DatasetVersion.objects.get(run=run).stats["rows"] == 3


def test_a_due_schedule_queues_one_run_and_moves_to_the_next_time(
    dataset: Dataset, manager: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    source = file_source(manager, dataset, write(tmp_path / "a.csv", 2), schedule="30 2 * * *")
    first = source.next_run
    assert first is not None and timezone.localtime(first).hour == 2
    assert schedule_sources.call_local() == 0  # not due yet
    Source.objects.filter(pk=source.pk).update(next_run=timezone.now() - timedelta(minutes=1))
    assert schedule_sources.call_local() == 1
    assert schedule_sources.call_local() == 0  # the next run moved a day ahead
    source.refresh_from_db()
    assert source.next_run is not None and source.next_run > timezone.now()
    assert IngestRun.objects.filter(source=source, status="queued").count() == 1


def test_a_drop_folder_queues_a_run_for_a_settled_file_and_moves_it_when_done(
    dataset: Dataset, manager: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    inbox = tmp_path / "drop"
    inbox.mkdir()
    source = folder_source(manager, dataset, inbox)
    assert schedule_sources.call_local() == 0
    write(inbox / "new.csv", 4, age=0)  # still being written: not settled yet
    assert schedule_sources.call_local() == 0
    write(inbox / "new.csv", 4, age=60)
    assert schedule_sources.call_local() == 1
    assert schedule_sources.call_local() == 0  # one run at a time per folder
    run = IngestRun.objects.get(source=source)
    execute_run.call_local(run.pk)
    run.refresh_from_db()
    assert (run.status, run.rows_written) == ("succeeded", 4)
    assert not (inbox / "new.csv").exists()
    assert next(p.name for p in (inbox / "done").iterdir()).startswith("new")


def test_a_bad_file_in_the_drop_folder_is_moved_aside_so_the_queue_goes_on(
    dataset: Dataset, manager: Any, tmp_path: Path
) -> None:
    inbox = tmp_path / "drop"
    inbox.mkdir()
    source = folder_source(manager, dataset, inbox)
    bad = inbox / "bad.csv"
    bad.write_text("别的列\nx\n", encoding="utf-8")
    os.utime(bad, (time.time() - 60, time.time() - 60))
    from shequ.hub.services.runs import run_source

    run = run_source(source)
    assert run.status == "failed" and "code" in run.error
    assert not bad.exists() and any((inbox / "failed").iterdir())


def test_cron_expressions_are_read_in_the_local_time_zone() -> None:
    now = timezone.now()
    nxt = next_run_after("0 8 * * *", now)
    assert nxt is not None and timezone.localtime(nxt).hour == 8
    assert next_run_after("", now) is None
