"""Ingest one staged input into a dataset's Delta table: one atomic version per run.

Rows stream from DuckDB's validation query through a generator that splits good
rows (to Parquet data files in the table's folder) from rejected ones (to the run's
quarantine CSV). The Delta commit that makes the files part of the table happens only
after the last batch, so a failed, refused or killed run leaves the previous version
exactly as it was: its files are never referenced by the log (a failed run deletes
them; a killed one leaves them for ``vacuum``).

Memory stays bounded whatever the input's size: DuckDB works within
``SHEQU_HUB_MEMORY_LIMIT`` (spilling to disk) and each batch is written out as one
Parquet row group before the next is read. (delta-rs's own writer buffers far more,
so it is used only for upserts and for appends that add a column to the table.)
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from deltalake import CommitProperties, Schema, write_deltalake
from deltalake.transaction import AddAction, create_table_with_add_actions
from django.conf import settings

from shequ.hub.ingest.staging import IngestError, StagedInput
from shequ.hub.ingest.validate import plan_columns, validation_sql
from shequ.hub.storage import open_table, quarantine_dir, table_path
from shequ.hub.tableschema import TableSchema

log = logging.getLogger(__name__)

BATCH_ROWS = 131_072
TARGET_FILE_BYTES = 128 * 1024 * 1024  # start a new Parquet data file past this size
SLICE_BYTES = 16 * 1024 * 1024  # a batch of long rows is split and written in pieces this big
QUARANTINE_SCHEMA = pa.schema(
    [("row", pa.int64()), ("column", pa.string()), ("reason", pa.string())]
)


class RejectRateExceeded(IngestError):
    """Too many rows failed; nothing is committed."""


@dataclass
class Outcome:
    rows_read: int = 0
    rows_written: int = 0
    rows_rejected: int = 0
    version: int | None = None
    quarantine: Path | None = None
    notes: list[str] = field(default_factory=list)


def _connect(workdir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(
        config={
            "threads": max(1, int(getattr(settings, "HUB_THREADS", 2))),
            "memory_limit": getattr(settings, "HUB_MEMORY_LIMIT", "1GB"),
            "temp_directory": str(workdir / "duckdb.tmp"),
            "preserve_insertion_order": True,
        }
    )
    con.execute("SET enable_progress_bar = false")  # it would print into `--json` output
    con.execute(f"SET TimeZone = '{settings.TIME_ZONE}'")
    return con


def _sort_by_row(path: Path) -> None:
    """Rejected rows arrive in the order DuckDB's threads produce them; people read by row."""
    tmp = path.with_suffix(".sorting.csv")
    src, dst = (str(p).replace("'", "''") for p in (path, tmp))
    with duckdb.connect(config={"threads": 1}) as con:
        con.execute(
            f"COPY (SELECT * FROM read_csv('{src}', header=true, all_varchar=false) "
            f"ORDER BY \"row\") TO '{dst}' (HEADER, DELIMITER ',', QUOTE '\"', FORCE_QUOTE *)"
        )
    tmp.replace(path)


