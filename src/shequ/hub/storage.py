"""Where a dataset's Delta table and quarantine files live, and what a version holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
from deltalake import DeltaTable
from django.conf import settings

from shequ.hub.ingest.validate import ident, literal
from shequ.hub.tableschema import TableSchema


def hub_dir() -> Path:
    return Path(settings.DATA_DIR) / "hub"


def table_path(key: str) -> Path:
    return hub_dir() / "tables" / key


def quarantine_dir(key: str) -> Path:
    return hub_dir() / "quarantine" / key


def open_table(key: str, version: int | None = None) -> DeltaTable | None:
    path = table_path(key)
    if not DeltaTable.is_deltatable(str(path)):
        return None
    return DeltaTable(str(path), version=version)


def version_stats(table: DeltaTable, schema: TableSchema) -> dict[str, Any]:
    """Row count and per-column null count, approximate distinct count, min and max.

    One columnar DuckDB pass over the version's Parquet files.
    """
    files = table.file_uris()
    if not files:
        return {"rows": 0, "columns": {}}
    parts = ["count(*)"]
    pii = schema.pii_fields()
    for name in schema.names:
        col = ident(name)
        # Never keep a clear personal value as a statistic.
        low, high = ("NULL", "NULL") if name in pii else (f"min({col})", f"max({col})")
        parts += [
            f"count(*) - count({col})",
            f"approx_count_distinct({col})",
            f"CAST({low} AS VARCHAR)",
            f"CAST({high} AS VARCHAR)",
        ]
    file_list = "[" + ", ".join(literal(f) for f in files) + "]"
    con = duckdb.connect(
        config={
            "threads": max(1, int(getattr(settings, "HUB_THREADS", 2))),
            "memory_limit": getattr(settings, "HUB_MEMORY_LIMIT", "1GB"),
        }
    )
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET TimeZone = 'UTC'")  # datetimes are stored and summarised in UTC
        # Files written before a field was added lack its column: union_by_name reads NULL.
        row = con.execute(
            f"SELECT {', '.join(parts)} FROM read_parquet({file_list}, union_by_name = true)"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    columns = {}
    for i, name in enumerate(schema.names):
        nulls, distinct, low, high = row[1 + 4 * i : 5 + 4 * i]
        columns[name] = {
            "nulls": nulls,
            "distinct": distinct,
            "min": _short(low),
            "max": _short(high),
        }
    return {"rows": row[0], "columns": columns}


def _short(value: str | None) -> str | None:
    return value if value is None or len(value) <= 60 else value[:57] + "…"


def commit_info(table: DeltaTable) -> dict[str, Any]:
    """The newest commit's operation and our custom metadata."""
    entry = table.history(1)[0]
    meta = {k: v for k, v in entry.items() if k.startswith("shequ.")}
    return {
        "operation": entry.get("operation", ""),
        **meta,
        "metrics": json.loads(json.dumps(entry.get("operationMetrics", {}), default=str)),
    }
