"""Keys checked across the written files and the table's rows, and the Delta commit.

The commit adopts the staged Parquet files with add actions whose statistics come from
DuckDB's own per-file statistics (see ``DataFileActions``); delta-rs's writer is used only
for upserts and for appends that add a column to the table.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow.dataset as pads
from deltalake import CommitProperties, Schema, write_deltalake
from deltalake.transaction import AddAction, create_table_with_add_actions

from shequ.hub.ingest.cells import ident, literal
from shequ.hub.ingest.datafiles import connect
from shequ.hub.ingest.keys import TableKeys, table_key_groups
from shequ.hub.ingest.summary import DataFile
from shequ.hub.layout import region_field
from shequ.hub.storage import open_table, table_path
from shequ.hub.tableschema import TableSchema


def keys_repeat(files: list[DataFile], groups: list[list[str]], schema: TableSchema) -> bool:
    """Whether any key (of the primary key or a unique field) is in two written rows."""
    if not files:
        return False
    sources = f"read_parquet([{', '.join(literal(str(f.path)) for f in files)}])"
    rows = sum(f.rows for f in files)
    with tempfile.TemporaryDirectory(prefix="shequ-keys-") as tmp:
        con = connect(Path(tmp))
        try:
            return any(_repeats(con, sources, cols, schema, rows) for cols in groups)
        finally:
            con.close()


def table_keys(key: str, schema: TableSchema, mode: str) -> TableKeys | None:
    """The keys of the table's current rows that new rows must not repeat, if any."""
    table = open_table(key) if mode in ("append", "upsert") else None
    if table is None:
        return None
    files = table.file_uris()
    if not files:
        return None
    groups = table_key_groups(schema, mode, {f.name for f in table.schema().fields})
    if not groups:
        return None
    names = ", ".join(literal(f.removeprefix("file://")) for f in files)
    columns = {f.name for f in table.schema().fields}
    return TableKeys(f"read_parquet([{names}], union_by_name = true)", groups, columns)


def keys_in_table(files: list[DataFile], held: TableKeys) -> bool:
    """Whether a written row repeats a key of the table's rows (see ``TableKeys``).

    One hash join per key: DuckDB builds it on the smaller side and, for an ordered key,
    skips the table's row groups outside the new keys' range.
    """
    if not files:
        return False
    new = f"read_parquet([{', '.join(literal(str(f.path)) for f in files)}])"
    with tempfile.TemporaryDirectory(prefix="shequ-keys-") as tmp:
        con = connect(Path(tmp))
        try:
            for cols, pk in held.groups:
                on = " AND ".join(f"e.{ident(c)} = n.{ident(c)}" for c in cols)
                if pk:
                    on += " AND NOT (" + " AND ".join(f"e.{ident(c)} = n.{ident(c)}" for c in pk)
                    on += ")"
                found = con.execute(
                    f"SELECT 1 FROM {new} n SEMI JOIN {held.source} e ON {on} LIMIT 1"
                ).fetchone()
                if found is not None:
                    return True
            return False
        finally:
            con.close()


def held_keys_note(quarantine: Path | None, mode: str) -> str:
    """The run's note on rows refused because the table already holds their key."""
    count = 0
    if quarantine is not None:
        with duckdb.connect(config={"threads": 1}) as con:
            found = con.execute(
                "SELECT count(*) FROM read_csv(?, header = true, all_varchar = true) "
                "WHERE reason LIKE 'already in the table%'",
                [str(quarantine)],
            ).fetchone()
            count = int(found[0]) if found else 0
    if not count:
        return ""
    hint = " (an upsert replaces rows by primary key)" if mode == "append" else ""
    return f"{count} rows repeat a key the table already holds{hint}"


# An integer key of at most this many rows (8 bytes each: 128 MB) is checked by sorting it
# in memory, several times faster than DuckDB's hash aggregate over as many keys; longer
# keys are left to DuckDB, which spills to disk within its memory limit.
SORT_CHECK_ROWS = 16_000_000


