"""Ingest one staged input into a dataset's Delta table: one atomic version per run.

Rows stream from DuckDB's validation query through a generator that splits good
rows (to the Delta writer) from rejected ones (to the run's quarantine CSV). The
Delta commit happens only after the last batch, so a failed, refused or killed run
leaves the previous version exactly as it was.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from deltalake import CommitProperties, DeltaTable, write_deltalake
from django.conf import settings

from shequ.hub.ingest.staging import IngestError, StagedInput
from shequ.hub.ingest.validate import plan_columns, validation_sql
from shequ.hub.storage import open_table, quarantine_dir, table_path
from shequ.hub.tableschema import TableSchema

log = logging.getLogger(__name__)

BATCH_ROWS = 131_072
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
    con.execute(f"SET TimeZone = '{settings.TIME_ZONE}'")
    return con


class _Splitter:
    """Iterates good batches for the writer; sends rejects to the quarantine file."""

    def __init__(
        self,
        reader: pa.RecordBatchReader,
        schema: TableSchema,
        qpath: Path,
        max_reject_rate: float,
        outcome: Outcome,
    ) -> None:
        self.reader = reader
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

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        out = self.outcome
        try:
            for batch in self.reader:
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
            self.error = IngestError(f"cannot read the input: {_first_line(exc)}")
            raise self.error from exc
        finally:
            if self.qwriter is not None:
                self.qwriter.close()
                out.quarantine = self.qpath

    def _check_totals(self) -> None:
        out = self.outcome
        if out.rows_read == 0:
            raise IngestError("the input has no data rows")
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
) -> Outcome:
    """Validate and commit one input as one new Delta version of dataset ``key``."""
    outcome = Outcome(notes=list(staged.notes))
    plan = plan_columns(staged, schema, column_map or {})
    if plan.ignored:
        outcome.notes.append("ignored columns: " + ", ".join(plan.ignored[:20]))
    sql = validation_sql(staged, schema, plan)
    qpath = quarantine_dir(key) / f"run-{run_id}.csv"
    with tempfile.TemporaryDirectory(prefix="shequ-ingest-") as tmp:
        con = _connect(Path(tmp))
        try:
            reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
        except duckdb.Error as exc:
            con.close()
            raise IngestError(f"cannot read the input: {_first_line(exc)}") from exc
        splitter = _Splitter(reader, schema, qpath, max_reject_rate, outcome)
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
        if not schema.primary_key:
            raise IngestError("upsert needs a primary key in the dataset's schema")
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
    write_mode: Any = "overwrite" if mode == "replace" else "append"
    write_deltalake(
        str(path),
        stream,
        mode=write_mode,
        commit_properties=props,
        name=key,
        schema_mode="merge" if existing is not None else None,
    )


__all__ = ["DeltaTable", "IngestError", "Outcome", "RejectRateExceeded", "ingest_staged"]
