"""Skipping data files by their region/time bounds: the same rows with and without it.

A clustered dataset (region and time fields) is appended in several small runs (one per
day, rows of three communities, some NULL regions and times), so its version has many
files, each with bounds in the Delta log. Every query returns exactly the rows it returns
with skipping turned off; the files read are checked too, so that a test fails when skipping
silently stops.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake.transaction import AddAction

from hub.factories import ELSEWHERE, HOME, SIBLING, gate_events, grant, ingest
from hub.factories import GATE_DAYS as DAYS
from hub.factories import GATE_KEY as KEY
from hub.factories import GATE_SCHEMA as SCHEMA
from hub.factories import gate_rows as _rows
from shequ.core.models import Role
from shequ.hub.ingest.commit import DataFileActions
from shequ.hub.layout import cluster_columns
from shequ.hub.models import Dataset
from shequ.hub.query import policy, run_query, run_query_system
from shequ.hub.query.binding import Run, bind_views, resolve
from shequ.hub.storage import open_table, table_path
from shequ.hub.tableschema import TableSchema


@pytest.fixture
def events(db: None, tmp_path: Path) -> Dataset:
    return gate_events(tmp_path)


def _bound(user: Any, sql: str) -> Run:
    """The query bound to its views, with the files each view would read."""
    run = Run(user=user, sql=sql)
    checked = policy.check(sql)
    bind_views(run, checked, resolve(run, checked), None, None)
    return run


def _read(user: Any, sql: str) -> tuple[int, int]:
    view = _bound(user, sql).views[KEY]
    return len(view.read_files), len(view.files)


def _same(settings: Any, user: Any, sql: str) -> list[Any]:
    def run() -> list[Any]:
        if user is None:
            table = run_query_system(sql, limit=100_000).table
        else:
            table = run_query(user, sql, limit=100_000).table
        return sorted(map(repr, table.to_pylist()))

    settings.HUB_FILE_PRUNING = True
    pruned = run()
    settings.HUB_FILE_PRUNING = False
    whole = run()
    settings.HUB_FILE_PRUNING = True
    assert pruned == whole, sql
    return pruned


def test_commits_carry_region_bounds(events: Dataset) -> None:
    assert cluster_columns(TableSchema.from_dict(SCHEMA)) == ["region_code", "event_time"]
    table = open_table(KEY)
    assert table is not None
    actions = pa.table(table.get_add_actions(flatten=True)).to_pylist()
    assert len(actions) == DAYS
    assert all(a["min.region_code"] == HOME for a in actions)  # NULLs have no bound
    assert all(a["max.region_code"] == ELSEWHERE for a in actions)
    assert all(a.get("min.plate") is None for a in actions)  # personal values stay out


@pytest.mark.parametrize(
    "where,read",
    [
        ("event_time >= '2026-10-05'", 2),
        ("event_time >= TIMESTAMP '2026-10-05 00:00:00' AND amount > 3", 2),
        ("event_time < DATE '2026-10-02'", 1),
        ("event_time BETWEEN '2026-10-02 08:00:00' AND '2026-10-02 09:00:00'", 1),
        ("event_time BETWEEN '2026-10-02 08:00:00' AND '2026-10-03 12:00:00'", 2),
        ("event_time >= '2026-10-04T00:00:00+08:00' AND event_time < '2026-10-05'", 1),
        ("'2026-10-05' <= event_time", 2),
        ("e.event_time IN ('2026-10-01 03:35:00', '2026-10-06 03:00:00')", 2),
        ("event_time = '2026-10-03 03:00:00' AND region_code = '990102001002'", 1),
        # Not understood, or must not prune:
        ("event_time >= '2026-10-05' OR amount > 40", 6),
        ("CAST(event_time AS DATE) >= '2026-10-05'", 6),
        ("event_time >= now()", 6),
        ("event_time IS NULL", 6),
        ("NOT event_time < '2026-10-05'", 6),
    ],
)
def test_time_predicates(events: Dataset, settings: Any, where: str, read: int) -> None:
    sql = f"SELECT event_id, event_time, plate, region_code FROM {KEY} e WHERE {where}"
    assert _read(None, sql) == (read, DAYS)
    _same(settings, None, sql)


def test_region_predicates_and_scope(events: Dataset, settings: Any, make_user: Any) -> None:
    for where in (
        f"region_code = '{HOME}'",
        "starts_with(region_code, '990102')",
        "region_code LIKE '9901020010%'",
        f"region_code IN ('{HOME}', '{SIBLING}')",
        "region_code IS NULL",
        "region_code LIKE '99010_001%'",
    ):
        _same(settings, None, f"SELECT * FROM {KEY} WHERE {where}")
    # A community's rows are in every day's file (each covers all regions): the layout within
    # a commit clusters the rows, the files are told apart by time.
    staff = make_user(Role.COMMUNITY_STAFF, HOME, username="gate-staff")
    grant(staff, Dataset.objects.get(key=KEY))
    rows = _same(settings, staff, f"SELECT * FROM {KEY}")
    assert len(rows) == 10 * DAYS - 1  # one of HOME's rows has no region on day 2
    assert all("浙A" not in r or "***" in r for r in rows)  # plates masked
    assert _read(staff, f"SELECT * FROM {KEY} WHERE event_time >= '2026-10-06'") == (1, DAYS)
    _same(settings, staff, f"SELECT count(*), sum(amount) FROM {KEY} WHERE plate LIKE '浙A1%'")


def test_scope_skips_files_of_other_regions(
    events: Dataset, settings: Any, make_user: Any, tmp_path: Path
) -> None:
    """One append holding only another district's rows is not read by a community's user."""
    dataset = Dataset.objects.get(key=KEY)
    rows = [dict(r, event_id=r["event_id"] + 10_000, region_code=ELSEWHERE) for r in _rows(1)]
    ingest(dataset, rows, tmp_path, mode="append")
    staff = make_user(Role.COMMUNITY_STAFF, HOME, username="gate-staff2")
    grant(staff, dataset)
    assert _read(staff, f"SELECT * FROM {KEY}") == (DAYS, DAYS + 1)
    _same(settings, staff, f"SELECT region_code, count(*) FROM {KEY} GROUP BY ALL")
    # Another district's user reads that file, and all the others (ELSEWHERE is in each).
    other = make_user(Role.COMMUNITY_STAFF, ELSEWHERE, username="far-staff")
    grant(other, dataset)
    assert _read(other, f"SELECT * FROM {KEY}") == (DAYS + 1, DAYS + 1)
    assert _read(None, f"SELECT * FROM {KEY} WHERE region_code = '{HOME}'") == (DAYS, DAYS + 1)


def test_every_place_of_the_view_counts(events: Dataset, settings: Any) -> None:
    queries = {
        # Two places, each its own range: the union of their files.
        f"SELECT event_id FROM {KEY} WHERE event_time < '2026-10-02' UNION ALL "
        f"SELECT event_id FROM {KEY} WHERE event_time >= '2026-10-06'": 2,
        # One place without conditions: every file.
        f"SELECT event_id FROM {KEY} WHERE event_time < '2026-10-02' UNION ALL "
        f"SELECT event_id FROM {KEY}": DAYS,
        f"WITH recent AS (SELECT * FROM {KEY} WHERE event_time >= '2026-10-06') "
        "SELECT count(*) FROM recent": 1,
        f"SELECT count(*) FROM (SELECT * FROM {KEY}) t WHERE event_time >= '2026-10-06'": DAYS,
        # An inner join: a qualified column of the view counts, an unqualified one does not.
        f"SELECT count(*) FROM {KEY} a JOIN {KEY} b ON a.event_id = b.event_id "
        "WHERE a.event_time >= '2026-10-06' AND b.event_time >= '2026-10-05'": 2,
        f"SELECT count(*) FROM {KEY} a JOIN (SELECT 1 AS x) b ON TRUE "
        "WHERE event_time >= '2026-10-06'": DAYS,
        # An outer join keeps rows its WHERE does not: nothing is skipped.
        f"SELECT count(*) FROM {KEY} a LEFT JOIN {KEY} b ON a.event_id = b.event_id "
        "AND b.event_time >= '2026-10-06' WHERE a.event_time >= '2026-10-06'": DAYS,
        # A subquery's WHERE with an outer column is not the view's.
        f"SELECT count(*) FROM {KEY} WHERE event_id IN (SELECT event_id FROM {KEY} "
        "WHERE event_time >= '2026-10-06')": DAYS,
    }
    for sql, read in queries.items():
        assert _read(None, sql) == (read, DAYS), sql
        _same(settings, None, sql)


def test_a_file_without_statistics_is_always_read(events: Dataset, settings: Any) -> None:
    """A file added to the log without bounds (another writer) may hold anything."""
    table = open_table(KEY)
    assert table is not None
    name = "part-nostats.parquet"
    rows = pa.table(
        {
            "event_id": pa.array([90_001], pa.int64()),
            "event_time": pa.array([datetime(2026, 10, 9, 12)], pa.timestamp("us", tz="UTC")),
            "plate": ["浙B00001"],
            "amount": [1.0],
            "region_code": [HOME],
        }
    )
    path = table_path(KEY) / name
    pq.write_table(rows, path)
    stats = json.dumps({"numRecords": 1})
    action = AddAction(name, os.path.getsize(path), {}, int(time.time() * 1000), True, stats)
    table.create_write_transaction([action], mode="append", schema=table.schema())
    Dataset.objects.filter(key=KEY).update(version=open_table(KEY).version())  # type: ignore[union-attr]
    sql = f"SELECT event_id FROM {KEY} WHERE event_time >= '2026-10-08'"
    assert _read(None, sql) == (1, DAYS + 1)
    assert _same(settings, None, sql) == [repr({"event_id": 90_001})]


def test_region_bounds_only_for_a_plain_region_field() -> None:
    schema = TableSchema.from_dict(
        dict(SCHEMA, fields=[*SCHEMA["fields"][:-1], {"name": "region_code", "pii": "address"}])
    )
    assert cluster_columns(schema) == []
    assert "region_code" not in DataFileActions(Path("/nonexistent"), schema).ranged