def _repeats(
    con: duckdb.DuckDBPyConnection, sources: str, cols: list[str], schema: TableSchema, rows: int
) -> bool:
    keys = ", ".join(ident(c) for c in cols)
    present = " AND ".join(f"{ident(c)} IS NOT NULL" for c in cols)
    if len(cols) == 1 and schema.field(cols[0]).type == "integer" and rows <= SORT_CHECK_ROWS:
        found = con.execute(f"SELECT {keys} FROM {sources} WHERE {present}").fetchnumpy()
        # Sorted, a repeated key sits next to itself. The files hold runs of ascending
        # keys (each thread's share of an ordered input), which a merge sort joins fast.
        keys_found = np.asarray(found[cols[0]], dtype=np.int64)
        if not keys_found.flags.writeable:
            keys_found = keys_found.copy()
        keys_found.sort(kind="stable")  # in place: no second copy
        return bool((keys_found[1:] == keys_found[:-1]).any())
    found_row = con.execute(
        f"SELECT 1 FROM {sources} WHERE {present} GROUP BY {keys} HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    return found_row is not None


def commit_files(
    key: str, schema: TableSchema, files: list[DataFile], *, mode: str, run_id: int, file_hash: str
) -> None:
    path = table_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    props = CommitProperties(
        custom_metadata={
            "shequ.run": str(run_id),
            "shequ.file_hash": file_hash,
            "shequ.mode": mode,
        }
    )
    existing = open_table(key)
    target = schema.arrow_schema()
    staged = pads.dataset([str(f.path) for f in files], format="parquet", schema=target)
    if mode == "upsert" and existing is not None:
        on = " AND ".join(f't."{c}" = s."{c}"' for c in schema.primary_key)
        # merge() may read its source more than once: give it a table, not a stream.
        (
            existing.merge(
                staged.to_table(),
                predicate=on,
                source_alias="s",
                target_alias="t",
                commit_properties=props,
            )
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
        return
    if existing is not None and mode != "replace":
        have = {f.name for f in existing.schema().fields}
        if set(schema.names) - have:
            # A field was added to the schema: let delta-rs widen the table in the same commit.
            write_deltalake(
                str(path),
                staged.scanner().to_reader(),
                mode="append",
                commit_properties=props,
                schema_mode="merge",
            )
            return
    # Column statistics (distinct-count sketches and all) are not needed to query the
    # version: a job computes them after the commit (services.statistics).
    actions = DataFileActions(path, schema).adopt(files)
    # From here on the files are never deleted: an error raised after the log entry was
    # written (a post-commit checkpoint, say) must not take a committed version's data.
    if existing is None:
        create_table_with_add_actions(
            str(path),
            Schema.from_arrow(target),
            actions,
            mode="error",
            name=key,
            commit_properties=props,
        )
    else:
        existing.create_write_transaction(
            list(actions),
            mode="overwrite" if mode == "replace" else "append",
            schema=target,
            commit_properties=props,
        )


class DataFileActions:
    """The Delta add actions for one commit's Parquet data files.

    Each file gets Delta statistics (record and null counts; min/max of numbers, dates
    and times, and of the region code) so that readers can skip files. Other text
    columns get none: a truncated string maximum would be wrong, and personal values
    must not sit in the log (a region code is short and not personal). The
    values come from the statistics DuckDB gathered while writing the file (what its
    footer records); times are widened to whole milliseconds, as the log keeps them.
    """

    def __init__(self, root: Path, schema: TableSchema) -> None:
        self.root = root
        pii = schema.pii_fields()
        self.ranged = {
            f.name: f.type
            for f in schema.fields
            if f.name not in pii and f.type in ("integer", "number", "date", "datetime")
        }
        region = region_field(schema)
        if region:
            self.ranged[region] = "string"
        self.names = schema.names

    def adopt(self, files: list[DataFile], *, data_change: bool = True) -> list[AddAction]:
        """Move *files* into the table's folder; their add actions (``data_change`` false:
        rows the table already holds, rewritten by compaction)."""
        self.root.mkdir(parents=True, exist_ok=True)
        actions, moved = [], []
        try:
            for file in files:
                target = self.root / file.path.name
                os.replace(file.path, target)
                moved.append(target)
                actions.append(self._action(target, file, data_change))
        except BaseException:
            for target in moved:  # nothing refers to them: leave no stray files behind
                target.unlink(missing_ok=True)
            raise
        return actions

    def _action(self, path: Path, file: DataFile, data_change: bool) -> AddAction:
        low: dict[str, Any] = {}
        high: dict[str, Any] = {}
        for name, kind in self.ranged.items():
            st = file.stats.get(name, {})
            if st.get("min_is_exact") == "true" and st.get("max_is_exact") == "true":
                if kind == "string" and max(len(st["min"]), len(st["max"])) > 64:
                    continue  # not a region code: nothing readers could use
                low[name] = _stat(_typed(kind, st["min"]), floor=True)
                high[name] = _stat(_typed(kind, st["max"]), floor=False)
        nulls = {n: int(file.stats[n]["null_count"]) for n in self.names if n in file.stats}
        stats = {"numRecords": file.rows, "minValues": low, "maxValues": high, "nullCount": nulls}
        now = int(time.time() * 1000)
        return AddAction(path.name, file.size, {}, now, data_change, json.dumps(stats))


def _typed(kind: str, text: str) -> Any:
    if kind == "string":
        return text
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "date":
        return date.fromisoformat(text)
    return datetime.fromisoformat(text)


def _stat(value: Any, *, floor: bool) -> Any:
    """A min/max value as the Delta log writes it; times in whole milliseconds, widened."""
    if isinstance(value, datetime):
        micros = value.microsecond % 1000
        if micros:
            step = -micros if floor else 1000 - micros
            value = value + timedelta(microseconds=step)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value
