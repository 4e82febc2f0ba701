"""Version statistics that an append can update without reading the whole table again.

A version's summary holds, per column, the null count, minimum and maximum (never for
personal columns) and a HyperLogLog sketch: 2^12 one-byte registers from which the
distinct count is estimated (about 1.6% standard error; exact for small counts, where
linear counting applies). Sketches merge by taking the larger register, so the summary
of "version N-1 plus these new files" is the merge of two summaries, and the distinct
count of the union is estimated honestly, without a scan of the older files.

Values are hashed by DuckDB's ``hash()``; a summary records the DuckDB version that
hashed it and is merged only with one from the same version (else: a full scan).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from shequ.hub.ingest.validate import ident, literal
from shequ.hub.tableschema import TableSchema

P = 12
M = 1 << P
_LOW_BITS = 64 - P


@dataclass
class DataFile:
    """A data file DuckDB wrote, with its statistics as COPY … RETURN_STATS gives them."""

    path: Path
    rows: int
    size: int
    stats: dict[str, dict[str, str]]  # column -> {"min", "max", "null_count", …} as text


@dataclass
class ColumnSummary:
    nulls: int = 0
    low: str | None = None  # DuckDB's text of the value (times in UTC), None if unknown
    high: str | None = None
    registers: bytearray = field(default_factory=lambda: bytearray(M))

    def to_json(self) -> dict[str, Any]:
        return {
            "nulls": self.nulls,
            "min": self.low,
            "max": self.high,
            "hll": base64.b64encode(bytes(self.registers)).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ColumnSummary:
        registers = bytearray(base64.b64decode(data["hll"]))
        return cls(data["nulls"], data["min"], data["max"], registers)


@dataclass
class Summary:
    rows: int
    columns: dict[str, ColumnSummary]
    types: dict[str, str]  # field name -> schema type, so a changed type is not merged
    hasher: str = duckdb.__version__

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "hasher": f"duckdb {self.hasher}",
            "types": self.types,
            "columns": {name: c.to_json() for name, c in self.columns.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Summary:
        columns = {name: ColumnSummary.from_json(c) for name, c in data["columns"].items()}
        hasher = str(data.get("hasher", "")).removeprefix("duckdb ")
        return cls(data["rows"], columns, data.get("types", {}), hasher)

    def mergeable(self, schema: TableSchema) -> bool:
        """Whether this summary covers *schema* exactly, hashed by this DuckDB."""
        return self.hasher == duckdb.__version__ and self.types == _types(schema)

    def merge(self, other: Summary, schema: TableSchema) -> Summary:
        columns = {}
        for f in schema.fields:
            a, b = self.columns[f.name], other.columns[f.name]
            has_a, has_b = self.rows > a.nulls, other.rows > b.nulls
            columns[f.name] = ColumnSummary(
                a.nulls + b.nulls,
                _bound(min, f.type, [(a.low, has_a), (b.low, has_b)]),
                _bound(max, f.type, [(a.high, has_a), (b.high, has_b)]),
                bytearray(map(max, a.registers, b.registers)),
            )
        return Summary(self.rows + other.rows, columns, _types(schema))

    def stats(self, schema: TableSchema) -> dict[str, Any]:
        """The statistics a DatasetVersion shows: rows; per column nulls, distinct, min, max."""
        columns = {}
        for name in schema.names:
            c = self.columns[name]
            columns[name] = {
                "nulls": c.nulls,
                "distinct": estimate(c.registers),
                "min": _short(c.low),
                "max": _short(c.high),
            }
        return {"rows": self.rows, "columns": columns}


def _types(schema: TableSchema) -> dict[str, str]:
    return {f.name: f.type for f in schema.fields}


def _short(value: str | None) -> str | None:
    return value if value is None or len(value) <= 60 else value[:57] + "…"


def sort_key(kind: str, text: str) -> Any:
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "datetime":
        return datetime.fromisoformat(text)
    return text  # dates (ISO), booleans (false < true), text: as DuckDB orders them


def _bound(pick: Any, kind: str, parts: list[tuple[str | None, bool]]) -> str | None:
    """min or max over parts given as (bound, has values); all-NULL parts offer none."""
    if any(has and value is None for value, has in parts):
        return None  # a part with values but no known bound: the bound is unknown
    known = [value for value, has in parts if has and value is not None]
    return pick(known, key=lambda v: sort_key(kind, v)) if known else None


def estimate(registers: bytes | bytearray) -> int:
    """HyperLogLog estimate (Flajolet et al.), with linear counting for small counts."""
    zeros = registers.count(0)
    if zeros == M:
        return 0
    alpha = 0.7213 / (1 + 1.079 / M)
    raw = alpha * M * M / math.fsum(2.0**-r for r in registers)
    if raw <= 2.5 * M and zeros:
        return round(M * math.log(M / zeros))
    return round(raw)


def register_sql(files_sql: str, names: Iterable[str]) -> str:
    """One row (column index, register, rank) per non-empty register of each column.

    The register is the hash's top P bits; the rank is one more than the number of
    trailing zeros in the remaining bits (capped by a sentinel bit when they are all zero).
    """
    parts = []
    sentinel = 1 << _LOW_BITS
    for i, name in enumerate(names):
        h = f"hash({ident(name)})"
        parts.append(
            f"SELECT {i} AS c, ({h} >> {_LOW_BITS})::USMALLINT AS r, "
            f"max(bit_count(xor({h} | {sentinel}, ({h} | {sentinel}) - 1)))::UTINYINT AS k "
            f"FROM {files_sql} WHERE {ident(name)} IS NOT NULL GROUP BY r"
        )
    return " UNION ALL ".join(parts)


def files_sql(files: list[str]) -> str:
    # Files written before a field was added lack its column: union_by_name reads NULL.
    return f"read_parquet([{', '.join(literal(f) for f in files)}], union_by_name = true)"


def connect(threads: int, memory_limit: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(
        config={
            "threads": threads,
            "memory_limit": memory_limit,
            "preserve_insertion_order": False,  # let a UNION ALL's parts run side by side
        }
    )
    con.execute("SET enable_progress_bar = false")
    con.execute("SET TimeZone = 'UTC'")  # datetimes are stored and summarised in UTC
    return con


def fill_registers(
    con: duckdb.DuckDBPyConnection, files: list[str], columns: dict[str, ColumnSummary]
) -> None:
    """Set the sketches of *columns* from one pass over those columns of *files*."""
    names = list(columns)
    if not names or not files:
        return
    for c, r, k in con.execute(register_sql(files_sql(files), names)).fetchall():
        registers = columns[names[c]].registers
        registers[r] = max(registers[r], k)


def scan(con: duckdb.DuckDBPyConnection, files: list[str], schema: TableSchema) -> Summary:
    """A summary of *files* from a full columnar scan (when no mergeable summary exists)."""
    pii = schema.pii_fields()
    parts = ["count(*)"]
    for name in schema.names:
        col = ident(name)
        # Never keep a clear personal value as a statistic.
        low, high = ("NULL", "NULL") if name in pii else (f"min({col})", f"max({col})")
        parts += [f"count(*) - count({col})", f"CAST({low} AS VARCHAR)", f"CAST({high} AS VARCHAR)"]
    row = con.execute(f"SELECT {', '.join(parts)} FROM {files_sql(files)}").fetchone()
    assert row is not None
    columns = {
        name: ColumnSummary(*row[1 + 3 * i : 4 + 3 * i]) for i, name in enumerate(schema.names)
    }
    fill_registers(con, files, columns)
    return Summary(row[0], columns, _types(schema))


def summarize_new_files(
    files: list[DataFile], schema: TableSchema, threads: int, memory_limit: str
) -> Summary | None:
    """The new files' summary: counts and bounds from their statistics, sketches by a pass.

    The pass reads each column of the new files once (hashing it for the distinct-count
    sketch); it also finds the bounds DuckDB did not record (long text, say).
    """
    pii = schema.pii_fields()
    columns: dict[str, ColumnSummary] = {}
    unbounded = []
    for f in schema.fields:
        stats = [file.stats.get(f.name, {}) for file in files]
        if any("null_count" not in st for st in stats):
            return None
        column = ColumnSummary(nulls=sum(int(st["null_count"]) for st in stats))
        if f.name not in pii:
            lows = _bounds(f.type, stats, files, "min")
            highs = _bounds(f.type, stats, files, "max")
            if lows is None or highs is None:
                unbounded.append(f.name)
            else:
                column.low, column.high = _pick(min, f.type, lows), _pick(max, f.type, highs)
        columns[f.name] = column
    summary = Summary(sum(file.rows for file in files), columns, _types(schema))
    paths = [str(file.path) for file in files]
    con = connect(threads, memory_limit)
    try:
        fill_registers(con, paths, columns)
        _fill_bounds(con, paths, {name: columns[name] for name in unbounded})
    finally:
        con.close()
    return summary


def _bounds(
    kind: str, stats: list[dict[str, str]], files: list[DataFile], which: str
) -> list[str] | None:
    """Each file's exact min (or max) as DuckDB's text; None if a file with values lacks it."""
    out = []
    for st, file in zip(stats, files, strict=True):
        if int(st["null_count"]) >= file.rows:
            continue  # only NULLs: no bound
        if which not in st or st.get(f"{which}_is_exact") != "true":
            return None
        value = st[which]
        out.append({"0": "false", "1": "true"}.get(value, value) if kind == "boolean" else value)
    return out


def _pick(pick: Any, kind: str, values: list[str]) -> str | None:
    return pick(values, key=lambda v: sort_key(kind, v)) if values else None


def _fill_bounds(
    con: duckdb.DuckDBPyConnection, files: list[str], columns: dict[str, ColumnSummary]
) -> None:
    """Set min and max of *columns* from *files* (for bounds their statistics lack)."""
    if not columns or not files:
        return
    parts = [f"CAST({agg}({ident(name)}) AS VARCHAR)" for name in columns for agg in ("min", "max")]
    row = con.execute(f"SELECT {', '.join(parts)} FROM {files_sql(files)}").fetchone()
    assert row is not None
    for i, column in enumerate(columns.values()):
        column.low, column.high = row[2 * i], row[2 * i + 1]
