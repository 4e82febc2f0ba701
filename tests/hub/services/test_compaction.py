"""Compaction: many small files of a dataset appended daily become one, sorted by region and
time; the rows are the same, earlier versions stay readable, a run committing meanwhile wins,
and the worker runs it hourly, once per slot."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hub.factories import (
    ELSEWHERE,
    GATE_DAYS,
    GATE_KEY,
    GATE_SCHEMA,
    HOME,
    gate_events,
    gate_rows,
    hub_category,
    ingest,
)
from shequ.core.periodic import ONCE_PER_SLOT
from shequ.hub import jobs
from shequ.hub.layout import is_clustered
from shequ.hub.models import Dataset, DatasetVersion, Subscription
from shequ.hub.query import run_query_system
from shequ.hub.services import compaction
from shequ.hub.storage import open_table, staging_dir


@pytest.fixture
def events(db: None, tmp_path: Path, settings: Any) -> Dataset:
    settings.HUB_COMPACT_MIN_FILES = 4
    return gate_events(tmp_path)


def _rows(version: int | None = None) -> list[dict[str, Any]]:
    table = open_table(GATE_KEY, version)
    assert table is not None
    return sorted(table.to_pyarrow_table().to_pylist(), key=lambda r: r["event_id"])


def _query(version: int | None = None) -> list[Any]:
    sql = f"SELECT * FROM {GATE_KEY} ORDER BY event_id"
    return run_query_system(sql, version=version, limit=10_000, clear=True).table.to_pylist()


def test_small_files_become_one_sorted_file(events: Dataset, tmp_path: Path) -> None:
    before_version = events.version
    assert before_version is not None
    before_rows, before_query = _rows(), _query()
    DatasetVersion.objects.filter(dataset=events, version=before_version).update(
        stats={"rows": 180, "columns": {}}
    )
    done = compaction.compact(events)
    assert done is not None
    assert (done.files_removed, done.files_added) == (GATE_DAYS, 1)
    assert done.previous == before_version and done.version == before_version + 1
    events.refresh_from_db()
    assert events.version == done.version and events.row_count == 30 * GATE_DAYS
    # The same rows, as the table holds them and as a query reads them.
    assert _rows() == before_rows
    assert _query() == before_query
    table = open_table(GATE_KEY)
    assert table is not None
    (uri,) = table.file_uris()
    assert is_clustered(uri)
    stored = pq.read_table(uri.removeprefix("file://")).to_pylist()
    keys = [
        (_day(r["event_time"]), r["region_code"] is None, r["region_code"] or "", r["event_time"])
        for r in stored
    ]
    present = [k for k in keys if k[3] is not None]
    assert present == sorted(present)
    actions = pa.table(table.get_add_actions(flatten=True)).to_pylist()
    assert actions[0]["min.region_code"] == HOME and actions[0]["max.region_code"] == ELSEWHERE
    assert actions[0].get("min.plate") is None  # no personal values in the log
    # The version is recorded, with the statistics of the version it was made from.
    row = DatasetVersion.objects.get(dataset=events, version=done.version)
    assert row.operation == "compact" and row.rows_added == 0
    assert row.stats == {"rows": 180, "columns": {}}
    assert table.history(1)[0]["shequ.mode"] == "compact"
    # Earlier versions still read their own files: nothing was deleted.
    for version in range(before_version + 1):
        assert len(_rows(version)) == 30 * (version + 1)
    assert _query(before_version) == before_query
    # Appending goes on as before.
    ingest(events, gate_rows(GATE_DAYS), tmp_path, mode="append")
    assert len(_query()) == 30 * (GATE_DAYS + 1)
    assert not list(staging_dir(GATE_KEY).glob("compact-*"))


def test_when_there_is_something_to_do(events: Dataset, settings: Any) -> None:
    settings.HUB_COMPACT_MIN_FILES = GATE_DAYS + 1  # too few small files
    assert compaction.compact(events) is None
    assert DatasetVersion.objects.filter(operation="compact").count() == 0
    # No file is small, but the ingest's files are not sorted: a large delivery is rewritten.
    settings.HUB_COMPACT_SMALL_MB = 0
    done = compaction.compact(events)
    assert done is not None and done.files_removed == GATE_DAYS
    # Now every file is clustered, and no file is small: nothing to do.
    assert compaction.compact(events) is None


def test_a_run_committing_meanwhile_wins(
    events: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run commits while compaction rewrites: compaction gives up and leaves nothing."""
    rewrite = compaction._rewrite

    def rewrite_while_a_run_commits(*args: Any) -> Any:
        files = rewrite(*args)
        ingest(events, gate_rows(GATE_DAYS), tmp_path, mode="append")
        return files

    monkeypatch.setattr(compaction, "_rewrite", rewrite_while_a_run_commits)
    assert compaction.compact(events) is None
    events.refresh_from_db()
    assert len(_query()) == 30 * (GATE_DAYS + 1)
    assert not list(staging_dir(GATE_KEY).glob("compact-*"))
    table = open_table(GATE_KEY)
    assert table is not None and len(table.file_uris()) == GATE_DAYS + 1
    # A version the platform has not recorded yet (a run between commit and record): skipped.
    Dataset.objects.filter(pk=events.pk).update(version=events.version - 1)  # type: ignore[operator]
    events.refresh_from_db()
    assert compaction.compact(events) is None


