"""Ingest one staged input into a dataset's Delta table: one atomic version per run.

DuckDB runs the validation query (``validate.py``) once and writes the good rows
itself, straight into Parquet files in the run's staging folder
(``hub/staging/<dataset>/run-<id>/``). A rejected row is handed, as it goes by, to a
small Python function that appends its row number, column and reason to the run's
quarantine CSV. Only after the whole input was read and the reject rate is within the
limit are the files moved into the table's folder and committed as one Delta version,
with add actions whose statistics come from DuckDB's own per-file statistics (no second
pass over the data). A failed, refused or killed run leaves the previous version
exactly as it was: a failed or refused run deletes its staging folder; a killed one
leaves it, never referenced by the table, and a later run of the dataset removes it.

Memory stays bounded whatever the input's size: DuckDB works within
``SHEQU_HUB_MEMORY_LIMIT`` (spilling to disk) and writes row groups as it goes.
(delta-rs's own writer buffers far more, so it is used only for upserts and for appends
that add a column to the table, reading the staged files.)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
from deltalake import CommitProperties, Schema, write_deltalake
from deltalake.transaction import AddAction, create_table_with_add_actions
from django.conf import settings
from duckdb.func import FunctionNullHandling, PythonUDFType

from shequ.hub.ingest.digest import content_digest
from shequ.hub.ingest.staging import PART_BITS, IngestError, StagedInput
from shequ.hub.ingest.summary import DataFile
from shequ.hub.ingest.validate import (
    DROPPED,
    TableKeys,
    ident,
    literal,
    parts_sql,
    plan_columns,
    table_key_groups,
    unique_groups,
    validation_sql,
)
from shequ.hub.storage import open_table, quarantine_dir, staging_dir, table_path
from shequ.hub.tableschema import DUCKDB_TYPES, TableSchema

log = logging.getLogger(__name__)

FILE_SIZE = "128MB"  # DuckDB starts a new Parquet data file past this size
ROW_GROUP_BYTES = "8MB"  # about this much per row group (a reader's unit of work)
COMPRESSION = "snappy"
REJECT_FUNCTION = "shequ_reject"
STALE_STAGING = timedelta(hours=6)  # a staging folder this old belongs to a killed run
QUARANTINE_SCHEMA = pa.schema(
    [("row", pa.int64()), ("column", pa.string()), ("reason", pa.string())]
)


class RejectRateExceeded(IngestError):
    """Too many rows failed; nothing is committed."""


class RepeatedContent(IngestError):
    """The input's rows are, by their content digest, rows the table already took."""


@dataclass
class Outcome:
    rows_read: int = 0
    rows_written: int = 0
    rows_rejected: int = 0
    version: int | None = None
    quarantine: Path | None = None
    notes: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # totals and footer rows left out
    content_digest: str = ""  # of the stored rows, for a dataset without a primary key