class _Splitter:
    """Iterates good batches for the writer; sends rejects to the quarantine file."""

    def __init__(
        self,
        reader: pa.RecordBatchReader,
        staged: StagedInput,
        schema: TableSchema,
        qpath: Path,
        max_reject_rate: float,
        outcome: Outcome,
    ) -> None:
        self.reader = reader
        self.staged = staged
        self.target = schema.arrow_schema()
        self.qpath = qpath
        self.max_reject_rate = max_reject_rate
        self.outcome = outcome
        self.qwriter: pacsv.CSVWriter | None = None
        self.error: IngestError | None = None

    def _quarantine(self, bad: pa.RecordBatch) -> None:
        if self.qwriter is None:
            self.qpath.parent.mkdir(parents=True, exist_ok=True)
            self.qwriter = pacsv.CSVWriter(str(self.qpath), QUARANTINE_SCHEMA)
        parts = pc.split_pattern(bad.column("_reject"), ": ", max_splits=1)
        column = pc.list_element(parts, 0)
        reason = pc.list_element(parts, 1)
        self.qwriter.write_batch(
            pa.record_batch([bad.column("_row"), column, reason], schema=QUARANTINE_SCHEMA)
        )

    def _good(self, batch: pa.RecordBatch, ok: pa.Array) -> pa.RecordBatch:
        good = batch.filter(ok)
        arrays = [good.column(f.name).cast(f.type) for f in self.target]
        return pa.RecordBatch.from_arrays(arrays, schema=self.target)

    def _pieces(self) -> Iterator[pa.RecordBatch]:
        """The query's batches, wide ones sliced (without copying) to about SLICE_BYTES."""
        for batch in self.reader:
            step = max(1, batch.num_rows * SLICE_BYTES // max(batch.nbytes, 1))
            for start in range(0, batch.num_rows, step):
                yield batch.slice(start, step)

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        out = self.outcome
        try:
            for batch in self._pieces():
                out.rows_read += batch.num_rows
                ok = pc.is_null(batch.column("_reject"))
                good_rows = pc.sum(ok.cast(pa.int64())).as_py() or 0
                if good_rows < batch.num_rows:
                    self._quarantine(batch.filter(pc.invert(ok)))
                    out.rows_rejected += batch.num_rows - good_rows
                if good_rows:
                    out.rows_written += good_rows
                    yield self._good(batch, ok)
            self._check_totals()
        except IngestError as exc:
            self.error = exc
            raise
        except duckdb.Error as exc:
            self.error = _read_error(self.staged, exc)
            raise self.error from exc
        finally:
            if self.qwriter is not None:
                self.qwriter.close()
                _sort_by_row(self.qpath)
                out.quarantine = self.qpath

    def _check_totals(self) -> None:
        out = self.outcome
        if out.rows_read == 0:
            raise IngestError(
                "the input has no data rows (only a header, or nothing below it); "
                "nothing was committed"
            )
        rate = out.rows_rejected / out.rows_read
        if rate > self.max_reject_rate:
            raise RejectRateExceeded(
                f"{out.rows_rejected} of {out.rows_read} rows ({rate:.1%}) were rejected, above "
                f"the limit of {self.max_reject_rate:.1%}; nothing was committed. "
                "See the quarantine file for each row's reason."
            )


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
) -> Outcome:
    """Validate and commit one input as one new Delta version of dataset ``key``.

    Pass ``outcome`` to see the counts and notes of a run that raised IngestError
    (e.g. rows read and rejected when the reject rate was exceeded).
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
    sql = validation_sql(staged, schema, plan)
    qpath = quarantine_dir(key) / f"run-{run_id}.csv"
    with tempfile.TemporaryDirectory(prefix="shequ-ingest-") as tmp:
        con = _connect(Path(tmp))
        try:
            reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
        except duckdb.Error as exc:
            con.close()
            raise _read_error(staged, exc) from exc
        splitter = _Splitter(reader, staged, schema, qpath, max_reject_rate, outcome)
        stream = pa.RecordBatchReader.from_batches(schema.arrow_schema(), iter(splitter))
        try:
            _write(key, schema, stream, mode=mode, run_id=run_id, file_hash=staged.sha256)
        except IngestError:
            raise
        except Exception as exc:
            # delta-rs wraps what our generator raised; give people our own message.
            if splitter.error is not None:
                raise splitter.error from exc
            raise IngestError(f"cannot read or write the input: {_first_line(exc)}") from exc
        finally:
            con.close()
    table = open_table(key)
    assert table is not None
    outcome.version = table.version()
    return outcome


def _read_error(staged: StagedInput, exc: duckdb.Error) -> IngestError:
    """What went wrong reading the input, in the reader's words (line and row for CSV)."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        limit = getattr(settings, "HUB_MEMORY_LIMIT", "1GB")
        return IngestError(
            f"the ingest ran out of memory (SHEQU_HUB_MEMORY_LIMIT is {limit}): "
            f"{_first_line(exc)}; raise the limit or split the file"
        )
    return staged.error(exc)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:500] if str(exc).strip() else type(exc).__name__