def test_subscribers_are_not_told(events: Dataset, make_user: Any) -> None:
    user = make_user(None, username="follower")
    Subscription.objects.create(
        dataset=events, subscriber=user, last_notified_version=events.version
    )
    done = compaction.compact(events)
    assert done is not None
    from shequ.hub.services.flowback import sweep

    assert sweep() == 0


def test_the_hourly_job(events: Dataset) -> None:
    assert jobs.compact_tables.task_class in ONCE_PER_SLOT
    assert jobs.compact_tables.call_local() == 1
    assert jobs.compact_tables.call_local() == 0  # one file left: nothing to do


def test_large_tables_are_compacted_in_groups_of_consecutive_days(
    events: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each group is sorted within the memory limit: days 1-2, 3-4, 5-6 (about 2 files each)."""
    table = open_table(GATE_KEY)
    assert table is not None
    sizes = pa.table(table.get_add_actions(flatten=True)).column("size_bytes").to_pylist()
    monkeypatch.setattr(compaction, "sort_budget", lambda: int(max(sizes) * 2.5))
    before = _query()
    done = compaction.compact(events)
    assert done is not None and (done.files_removed, done.files_added) == (GATE_DAYS, 3)
    assert _query() == before
    table = open_table(GATE_KEY)
    assert table is not None
    local = ZoneInfo("Asia/Shanghai")
    spans = sorted(
        (low.astimezone(local).day, high.astimezone(local).day)
        for low, high in zip(
            pa.table(table.get_add_actions(flatten=True)).column("min.event_time").to_pylist(),
            pa.table(table.get_add_actions(flatten=True)).column("max.event_time").to_pylist(),
            strict=True,
        )
    )
    assert spans == [(1, 2), (3, 4), (5, 6)]


def _day(moment: Any) -> Any:
    """The local day a time falls on, as the layout sorts by it (SHEQU_TIME_ZONE)."""
    return None if moment is None else moment.astimezone(ZoneInfo("Asia/Shanghai")).date()


def test_a_dataset_without_a_region_is_only_merged(db: None, tmp_path: Path, settings: Any) -> None:
    """No layout to restore: small files are merged in any order, a large one is left."""
    settings.HUB_COMPACT_MIN_FILES = 2
    schema = {k: v for k, v in GATE_SCHEMA.items() if k != "regionField"}
    dataset = Dataset.objects.create(
        key="plain_events", title="p", title_en="p", category=hub_category(), schema=schema
    )
    for day in range(3):
        ingest(dataset, gate_rows(day), tmp_path, mode="append" if day else "replace")
    before = run_query_system("SELECT * FROM plain_events ORDER BY event_id", limit=1000).table
    done = compaction.compact(dataset)
    assert done is not None and (done.files_removed, done.files_added) == (3, 1)
    table = open_table("plain_events")
    assert table is not None
    assert not is_clustered(table.file_uris()[0])
    after = run_query_system("SELECT * FROM plain_events ORDER BY event_id", limit=1000).table
    assert after.to_pylist() == before.to_pylist()
    settings.HUB_COMPACT_SMALL_MB = 0
    dataset.refresh_from_db()
    assert compaction.compact(dataset) is None


def test_an_append_committed_just_before_the_compaction_is_kept(
    events: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run commits after compaction's last check: both commits stand, no row lost or doubled."""
    adopt = compaction.DataFileActions.adopt

    def adopt_then_a_run_commits(self: Any, *args: Any, **kwargs: Any) -> Any:
        actions = adopt(self, *args, **kwargs)
        if kwargs.get("data_change") is False:  # compaction's, not the run's own
            ingest(events, gate_rows(GATE_DAYS), tmp_path, mode="append")
        return actions

    monkeypatch.setattr(compaction.DataFileActions, "adopt", adopt_then_a_run_commits)
    previous = events.version
    assert previous is not None
    done = compaction.compact(events)
    assert done is not None and done.version == previous + 2
    events.refresh_from_db()
    assert events.version == done.version
    assert [r["event_id"] for r in _query()] == sorted(
        r["event_id"] for day in range(GATE_DAYS + 1) for r in gate_rows(day)
    )
    table = open_table(GATE_KEY)
    assert table is not None and len(table.file_uris()) == 2  # the compacted one, the run's
    assert DatasetVersion.objects.get(dataset=events, version=done.version).stats == {}
