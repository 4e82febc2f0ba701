"""hub.query on Spark (SHEQU_HUB_ENGINE=spark) returns what DuckDB returns, row for row.

Each query of a shared set runs on both engines over the same Delta tables, as community staff
of 锦绣社区 (masked, their rows only) or as platform code (every row, masked or in clear): the
results must be equal in column names, Arrow types and values, in the order ORDER BY defines.
One Spark session (local mode, a JVM) serves the whole module (one xdist group, so one worker
under ``make test``); it is stopped at the end. PySpark is a dev dependency: CI runs this.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from hub.factories import HOME, Hub, clear_values
from shequ.hub.query import QueryError, run_query, run_query_system, spark
from shequ.hub.query.result import QueryResult

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

STAFF, SYSTEM, CLEAR = "staff", "system", "clear"

# (who runs it, SQL): every query orders its rows completely, or returns one row.
QUERIES: dict[str, tuple[str, str]] = {
    "count": (SYSTEM, "SELECT count(*) AS n FROM parking_events"),
    "aggregates": (
        SYSTEM,
        "SELECT count(*), sum(event_id), sum(amount), avg(amount), min(event_time), "
        "max(event_time), count(DISTINCT lot_id) FROM parking_events",
    ),
    "group_by_region": (
        SYSTEM,
        "SELECT region_code, count(*) AS events, sum(amount) AS total, avg(amount) AS mean "
        "FROM parking_events GROUP BY region_code ORDER BY region_code",
    ),
    "group_by_region_staff": (
        STAFF,
        "SELECT region_code, count(*) AS n, max(age) AS oldest FROM people "
        "GROUP BY region_code ORDER BY region_code",
    ),
    "time_range_local": (
        SYSTEM,
        "SELECT event_id, event_time, amount FROM parking_events "
        "WHERE event_time >= '2026-10-02 08:00:00' AND event_time < '2026-10-02 20:00:00' "
        "ORDER BY event_time, event_id",
    ),
    "time_range_offset": (
        SYSTEM,
        "SELECT count(*) AS n FROM parking_events "
        "WHERE event_time BETWEEN TIMESTAMPTZ '2026-10-01 00:00:00+00' "
        "AND TIMESTAMPTZ '2026-10-02 00:00:00+00'",
    ),
    "per_day": (
        SYSTEM,
        "SELECT date_trunc('day', event_time) AS day, count(*) AS n, sum(amount) AS total "
        "FROM parking_events GROUP BY 1 ORDER BY 1",
    ),
    "hour_of_day": (
        SYSTEM,
        "SELECT hour(event_time) AS h, count(*) AS n FROM parking_events GROUP BY h ORDER BY h",
    ),
    "join_datasets": (
        SYSTEM,
        "SELECT l.lot_name, l.capacity, count(e.event_id) AS events "
        "FROM parking_lots l LEFT JOIN parking_events e ON e.lot_id = l.lot_id "
        "GROUP BY l.lot_name, l.capacity ORDER BY events DESC, l.lot_name",
    ),
    "join_masked_staff": (
        STAFF,
        "SELECT e.event_id, e.plate, l.lot_name, e.amount FROM parking_events e "
        "JOIN parking_lots l ON l.lot_id = e.lot_id ORDER BY e.event_id LIMIT 15",
    ),
    "window_rank": (
        SYSTEM,
        "SELECT lot_id, event_id, amount, "
        "rank() OVER (PARTITION BY lot_id ORDER BY amount DESC, event_id) AS r "
        "FROM parking_events QUALIFY r <= 3 ORDER BY lot_id, r",
    ),
    "window_running_sum": (
        SYSTEM,
        "SELECT event_id, sum(amount) OVER (ORDER BY event_id ROWS BETWEEN UNBOUNDED PRECEDING "
        "AND CURRENT ROW) AS running, lag(amount) OVER (ORDER BY event_id) AS previous "
        "FROM parking_events WHERE event_id < 40 ORDER BY event_id",
    ),
    "masked_pii_staff": (
        STAFF,
        "SELECT person_id, name, id_number, phone, address, born, seen_at, active "
        "FROM people ORDER BY person_id",
    ),
    "masked_pii_system": (
        SYSTEM,
        "SELECT plate, owner_name, owner_phone, owner_id FROM vehicle_registrations ORDER BY plate",
    ),
    "clear_pii_system": (
        CLEAR,
        "SELECT person_id, name, phone, id_number FROM people ORDER BY person_id LIMIT 20",
    ),
    "masked_filter_staff": (
        STAFF,
        "SELECT count(*) AS n FROM people WHERE phone LIKE '139%' AND name LIKE '张%'",
    ),
    "row_scope_staff": (
        STAFF,
        "SELECT DISTINCT region_code FROM parking_events ORDER BY region_code",
    ),
    "limit": (SYSTEM, "SELECT event_id, plate FROM parking_events ORDER BY event_id LIMIT 7"),
    "limit_offset": (
        SYSTEM,
        "SELECT event_id FROM parking_events ORDER BY event_id DESC LIMIT 5 OFFSET 10",
    ),
    "decimals_and_nulls": (
        SYSTEM,
        "SELECT lot_id, CAST(amount AS DECIMAL(10, 2)) AS money, amount / (lot_id - 3) AS ratio, "
        "nullif(lot_id, 0) AS nonzero, CASE WHEN amount > 20 THEN NULL ELSE amount END AS low "
        "FROM parking_events WHERE event_id < 30 ORDER BY event_id",
    ),
    "nulls_sort_last": (
        SYSTEM,
        "SELECT nullif(lot_id % 3, 0) AS k, count(*) AS n FROM parking_events "
        "GROUP BY k ORDER BY k",
    ),
    "chinese_text": (
        SYSTEM,
        "SELECT lot_name, length(lot_name) AS chars, substring(lot_name, 1, 2) AS head, "
        "lot_name || '（共' || CAST(capacity AS VARCHAR) || '位）' AS label "
        "FROM parking_lots WHERE lot_name LIKE '%号停车场' ORDER BY lot_id",
    ),
    "cte_and_union": (
        SYSTEM,
        "WITH busy AS (SELECT lot_id, count(*) AS n FROM parking_events GROUP BY lot_id) "
        "SELECT 'busy' AS kind, lot_id FROM busy WHERE n >= 60 "
        "UNION ALL SELECT 'quiet', lot_id FROM busy WHERE n < 60 ORDER BY kind, lot_id",
    ),
    "subquery_in": (
        SYSTEM,
        "SELECT person_id, age FROM people WHERE person_id IN "
        "(SELECT person_id FROM health_records) AND age > 40 ORDER BY age DESC, person_id",
    ),
    "titles_and_dates": (
        STAFF,
        'SELECT "人员编号", "出生日期", year("出生日期") AS y FROM people '
        'WHERE "是否在册" ORDER BY "出生日期", "人员编号"',
    ),
}


@pytest.fixture(scope="module", autouse=True)
def spark_session() -> Iterator[None]:
    """One local Spark session for the module, started (and its first job compiled) before
    any query is timed, stopped after the module."""
    if shutil.which("java") is None:
        reason = "Spark needs Java 17 or later (apt-get install default-jre-headless)"
        if os.environ.get("SHEQU_TEST_STRICT") == "1":
            pytest.fail(f"{reason} (SHEQU_TEST_STRICT=1: CI must provide it)")
        pytest.skip(reason)
    spark.session().sql("SELECT 1").collect()
    yield
    spark.stop()


@pytest.fixture(autouse=True)
def patient(settings: Any) -> None:
    """Time limits are tested elsewhere; a busy test machine must not fail a comparison."""
    settings.HUB_QUERY_TIMEOUT = 600


def _run(hub: Hub, who: str, sql: str, **kwargs: Any) -> QueryResult:
    if who == STAFF:
        return run_query(hub.staff, sql, **kwargs)
    return run_query_system(sql, clear=who == CLEAR, purpose="engine comparison", **kwargs)


def _on(engine: str, settings: Any, hub: Hub, who: str, sql: str, **kw: Any) -> QueryResult:
    settings.HUB_ENGINE = engine
    return _run(hub, who, sql, **kw)


def _rows(result: QueryResult) -> list[dict[str, Any]]:
    """The rows, NaN as a string (NaN equals nothing, itself included)."""
    return [
        {k: "NaN" if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in result.table.to_pylist()
    ]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_spark_returns_what_duckdb_returns(name: str, hub: Hub, settings: Any) -> None:
    who, sql = QUERIES[name]
    expected = _on("duckdb", settings, hub, who, sql)
    got = _on("spark", settings, hub, who, sql)
    assert expected.rows > 0
    assert got.columns == expected.columns
    assert got.table.schema == expected.table.schema
    assert _rows(got) == _rows(expected)
    assert (got.truncated, got.datasets, got.clear_pii) == (
        expected.truncated,
        expected.datasets,
        expected.clear_pii,
    )


def test_the_set_covers_masking_row_scope_and_time_zones(hub: Hub, settings: Any) -> None:
    """The comparison would be empty of meaning if the queries did not exercise these."""
    masked = _on("spark", settings, hub, STAFF, QUERIES["masked_pii_staff"][1])
    phones = set(masked.table.column("phone").to_pylist())
    assert phones and all("*" in p for p in phones)
    assert not phones & clear_values("people", "phone")
    scope = _on("spark", settings, hub, STAFF, QUERIES["row_scope_staff"][1])
    assert scope.table.column("region_code").to_pylist() == [HOME]
    clear = _on("spark", settings, hub, CLEAR, QUERIES["clear_pii_system"][1])
    assert set(clear.table.column("phone").to_pylist()) <= clear_values("people", "phone")
    assert clear.clear_pii
    times = masked.table.schema.field("seen_at").type
    assert isinstance(times, pa.TimestampType) and times.tz == settings.TIME_ZONE


def test_the_row_limit_truncates_on_spark_as_on_duckdb(hub: Hub, settings: Any) -> None:
    sql = "SELECT event_id FROM parking_events ORDER BY event_id"
    expected = _on("duckdb", settings, hub, SYSTEM, sql, limit=25)
    got = _on("spark", settings, hub, SYSTEM, sql, limit=25)
    assert (got.rows, got.truncated) == (expected.rows, expected.truncated) == (25, True)
    assert got.table.equals(expected.table)


def test_a_version_pin_reads_the_same_snapshot(hub: Hub, settings: Any, tmp_path: Any) -> None:
    from hub.factories import ingest, rows_of

    old = hub["parking_lots"].version
    ingest(hub["parking_lots"], rows_of("parking_lots")[:4], tmp_path)
    sql = f"SELECT count(*) AS n, max(lot_id) AS top FROM parking_lots AT (VERSION => {old})"
    expected = _on("duckdb", settings, hub, SYSTEM, sql)
    got = _on("spark", settings, hub, SYSTEM, sql)
    assert got.table.to_pylist() == expected.table.to_pylist() == [{"n": 10, "top": 9}]
    now = _on("spark", settings, hub, SYSTEM, "SELECT count(*) AS n FROM parking_lots")
    assert now.table.to_pylist() == [{"n": 4}]


def test_errors_are_duckdbs_and_spark_failures_name_no_value(hub: Hub, settings: Any) -> None:
    settings.HUB_ENGINE = "spark"
    with pytest.raises(QueryError) as unknown:
        run_query(hub.staff, "SELECT nme FROM people")
    assert unknown.value.code in ("unknown_column", "unknown_column_in")
    with pytest.raises(QueryError) as refused:
        run_query(hub.staff, "SELECT * FROM health_records")
    assert refused.value.status == 403
    with pytest.raises(QueryError) as failed:
        run_query_system("SELECT CAST(lot_name AS INTEGER) AS n FROM parking_lots")
    assert failed.value.code == "spark_failed"
    assert "号停车场" not in failed.value.message


def test_division_is_in_floating_point_as_in_duckdb(hub: Hub, settings: Any) -> None:
    """DuckDB's x / 0 is infinite (0 / 0 NaN) where ANSI Spark fails, and 7 / 2 is 3.5."""
    sql = "SELECT lot_id, capacity / lot_id AS per, (lot_id - lot_id) / lot_id AS nothing, "
    sql += "capacity / 7 AS sevenths FROM parking_lots ORDER BY lot_id LIMIT 3"
    expected = _on("duckdb", settings, hub, SYSTEM, sql)
    got = _on("spark", settings, hub, SYSTEM, sql)
    assert _rows(got) == _rows(expected)
    first = got.table.to_pylist()[0]
    assert first["per"] == math.inf and math.isnan(first["nothing"])
    assert got.table.to_pylist()[1]["sevenths"] == 60 / 7