def _write(
    key: str,
    schema: TableSchema,
    stream: pa.RecordBatchReader,
    *,
    mode: str,
    run_id: int,
    file_hash: str,
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
    if mode == "upsert" and existing is not None:
        on = " AND ".join(f't."{c}" = s."{c}"' for c in schema.primary_key)
        # merge() may read its source more than once: give it a table, not our one-shot stream.
        source = stream.read_all()
        (
            existing.merge(
                source, predicate=on, source_alias="s", target_alias="t", commit_properties=props
            )
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )
        return
    target = schema.arrow_schema()
    if existing is not None and mode != "replace":
        have = {f.name for f in existing.schema().fields}
        if set(schema.names) - have:
            # A field was added to the schema: let delta-rs widen the table in the same commit.
            write_deltalake(
                str(path),
                stream,
                mode="append",
                commit_properties=props,
                schema_mode="merge",
            )
            return
    path.mkdir(parents=True, exist_ok=True)
    files = _DataFiles(path, target, set(schema.pii_fields()))
    try:
        files.write_all(stream)
        actions = files.close()
    except BaseException:
        files.abort()  # nothing refers to them: leave no stray files behind
        raise
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
    """Parquet data files for one commit, written a batch (one row group) at a time.

    Each file gets Delta statistics (record and null counts; min/max of numbers, dates
    and times) so that readers can skip files. Text columns get none: a truncated
    string maximum would be wrong, and personal values must not sit in the log.
    """

    def __init__(self, root: Path, schema: pa.Schema, pii: set[str]) -> None:
        self.root, self.schema = root, schema
        self.ranged = [
            f.name
            for f in schema
            if f.name not in pii
            and (
                pa.types.is_integer(f.type)
                or pa.types.is_floating(f.type)
                or pa.types.is_date(f.type)
                or pa.types.is_timestamp(f.type)
            )
        ]
        self.written: list[Path] = []
        self.actions: list[AddAction] = []
        self.writer: pq.ParquetWriter | None = None
        self.dictionary: list[str] | None = None
        self._reset()

    def _reset(self) -> None:
        self.rows = 0
        self.nulls = dict.fromkeys(self.schema.names, 0)
        self.low: dict[str, Any] = {}
        self.high: dict[str, Any] = {}

    def write_all(self, batches: Iterable[pa.RecordBatch]) -> None:
        for batch in batches:
            if batch.num_rows:
                self.write(batch)

    def write(self, batch: pa.RecordBatch) -> None:
        if self.dictionary is None:
            # Dictionary-encode only repetitive columns: trying it on unique values
            # (IDs, names) makes writing several times slower for nothing.
            self.dictionary = [
                name
                for name in self.schema.names
                if pc.count_distinct(batch.column(name)).as_py() * 2 <= batch.num_rows
            ]
        if self.writer is None:
            name = f"part-{uuid.uuid4()}-c000.snappy.parquet"
            self.written.append(self.root / name)
            self.writer = pq.ParquetWriter(
                str(self.root / name),
                self.schema,
                compression="snappy",
                use_dictionary=self.dictionary,
            )
        self.writer.write_batch(batch)
        self.rows += batch.num_rows
        for name in self.schema.names:
            self.nulls[name] += batch.column(name).null_count
        for name in self.ranged:
            bounds = pc.min_max(batch.column(name))
            low, high = bounds["min"].as_py(), bounds["max"].as_py()
            if low is not None:
                self.low[name] = low if name not in self.low else min(self.low[name], low)
                self.high[name] = high if name not in self.high else max(self.high[name], high)
        if self.written[-1].stat().st_size >= TARGET_FILE_BYTES:
            self._finish_file()

    def _finish_file(self) -> None:
        assert self.writer is not None
        self.writer.close()
        self.writer = None
        path = self.written[-1]
        stats = {
            "numRecords": self.rows,
            "minValues": {k: _stat(v, floor=True) for k, v in self.low.items()},
            "maxValues": {k: _stat(v, floor=False) for k, v in self.high.items()},
            "nullCount": self.nulls,
        }
        self.actions.append(
            AddAction(
                path.name,
                path.stat().st_size,
                {},
                int(time.time() * 1000),
                True,
                json.dumps(stats),
            )
        )
        self._reset()

    def close(self) -> list[AddAction]:
        if self.writer is not None:
            self._finish_file()
        return self.actions

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        for path in self.written:
            path.unlink(missing_ok=True)


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


__all__ = ["IngestError", "Outcome", "RejectRateExceeded", "ingest_staged"]
