"""Where a dataset's Delta table and quarantine files live, and what a version holds."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pyarrow.dataset as pads
from deltalake import DeltaTable
from django.conf import settings

from shequ.core.files import write_atomically
from shequ.hub.ingest.summary import Summary, scan
from shequ.hub.ingest.summary import connect as summary_connect
from shequ.hub.tableschema import TableSchema

log = logging.getLogger(__name__)


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


def fingerprint(table: DeltaTable) -> str:
    """Which data files a version holds (so a summary is never used for another table)."""
    names = sorted(uri.rsplit("/", 1)[-1] for uri in table.file_uris())
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def save_summary(table: DeltaTable, key: str, summary: Summary) -> None:
    """Keep the summary of *table*'s current version for its statistics and later appends."""
    path = stats_dir(key) / f"v{table.version()}.json"
    data = {"fingerprint": fingerprint(table), **summary.to_json()}
    # Two jobs may summarise one version at once (the one queued at commit, a sweep): each
    # writes its own temporary file; the summaries are equal, the last rename wins.
    write_atomically(path, json.dumps(data).encode())


def load_summary(table: DeltaTable, key: str, schema: TableSchema) -> Summary | None:
    """The saved summary of *table*'s version, if it is one and covers *schema*."""
    path = stats_dir(key) / f"v{table.version()}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("fingerprint") != fingerprint(table):
        return None
    summary = Summary.from_json(data)
    return summary if summary.mergeable(schema) else None


def version_rows(table: DeltaTable) -> int:
    """A version's row count, from its data files' record counts in the Delta log."""
    counts = table.get_add_actions(flatten=True).column("num_records").to_pylist()
    if any(n is None for n in counts):  # a file added without statistics: its footer
        return int(pads.dataset(_paths(table), format="parquet").count_rows())
    return int(sum(counts))


def version_stats(table: DeltaTable, schema: TableSchema) -> dict[str, Any]:
    """Row count and per-column null count, approximate distinct count, min and max.

    From the version's saved summary; without one (a version just committed: see
    ``services.statistics``), an append's is the previous version's summary merged with
    one pass over the files the append added (sketches merge: the older files are not
    read again), any other version's comes from one columnar DuckDB pass over its
    Parquet files. The summary is then saved for the next append.
    """
    if not table.file_uris():
        return {"rows": 0, "columns": {}}
    key = Path(table.table_uri.removeprefix("file://")).name
    schema = _stored(table, schema)
    summary = load_summary(table, key, schema) or _summarize(table, key, schema, SUMMARY_DEPTH)
    return summary.stats(schema)


# How many versions back a missing summary is made for an append to build on (versions
# committed in quick succession, each queued for statistics): further back, a full scan.
SUMMARY_DEPTH = 4


def _summarize(table: DeltaTable, key: str, schema: TableSchema, depth: int) -> Summary:
    files = table.file_uris()
    before, new = None, files
    previous = _appended_to(table) if depth > 0 else None
    if previous is not None:
        if previous.file_uris():
            before = load_summary(previous, key, schema) or (
                _summarize(previous, key, schema, depth - 1) if depth > 1 else None
            )
        if before is not None:  # else nothing to build on: the whole version is read
            new = sorted(set(files) - set(previous.file_uris()))
    if before is not None and not new:
        summary = before  # an append that added no file
    else:
        con = summary_connect(
            max(1, int(settings.HUB_THREADS)),
            settings.HUB_MEMORY_LIMIT,
        )
        try:
            summary = scan(con, new, schema)
        finally:
            con.close()
        if before is not None:
            summary = before.merge(summary, schema)
    try:
        save_summary(table, key, summary)
    except OSError:
        log.warning("cannot save the statistics summary of %s", key, exc_info=True)
    return summary


def _appended_to(table: DeltaTable) -> DeltaTable | None:
    """The previous version, when this one only added files with the same columns."""
    version = table.version()
    if version == 0:
        return None
    previous = DeltaTable(table.table_uri, version=version - 1)
    same_columns = {f.name for f in previous.schema().fields} == _columns(table)
    if not same_columns or not set(previous.file_uris()) <= set(table.file_uris()):
        return None
    return previous


def _columns(table: DeltaTable) -> set[str]:
    return {f.name for f in table.schema().fields}


def _stored(table: DeltaTable, schema: TableSchema) -> TableSchema:
    """*schema* without the fields the version does not hold (added to it since)."""
    have = _columns(table)
    if all(name in have for name in schema.names):
        return schema
    fields = [f for f in schema.fields if f.name in have]
    region = schema.region_field if schema.region_field in have else ""
    return TableSchema(fields, [k for k in schema.primary_key if k in have], region)


def _paths(table: DeltaTable) -> list[str]:
    return [uri.removeprefix("file://") for uri in table.file_uris()]


def commit_info(table: DeltaTable) -> dict[str, Any]:
    """The newest commit's operation and our custom metadata."""
    entry = table.history(1)[0]
    meta = {k: v for k, v in entry.items() if k.startswith("shequ.")}
    return {
        "operation": entry.get("operation", ""),
        **meta,
        "metrics": json.loads(json.dumps(entry.get("operationMetrics", {}), default=str)),
    }
