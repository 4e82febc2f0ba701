"""Expiry of replaced files: the files compaction replaced are deleted once past the
retention, the table reads the same, versions within the retention stay readable, a table
never compacted is untouched, a running backup holds expiry off; the worker's hourly job is
idempotent and runs once per slot across workers."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from hub.factories import GATE_DAYS, GATE_KEY, gate_events, gate_rows, ingest
from shequ.core.jobqueue import SLOT_KWARG
from shequ.core.periodic import ONCE_PER_SLOT
from shequ.hub import jobs, pins
from shequ.hub.models import Dataset
from shequ.hub.query import QueryError, run_query_system
from shequ.hub.services import compaction, vacuum
from shequ.hub.storage import open_table, table_path


@pytest.fixture
def events(db: None, tmp_path: Path, settings: Any) -> Dataset:
    settings.HUB_COMPACT_MIN_FILES = 4
    return gate_events(tmp_path)


def _query(version: int | None = None) -> list[Any]:
    sql = f"SELECT * FROM {GATE_KEY} ORDER BY event_id"
    return run_query_system(sql, version=version, limit=10_000, clear=True).table.to_pylist()


def _data_files() -> set[str]:
    return {p.name for p in table_path(GATE_KEY).glob("*.parquet")}


def _disk() -> int:
    return sum(p.stat().st_size for p in table_path(GATE_KEY).rglob("*.parquet"))


def test_files_replaced_by_compaction_expire_after_the_retention(events: Dataset) -> None:
    before_version = events.version
    assert before_version is not None
    rows = _query()
    done = compaction.compact(events)
    assert done is not None
    events.refresh_from_db()
    files, disk = _data_files(), _disk()
    assert len(files) == GATE_DAYS + 1
    # Within the retention (a week by default): nothing is deleted, every version reads.
    assert vacuum.vacuum(events).files == 0
    assert _data_files() == files
    assert _query(before_version) == rows
    assert vacuum.vacuum(events, hours=1).files == 0  # removed a moment ago
    # Past it (a retention of 0 hours): the six replaced files go, the table reads the same.
    gone = vacuum.vacuum(events, hours=0)
    assert (gone.files, gone.bytes) == (GATE_DAYS, done.bytes_removed)
    table = open_table(GATE_KEY)
    assert table is not None
    assert _data_files() == {uri.rsplit("/", 1)[-1] for uri in table.file_uris()}
    assert _disk() == disk - done.bytes_removed
    assert _query() == rows
    assert table.version() == events.version  # expiry commits nothing
    # The version before the compaction needed them: a query pinning it is told it expired.
    with pytest.raises(QueryError) as caught:
        _query(before_version)
    assert caught.value.code == "expired_version" and caught.value.status == 404
    # Idempotent: nothing more to delete.
    assert vacuum.vacuum(events, hours=0).files == 0


def test_versions_within_the_retention_stay_readable(events: Dataset, tmp_path: Path) -> None:
    """Files removed at the second compaction are kept while those of the first expire."""
    first = compaction.compact(events)
    assert first is not None
    events.refresh_from_db()
    compacted = _query()
    # A day appended, the removal of the first compaction made to look two hours old.
    ingest(events, gate_rows(GATE_DAYS), tmp_path, mode="append")
    events.refresh_from_db()
    appended_version, appended = events.version, _query()
    _age_removals(hours=2)
    assert vacuum.vacuum(events, hours=1).files == GATE_DAYS
    assert _query(first.version) == compacted
    assert _query(appended_version) == appended


def _age_removals(hours: int) -> None:
    """Move every removal in the log *hours* back (the retention is counted from them)."""
    for entry in sorted((table_path(GATE_KEY) / "_delta_log").glob("*.json")):
        lines = []
        for line in entry.read_text().splitlines():
            action = json.loads(line)
            if "remove" in action:
                action["remove"]["deletionTimestamp"] -= hours * 3600 * 1000
            lines.append(json.dumps(action))
        entry.write_text("\n".join(lines) + "\n")


def test_a_table_never_compacted_is_untouched(events: Dataset) -> None:
    files = _data_files()
    assert vacuum.vacuum(events, hours=0).files == 0
    assert _data_files() == files
    for version in range(GATE_DAYS):
        assert len(_query(version)) == 30 * (version + 1)


def test_the_recorded_version_is_kept_when_the_table_has_a_newer_one(events: Dataset) -> None:
    """A compaction committed but not recorded yet: the recorded version's files stay."""
    recorded = events.version
    done = compaction.compact(events)
    assert done is not None
    Dataset.objects.filter(pk=events.pk).update(version=recorded)
    events.refresh_from_db()
    assert vacuum.vacuum(events, hours=0).files == 0
    assert len(_query(recorded)) == 30 * GATE_DAYS


def test_a_running_backup_holds_expiry_off(events: Dataset, settings: Any) -> None:
    settings.HUB_VACUUM_RETENTION_HOURS = 0
    assert compaction.compact(events) is not None
    files = _data_files()
    with pins.backup_pin() as pin:
        assert pins.held_pins() == [pin]
        assert vacuum.vacuum_all() == []
        assert _data_files() == files
    assert not pin.exists()
    # A pin left by a process that died does not hold it off for ever.
    pin.parent.mkdir(parents=True, exist_ok=True)
    pin.write_text(json.dumps({"pid": 999_999_999, "host": socket.gethostname()}))
    assert pins.held_pins() == [] and not pin.exists()
    assert [v.files for v in vacuum.vacuum_all()] == [GATE_DAYS]


def test_the_hourly_job_runs_once_per_slot(events: Dataset, settings: Any) -> None:
    settings.HUB_VACUUM_RETENTION_HOURS = 0
    assert jobs.vacuum_tables.task_class in ONCE_PER_SLOT
    assert compaction.compact(events) is not None
    slot = {SLOT_KWARG: "2026-03-01T03:53:00"}
    assert jobs.vacuum_tables.call_local(**slot) == GATE_DAYS
    assert jobs.vacuum_tables.call_local(**slot) is None  # another worker: the slot is taken
    assert jobs.vacuum_tables.call_local(**{SLOT_KWARG: "2026-03-01T04:53:00"}) == 0