def test_a_table_with_deletion_vectors_is_refused_not_misread(hub: Hub, settings: Any) -> None:
    """Its Parquet files may hold deleted rows: only the Delta connector reads it right."""
    from deltalake import TableFeatures

    from shequ.hub.storage import open_table

    dataset = hub["parking_lots"]
    table = open_table(dataset.key)
    assert table is not None
    table.alter.add_feature(TableFeatures.DeletionVectors, allow_protocol_versions_increase=True)
    dataset.version = (dataset.version or 0) + 1
    dataset.save(update_fields=["version"])
    sql = "SELECT count(*) AS n FROM parking_lots"
    assert _on("duckdb", settings, hub, SYSTEM, sql).table.to_pylist() == [{"n": 10}]
    with pytest.raises(QueryError) as refused:
        _on("spark", settings, hub, SYSTEM, sql)
    assert (refused.value.code, refused.value.status) == ("spark_delta_features", 500)
    assert "deletionVectors" in refused.value.message


def test_spark_reads_only_the_files_skipping_keeps(
    db: None, settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A region-filtered query: Spark is given, and reads, only the files whose region bounds
    in the Delta log can hold the region (as DuckDB), and returns the same rows."""
    from hub.factories import ELSEWHERE, GATE_DAYS, gate_events, gate_rows, ingest

    events = gate_events(tmp_path)  # six daily files, each of three communities
    for day in (GATE_DAYS, GATE_DAYS + 1):  # two more, of another community only
        rows = [r | {"region_code": ELSEWHERE} for r in gate_rows(day)]
        ingest(events, rows, tmp_path, mode="append")
    read: list[tuple[int, int]] = []
    define = spark._define_views

    def counting(session: Any, views: list[Any]) -> None:
        define(session, views)
        for i, view in enumerate(views):
            files = session.table(f"__shequ_files_{i}").inputFiles()  # as Spark lists them
            read.append((len(files), len(view.files)))

    monkeypatch.setattr(spark, "_define_views", counting)
    sql = (
        f"SELECT event_id, region_code, amount FROM gate_events WHERE region_code = '{HOME}' "
        "ORDER BY event_id"
    )
    expected = _on("duckdb", settings, _NO_HUB, SYSTEM, sql, limit=1000)
    got = _on("spark", settings, _NO_HUB, SYSTEM, sql, limit=1000)
    assert read == [(GATE_DAYS, GATE_DAYS + 2)]
    assert got.table.equals(expected.table) and got.rows == expected.rows == 59
    # Without skipping, Spark reads every file, and the rows are the same.
    settings.HUB_FILE_PRUNING = False
    read.clear()
    assert _on("spark", settings, _NO_HUB, SYSTEM, sql, limit=1000).table.equals(expected.table)
    assert read == [(GATE_DAYS + 2, GATE_DAYS + 2)]


_NO_HUB: Any = None  # platform code's queries need no user of the shared hub
