"""The data files and quarantine file of one run's validation query (see run.py).

DuckDB runs the validation query (``validate.py``) and writes the good rows itself,
straight into Parquet files in the run's staging folder. A rejected row is handed, as
it goes by, to a small Python function that appends its row number, column and reason
to the run's quarantine CSV, sorted by row at the end.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.conf import settings
from duckdb.func import FunctionNullHandling, PythonUDFType

from shequ.hub.ingest.cells import ident, literal
from shequ.hub.ingest.checks import DROPPED
from shequ.hub.ingest.staging import PART_BITS, IngestError, StagedInput
from shequ.hub.ingest.summary import DataFile
from shequ.hub.tableschema import DUCKDB_TYPES, TableSchema

FILE_SIZE = "128MB"  # DuckDB starts a new Parquet data file past this size
ROW_GROUP_BYTES = "8MB"  # about this much per row group (a reader's unit of work)
COMPRESSION = "snappy"
REJECT_FUNCTION = "shequ_reject"
QUARANTINE_SCHEMA = pa.schema(
    [("row", pa.int64()), ("column", pa.string()), ("reason", pa.string())]
)


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


def connect(workdir: Path) -> duckdb.DuckDBPyConnection:
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


def write_files(
    sql: str,
    staged: StagedInput,
    schema: TableSchema,
    staging: Path,
    quarantine_path: Path,
    outcome: Outcome,
    parts: Callable[[duckdb.DuckDBPyConnection], None] | None,
) -> list[DataFile]:
    """Run the validation query once: good rows to Parquet files, rejects to quarantine.

    *parts*: what first types and checks a wide input in parts (and reads the input),
    on the same connection; None for a narrow input.
    """
    quarantine = _Quarantine(quarantine_path)
    with tempfile.TemporaryDirectory(prefix="shequ-ingest-") as tmp:
        con = connect(Path(tmp))
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
            if parts is not None:
                parts(con)
            result = con.execute(_copy_sql(sql, schema, staging)).fetchall()
        except duckdb.Error as exc:
            con.close()  # closes the input: a transcoder writing into it stops
            if staged.finish is not None:
                staged.finish(False)  # raises if the transcoder failed first
            if quarantine.error is not None:
                raise IngestError(f"cannot write the quarantine file: {quarantine.error}") from exc
            raise read_error(staged, exc) from exc
        finally:
            con.close()
            outcome.quarantine = quarantine.close(staged.row_offsets)
            outcome.rows_rejected = quarantine.rows
            outcome.dropped = quarantine.dropped_notes(staged.row_offsets)
    if staged.finish is not None:
        staged.finish(True)  # the transcoder produced the whole input (or this raises)
    files = [
        DataFile(Path(name), int(count), int(size), unquote_stats(stats or {}))
        for name, count, size, _footer, stats, *_ in result
        if count
    ]
    outcome.rows_written = sum(f.rows for f in files)
    outcome.rows_read = outcome.rows_written + outcome.rows_rejected
    return files


def unquote_stats(stats: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """RETURN_STATS names columns as SQL identifiers ('"name"'): plain names."""
    return {k[1:-1].replace('""', '"') if k.startswith('"') else k: v for k, v in stats.items()}


def read_error(staged: StagedInput, exc: duckdb.Error) -> IngestError:
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
