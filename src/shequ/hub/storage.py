"""Where a dataset's Delta table and quarantine files live, and what a version holds."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from deltalake import DeltaTable
from django.conf import settings

from shequ.hub.ingest.summary import Summary, scan
from shequ.hub.ingest.summary import connect as summary_connect
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


def stats_dir(key: str) -> Path:
    return hub_dir() / "stats" / key


def staging_dir(key: str) -> Path:
    """Where runs of dataset *key* write their data files before committing them."""
    return hub_dir() / "staging" / key


def _fingerprint(table: DeltaTable) -> str:
    """Which data files a version holds (so a summary is never used for another table)."""
    names = sorted(uri.rsplit("/", 1)[-1] for uri in table.file_uris())
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def save_summary(table: DeltaTable, key: str, summary: Summary) -> None:
    """Keep the summary of *table*'s current version for its statistics and later appends."""
    path = stats_dir(key) / f"v{table.version()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"fingerprint": _fingerprint(table), **summary.to_json()}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(path)


def load_summary(table: DeltaTable, key: str, schema: TableSchema) -> Summary | None:
    """The saved summary of *table*'s version, if it is one and covers *schema*."""
    path = stats_dir(key) / f"v{table.version()}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("fingerprint") != _fingerprint(table):
        return None
    summary = Summary.from_json(data)
    return summary if summary.mergeable(schema) else None


def version_stats(table: DeltaTable, schema: TableSchema) -> dict[str, Any]:
    """Row count and per-column null count, approximate distinct count, min and max.

    From the version's saved summary (see ``ingest.summary``: an ingest writes it from
    the new files' own statistics and merges it with the previous version's on append);
    without one, from one columnar DuckDB pass over the version's Parquet files, whose
    summary is then saved.
    """
    files = table.file_uris()
    if not files:
        return {"rows": 0, "columns": {}}
    key = Path(table.table_uri.removeprefix("file://")).name
    summary = load_summary(table, key, schema)
    if summary is None:
        con = summary_connect(
            max(1, int(settings.HUB_THREADS)),
            settings.HUB_MEMORY_LIMIT,
        )
        try:
            summary = scan(con, files, schema)
        finally:
            con.close()
        save_summary(table, key, summary)
    return summary.stats(schema)


def commit_info(table: DeltaTable) -> dict[str, Any]:
    """The newest commit's operation and our custom metadata."""
    entry = table.history(1)[0]
    meta = {k: v for k, v in entry.items() if k.startswith("shequ.")}
    return {
        "operation": entry.get("operation", ""),
        **meta,
        "metrics": json.loads(json.dumps(entry.get("operationMetrics", {}), default=str)),
    }
