"""Column statistics are computed by a job after the commit, per version, idempotently."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from huey.contrib.djhuey import HUEY

from hub.factories import PEOPLE_SCHEMA, person
from shequ.hub.ingest.summary import connect, scan
from shequ.hub.models import Dataset, DatasetVersion
from shequ.hub.services import statistics
from shequ.hub.services.runs import ingest_file
from shequ.hub.storage import open_table, stats_dir
from shequ.hub.tableschema import TableSchema

Callbacks = Callable[..., Any]


@pytest.fixture
def immediate() -> Iterator[None]:
    """Run huey tasks in-process, as soon as they are enqueued (as the worker would)."""
    HUEY.immediate = True
    try:
        yield
    finally:
        HUEY.immediate = False


def full_scan(version: int) -> dict[str, Any]:
    schema = TableSchema.from_dict(PEOPLE_SCHEMA)
    table = open_table("people", version=version)
    assert table is not None
    con = connect(1, "256MB")
    try:
        return scan(con, table.file_uris(), schema).stats(schema)
    finally:
        con.close()


def test_a_committed_version_is_queryable_and_counted_before_its_statistics_exist(
    people: Dataset, write_csv: Any, django_capture_on_commit_callbacks: Callbacks
) -> None:
    with django_capture_on_commit_callbacks() as queued:
        run = ingest_file(people, write_csv("a.csv", [person(i) for i in range(1, 4)]))

    version = DatasetVersion.objects.get(dataset=people, version=0)
    assert run.status == "succeeded" and version.stats == {}  # pending: the job has not run
    assert statistics.pending(version)
    assert version.row_count == 3 and people.row_count == 3
    table = open_table("people")
    assert table is not None and table.to_pyarrow_table().num_rows == 3
    assert "statistics" not in run.log  # the run's time is the time until queryable
    assert len(queued) == 1  # the statistics job, queued for after the commit


def test_the_job_queued_at_commit_computes_the_statistics_of_its_own_version(
    people: Dataset,
    write_csv: Any,
    django_capture_on_commit_callbacks: Callbacks,
    immediate: None,
) -> None:
    # Two versions commit before the worker gets to either job; it then runs them in the
    # opposite order. Each version's statistics are its own, equal to a scan of it.
    with django_capture_on_commit_callbacks() as first:
        ingest_file(people, write_csv("a.csv", [person(i, 年龄="") for i in range(1, 3)]))
    with django_capture_on_commit_callbacks() as second:
        ingest_file(people, write_csv("b.csv", [person(i) for i in range(3, 6)]))
    assert [v.stats for v in DatasetVersion.objects.filter(dataset=people)] == [{}, {}]

    for callback in second + first:
        callback()

    v0 = DatasetVersion.objects.get(dataset=people, version=0).stats
    v1 = DatasetVersion.objects.get(dataset=people, version=1).stats
    assert v0 == full_scan(0) and v0["rows"] == 2 and v0["columns"]["age"]["nulls"] == 2
    assert v1 == full_scan(1) and v1["rows"] == 5 and v1["columns"]["age"]["nulls"] == 2
    assert v1["columns"]["person_id"]["max"] == "P0005"
    assert (stats_dir("people") / "v1.json").is_file()

    # Run again (a repeated task, the sweep): nothing to do, nothing changed.
    for path in stats_dir("people").glob("*.json"):
        path.unlink()
    for callback in first + second:
        callback()
    assert statistics.compute(people.pk, 1) is False
    assert DatasetVersion.objects.get(dataset=people, version=1).stats == v1


def test_the_sweep_computes_statistics_a_job_missed(people: Dataset, write_csv: Any) -> None:
    ingest_file(people, write_csv("a.csv", [person(1)]))  # its job never runs (no commit)
    assert statistics.sweep() == 0  # younger than the sweep's delay: the job may yet run
    DatasetVersion.objects.update(created=DatasetVersion.objects.get().created - timedelta(hours=1))

    assert statistics.sweep() == 1
    assert DatasetVersion.objects.get().stats == full_scan(0)
    assert statistics.sweep() == 0