def _connect(workdir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(
        config={
            "threads": max(1, int(settings.HUB_THREADS)),
            "memory_limit": settings.HUB_MEMORY_LIMIT,
            "temp_directory": str(workdir / "duckdb.tmp"),
            # Keeping the input's order would make DuckDB read a split input's parts one
            # after the other and write the Parquet files from one thread. Rows keep their
            # numbers (_row), so quarantine order and "first row wins" do not depend on it;
            # only the order of rows inside the data files does.
            "preserve_insertion_order": False,
        }
    )
    con.execute("SET enable_progress_bar = false")  # it would print into `--json` output
    con.execute(f"SET TimeZone = '{settings.TIME_ZONE}'")
    return con


def _listed(rows: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(n) for n in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _sort_by_row(path: Path, row_offsets: Callable[[], list[int]] | None) -> None:
    """Rejected rows arrive in the order DuckDB's threads produce them; people read by row.

    A split input's rows are numbered per part (``StagedInput.row_offsets``): rows, and
    the rows that "duplicate of row N" names, are renumbered here when any lies past part 0.
    """
    tmp = path.with_suffix(".sorting.csv")
    src, dst = (str(p).replace("'", "''") for p in (path, tmp))
    rejects = f"read_csv('{src}', header=true, all_varchar=false)"
    row, reason = '"row"', "reason"
    dup = "TRY_CAST(regexp_extract(reason, '^duplicate of row ([0-9]+)$', 1) AS BIGINT)"
    with duckdb.connect(config={"threads": 1}) as con:
        if row_offsets is not None:
            found = con.execute(f"SELECT max(greatest({row}, {dup})) FROM {rejects}").fetchone()
            if found and found[0] is not None and found[0] >= 1 << PART_BITS:
                offsets = row_offsets()
                row = _renumber(row, offsets)
                reason = (
                    f"CASE WHEN {dup} IS NULL THEN reason "
                    f"ELSE 'duplicate of row ' || {_renumber(dup, offsets)} END"
                )
        con.execute(
            f'COPY (SELECT {row} AS "row", "column", {reason} AS reason FROM {rejects} '
            f"ORDER BY 1) TO '{dst}' (HEADER, DELIMITER ',', QUOTE '\"', FORCE_QUOTE *)"
        )
    tmp.replace(path)


def _renumber(part_row: str, offsets: list[int]) -> str:
    """SQL turning part << PART_BITS | row within the part into the row number."""
    base = " ".join(f"WHEN {i} THEN {offset}" for i, offset in enumerate(offsets))
    mask = (1 << PART_BITS) - 1
    return f"(({part_row} & {mask}) + CASE {part_row} >> {PART_BITS} {base} END)"


class _Quarantine:
    """Rejected rows, written to the run's quarantine CSV as DuckDB meets them.

    ``add`` is registered as a DuckDB function and called on batches of rows (from
    DuckDB's threads, hence the lock); it writes the rows whose reason is not NULL and
    returns True for the others, so that a filter keeps exactly the good rows.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self.dropped: list[tuple[int, str]] = []  # (row, "dropped totals row")
        self.writer: pacsv.CSVWriter | None = None
        self.error: BaseException | None = None
        self.lock = threading.Lock()

    def add(self, row: pa.ChunkedArray, reject: pa.ChunkedArray) -> pa.ChunkedArray:
        bad = pc.is_valid(reject)
        try:
            if pc.any(bad).as_py():
                # Totals and footer rows are left out, not rejected: kept for the notes.
                drop = pc.fill_null(pc.starts_with(reject, DROPPED), False)
                rejected = bad
                if pc.any(drop).as_py():
                    left_out = zip(
                        pc.filter(row, drop).to_pylist(),
                        pc.filter(reject, drop).to_pylist(),
                        strict=True,
                    )
                    with self.lock:
                        self.dropped += left_out
                    rejected = pc.and_(bad, pc.invert(drop))
                count = pc.sum(rejected.cast(pa.int64())).as_py() or 0
                if count:
                    self._write(pc.filter(row, rejected), pc.filter(reject, rejected), count)
        except BaseException as exc:  # DuckDB would only say "Python exception in UDF"
            self.error = exc
            raise
        return pc.invert(bad)

    def _write(self, row: pa.ChunkedArray, reject: pa.ChunkedArray, count: int) -> None:
        parts = pc.split_pattern(reject, ": ", max_splits=1)
        columns = [row, pc.list_element(parts, 0), pc.list_element(parts, 1)]
        batch = pa.table(columns, schema=QUARANTINE_SCHEMA)
        with self.lock:
            if self.writer is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.writer = pacsv.CSVWriter(str(self.path), QUARANTINE_SCHEMA)
            self.writer.write_table(batch)
            self.rows += count

    def dropped_notes(self, row_offsets: Callable[[], list[int]] | None) -> list[str]:
        """ "dropped totals row 1002", in row order (rows of the whole file)."""
        rows = sorted(self.dropped)
        if any(row >> PART_BITS for row, _ in rows) and row_offsets is not None:
            offsets, mask = row_offsets(), (1 << PART_BITS) - 1
            rows = sorted(((row & mask) + offsets[row >> PART_BITS], why) for row, why in rows)
        repeats = [row for row, why in rows if why.startswith(DROPPED + "exact repeat of row")]
        held = [row for row, why in rows if why == DROPPED + "exact repeat of a row in the table"]
        rest = [(row, why) for row, why in rows if row not in set(repeats) | set(held)]
        notes = [f"{why} {row}" for row, why in rest[:20]]
        if len(rest) > 20:
            notes.append(f"and {len(rest) - 20} more totals or footer rows dropped")
        if repeats:
            notes.append(
                f"skipped {len(repeats)} exact repeat(s) of earlier rows (same key, same "
                f"values): rows {_listed(repeats)}"
            )
        if held:
            notes.append(
                f"skipped {len(held)} row(s) the table already holds with the same values: "
                f"rows {_listed(held)}"
            )
        return notes

    def close(self, row_offsets: Callable[[], list[int]] | None) -> Path | None:
        """Finish the file, sorted by row; its path, or None when no row was rejected."""
        if self.writer is None:
            return None
        self.writer.close()
        self.writer = None
        _sort_by_row(self.path, row_offsets)
        return self.path


def ingest_staged(
    key: str,
    schema: TableSchema,
    staged: StagedInput,
    *,
    mode: str,
    run_id: int,
    column_map: dict[str, str] | None = None,
    max_reject_rate: float = 0.05,
    outcome: Outcome | None = None,
    year_start: int | None = None,
    repeat_of: Callable[[str], str | None] | None = None,
) -> Outcome:
    """Validate and commit one input as one new Delta version of dataset ``key``.

    Pass ``outcome`` to see the counts and notes of a run that raised IngestError
    (e.g. rows read and rejected when the reject rate was exceeded). ``year_start``:
    the source's declaration of the 100 years two-digit years fall in (1950: "85" is
    1985, "24" is 2024); without it a date with a two-digit year is refused.

    A dataset without a primary key gets ``outcome.content_digest`` (see ``digest``);
    ``repeat_of(digest)`` says which earlier run already stored the same rows, if one
    did: then nothing is committed and ``RepeatedContent`` raised with its message.
    """
    outcome = outcome if outcome is not None else Outcome()
    outcome.notes[:0] = staged.notes
    if mode == "upsert" and not schema.primary_key:
        raise IngestError(
            "upsert merges rows by primary key, but this dataset's schema has none: "
            "declare a primaryKey or use append or replace"
        )
    plan = plan_columns(staged, schema, column_map or {})
    if plan.ignored:
        outcome.notes.append(
            "ignored columns not in the schema: "
            + ", ".join(plan.ignored[:20])
            + (f" and {len(plan.ignored) - 20} more" if len(plan.ignored) > 20 else "")
        )
    absent = [name for name, src in plan.sources.items() if src is None]
    if absent:
        outcome.notes.append("columns not in the input, left empty: " + ", ".join(absent))
    staging = _new_staging(key, run_id)
    try:
        qpath = quarantine_dir(key) / f"run-{run_id}.csv"
        # Keys rarely repeat within one input, and finding the first of each repeated key
        # means holding every row until the whole input was read (a 10-million-row file
        # spilled to disk and took 40 % longer). So the first pass does not look: the keys
        # of the files it wrote are checked afterwards (a columnar pass over the key
        # columns), and only if some repeat is the input read again with the full query.
        clock = _Clock()
        if staged.opened_seconds:
            clock.phases.append(("input opened", staged.opened_seconds))
        sql = validation_sql(
            staged,
            schema,
            plan,
            duplicates=False,
            zone=settings.TIME_ZONE,
            year_start=year_start,
        )
        # A wide input is typed and checked in parts first (see validate.parts_sql).
        parts = parts_sql(staged, schema, plan, zone=settings.TIME_ZONE, year_start=year_start)
        with clock("read, checked and written"):
            files = _write_files(sql, staged, schema, staging, qpath, outcome, parts)
        groups = unique_groups(schema)
        with clock("keys checked"):
            repeat = bool(groups) and _keys_repeat(files, groups, schema)
            # Keys are unique across the whole table, not only within one input.
            held = _table_keys(key, schema, mode)
            in_table = held is not None and _keys_in_table(files, held)
        if repeat or in_table:
            staging = _new_staging(key, run_id)
            sql = validation_sql(
                staged,
                schema,
                plan,
                duplicates=True,
                zone=settings.TIME_ZONE,
                held=held if in_table else None,
                year_start=year_start,
            )
            with clock("read again for repeated keys"):
                files = _write_files(sql, staged, schema, staging, qpath, outcome, parts)
        outcome.notes += outcome.dropped
        held_note = _held_note(outcome.quarantine, mode) if in_table else ""
        if held_note:
            outcome.notes.append(held_note + ": quarantined")
        _check_totals(outcome, max_reject_rate, held_note)
        if not schema.primary_key:
            with clock("content digested"):
                outcome.content_digest = content_digest(
                    [f.path for f in files],
                    schema,
                    max(1, int(settings.HUB_THREADS)),
                    settings.HUB_MEMORY_LIMIT,
                )
            earlier = repeat_of(outcome.content_digest) if repeat_of is not None else None
            if earlier:
                raise RepeatedContent(earlier)
        with clock("committed"):
            _commit(key, schema, files, mode=mode, run_id=run_id, file_hash=staged.file_hash())
        outcome.notes.append(clock.text())
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if staged.stop is not None:
            staged.stop()
    table = open_table(key)
    assert table is not None
    outcome.version = table.version()
    return outcome


class _Clock:
    """Seconds per phase of a run, for its notes: where a slow run spent its time."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, float]] = []

    @contextlib.contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phases.append((phase, time.perf_counter() - start))

    def text(self) -> str:
        return "time: " + "; ".join(f"{phase} {seconds:.2f} s" for phase, seconds in self.phases)


def _new_staging(key: str, run_id: int) -> Path:
    """The run's empty staging folder; folders left by killed runs are removed."""
    parent = staging_dir(key)
    if parent.is_dir():
        cutoff = time.time() - STALE_STAGING.total_seconds()
        for old in parent.iterdir():
            with contextlib.suppress(OSError):  # another run may remove it first
                if old.stat().st_mtime < cutoff:
                    shutil.rmtree(old, ignore_errors=True)
    path = parent / f"run-{run_id}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _copy_sql(sql: str, schema: TableSchema, staging: Path) -> str:
    cols = ", ".join(
        f"CAST({ident(f.name)} AS {DUCKDB_TYPES[f.type]}) AS {ident(f.name)}" for f in schema.fields
    )
    options = (
        f"FORMAT parquet, COMPRESSION {COMPRESSION}, ROW_GROUP_SIZE_BYTES '{ROW_GROUP_BYTES}', "
        f"FILE_SIZE_BYTES '{FILE_SIZE}', FILENAME_PATTERN 'part-{{uuid}}', RETURN_STATS"
    )
    return (
        f"COPY (SELECT {cols} FROM ({sql}) "
        f"WHERE _reject IS NULL OR {REJECT_FUNCTION}(_row, _reject)) "
        f"TO {literal(staging)} ({options})"
    )


def _write_files(
    sql: str,
    staged: StagedInput,
    schema: TableSchema,
    staging: Path,
    quarantine_path: Path,
    outcome: Outcome,
    parts: list[str],
) -> list[DataFile]:
    """Run the validation query once: good rows to Parquet files, rejects to quarantine.

    *parts*: statements that first type and check a wide input in parts (the input is
    read by the first of them), or none.
    """
    quarantine = _Quarantine(quarantine_path)
    with tempfile.TemporaryDirectory(prefix="shequ-ingest-") as tmp:
        con = _connect(Path(tmp))
        con.create_function(
            REJECT_FUNCTION,
            quarantine.add,
            ["BIGINT", "VARCHAR"],
            "BOOLEAN",
            type=PythonUDFType.ARROW,  # whole batches of rows, as Arrow arrays
            null_handling=FunctionNullHandling.SPECIAL,  # it is called with NULL reasons
            side_effects=True,  # never skipped, reordered or cached
        )
        try:
            if staged.start is not None:
                staged.start()
            for statement in parts:
                con.execute(statement)
            result = con.execute(_copy_sql(sql, schema, staging)).fetchall()
        except duckdb.Error as exc:
            con.close()  # closes the input: a transcoder writing into it stops
            if staged.finish is not None:
                staged.finish(False)  # raises if the transcoder failed first
            if quarantine.error is not None:
                raise IngestError(f"cannot write the quarantine file: {quarantine.error}") from exc
            raise _read_error(staged, exc) from exc
        finally:
            con.close()
            outcome.quarantine = quarantine.close(staged.row_offsets)
            outcome.rows_rejected = quarantine.rows
            outcome.dropped = quarantine.dropped_notes(staged.row_offsets)
    if staged.finish is not None:
        staged.finish(True)  # the transcoder produced the whole input (or this raises)
    files = [
        DataFile(Path(name), int(count), int(size), _unquote(stats or {}))
        for name, count, size, _footer, stats, *_ in result
        if count
    ]
    outcome.rows_written = sum(f.rows for f in files)
    outcome.rows_read = outcome.rows_written + outcome.rows_rejected
    return files


def _keys_repeat(files: list[DataFile], groups: list[list[str]], schema: TableSchema) -> bool:
    """Whether any key (of the primary key or a unique field) is in two written rows."""
    if not files:
        return False
    sources = f"read_parquet([{', '.join(literal(str(f.path)) for f in files)}])"
    rows = sum(f.rows for f in files)
    with tempfile.TemporaryDirectory(prefix="shequ-keys-") as tmp:
        con = _connect(Path(tmp))
        try:
            return any(_repeats(con, sources, cols, schema, rows) for cols in groups)
        finally:
            con.close()


def _table_keys(key: str, schema: TableSchema, mode: str) -> TableKeys | None:
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


def _keys_in_table(files: list[DataFile], held: TableKeys) -> bool:
    """Whether a written row repeats a key of the table's rows (see ``TableKeys``).

    One hash join per key: DuckDB builds it on the smaller side and, for an ordered key,
    skips the table's row groups outside the new keys' range.
    """
    if not files:
        return False
    new = f"read_parquet([{', '.join(literal(str(f.path)) for f in files)}])"
    with tempfile.TemporaryDirectory(prefix="shequ-keys-") as tmp:
        con = _connect(Path(tmp))
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


def _held_note(quarantine: Path | None, mode: str) -> str:
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


def _unquote(stats: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """RETURN_STATS names columns as SQL identifiers ('"name"'): plain names."""
    return {k[1:-1].replace('""', '"') if k.startswith('"') else k: v for k, v in stats.items()}


def _check_totals(outcome: Outcome, max_reject_rate: float, why: str = "") -> None:
    if outcome.rows_read == 0:
        raise IngestError(
            "the input has no data rows (only a header, or nothing below it); nothing was committed"
        )
    rate = outcome.rows_rejected / outcome.rows_read
    if rate > max_reject_rate:
        raise RejectRateExceeded(
            f"{outcome.rows_rejected} of {outcome.rows_read} rows ({rate:.1%}) were rejected, "
            f"above the limit of {max_reject_rate:.1%}; nothing was committed. "
            "See the quarantine file for each row's reason." + (f" Of them, {why}." if why else "")
        )


def _read_error(staged: StagedInput, exc: duckdb.Error) -> IngestError:
    """What went wrong reading the input, in the reader's words (line and row for CSV)."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        limit = settings.HUB_MEMORY_LIMIT
        return IngestError(
            f"the ingest ran out of memory (SHEQU_HUB_MEMORY_LIMIT is {limit}): "
            f"{_first_line(exc)}; raise the limit or split the file"
        )
    return staged.error(exc)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:500] if str(exc).strip() else type(exc).__name__


def _commit(
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
    actions = _DataFiles(path, schema).adopt(files)
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


class _DataFiles:
    """The Delta add actions for one commit's Parquet data files.

    Each file gets Delta statistics (record and null counts; min/max of numbers, dates
    and times) so that readers can skip files. Text columns get none: a truncated
    string maximum would be wrong, and personal values must not sit in the log. The
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
        self.names = schema.names

    def adopt(self, files: list[DataFile]) -> list[AddAction]:
        """Move *files* into the table's folder; their add actions."""
        self.root.mkdir(parents=True, exist_ok=True)
        actions, moved = [], []
        try:
            for file in files:
                target = self.root / file.path.name
                os.replace(file.path, target)
                moved.append(target)
                actions.append(self._action(target, file))
        except BaseException:
            for target in moved:  # nothing refers to them: leave no stray files behind
                target.unlink(missing_ok=True)
            raise
        return actions

    def _action(self, path: Path, file: DataFile) -> AddAction:
        low: dict[str, Any] = {}
        high: dict[str, Any] = {}
        for name, kind in self.ranged.items():
            st = file.stats.get(name, {})
            if st.get("min_is_exact") == "true" and st.get("max_is_exact") == "true":
                low[name] = _stat(_typed(kind, st["min"]), floor=True)
                high[name] = _stat(_typed(kind, st["max"]), floor=False)
        nulls = {n: int(file.stats[n]["null_count"]) for n in self.names if n in file.stats}
        stats = {"numRecords": file.rows, "minValues": low, "maxValues": high, "nullCount": nulls}
        return AddAction(path.name, file.size, {}, int(time.time() * 1000), True, json.dumps(stats))


def _typed(kind: str, text: str) -> Any:
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


__all__ = ["IngestError", "Outcome", "RejectRateExceeded", "RepeatedContent", "ingest_staged"]
