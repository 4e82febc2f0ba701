"""Delimited text (CSV, TSV, …) as a DuckDB ``read_csv`` staged input."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from .readers_text import UTF8, TextFile, stage_text
from .readers_util import (
    ROW,
    duckdb_message,
    find_header,
    sql_ident,
    sql_string,
    unique_names,
)
from .staging import PART_BITS, IngestError, StagedInput

DELIMITERS = (",", "\t", ";", "|", "^")
MAX_LINE_SIZE = 64 * 1024 * 1024  # a row (with its quoted fields) may be this long
_SNIFF_RECORDS = 30
_HEAD_RECORDS = 60
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, limit))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _records(text: str, delimiter: str, complete: bool, limit: int) -> list[tuple[int, list[str]]]:
    """The first *limit* non-blank records of *text*: (physical lines before it, fields).

    When *text* is only the start of the file, its last record may be cut off and is
    dropped. Parsing stops quietly at a record Python's csv module cannot read.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    out: list[tuple[int, list[str]]] = []
    lines_before = 0
    try:
        for row in reader:
            if row:
                out.append((lines_before, row))
                if len(out) > limit:
                    return out[:limit]
            lines_before = reader.line_num
    except csv.Error:
        return out
    return out if complete else out[:-1]


def sniff_delimiter(text: str, complete: bool = True) -> str:
    """The delimiter of the first records of *text*.

    For each candidate (, tab ; | ^) count the fields of the first records (quotes
    respected); the candidate for which the most records agree on one field count
    above 1 wins, then the one giving more fields, then the earlier candidate.
    Without any candidate splitting the records, ",".
    """
    best: tuple[int, int] = (0, 0)
    chosen = ","
    for delimiter in DELIMITERS:
        counts = Counter(len(row) for _, row in _records(text, delimiter, complete, _SNIFF_RECORDS))
        agreed = [(freq, fields) for fields, freq in counts.items() if fields > 1]
        if agreed and max(agreed) > best:
            best, chosen = max(agreed), delimiter
    return chosen


def _normalize_delimiter(delimiter: str) -> str:
    delimiter = _DELIMITER_NAMES.get(delimiter.lower(), delimiter)
    if len(delimiter) != 1 or delimiter in '\r\n"':
        raise IngestError(f"the delimiter must be a single character, not {delimiter!r}")
    return delimiter


TAIL_BYTES = 16_384
_FOOTER = re.compile(
    r"^\s*(制表人|制表|制表日期|填报单位|填报人|填报日期|填表人|填表日期|审核人|审核|负责人|"
    r"单位负责人|统计人)\s*[：:]"
)


def _summary_tail(path: Path, encoding: str, delim: str) -> tuple[list[str], list[str]]:
    """The first cells of the totals and footer rows at the end of a CSV file.

    Exports from spreadsheets end with 合计/总计/小计 rows and signatures (制表人：…,
    填报单位：…). Only the last lines are looked at (as the spreadsheet reader does), so
    the file is not read twice; the query drops the rows starting with these cells.
    """
    from .readers_sheet import is_totals_row

    try:
        with path.open("rb") as f:
            start = max(0, path.stat().st_size - TAIL_BYTES)
            f.seek(start)
            tail = f.read().decode(encoding or "utf-8", errors="replace")
    except (OSError, LookupError):
        return [], []
    lines = tail.splitlines()[1:] if start else tail.splitlines()  # not a cut first line
    rows = [r for r in csv.reader(lines[-8:], delimiter=delim) if any(c.strip() for c in r)]
    totals: list[str] = []
    footers: list[str] = []
    for row in reversed(rows[1:]):  # never the header
        first = next((c for c in row[:2] if c != ""), "")
        if not first:
            break
        if is_totals_row([c or None for c in row]):
            totals.append(first)
        elif _FOOTER.match(first):
            footers.append(first)
        else:
            break
    return totals, footers


def stage_csv(
    path: Path,
    workdir: Path,
    *,
    encoding: str | None,
    delimiter: str | None,
    check: bool = True,
) -> StagedInput:
    """Stage delimited text for DuckDB.

    * The header is the first record, unless title lines above it are detected (the
      first of the first 30 records with at least half as many non-empty fields as the
      widest record below it); title lines are skipped and noted.
    * Every row must have as many fields as the header. A row with more or fewer fields
      raises IngestError naming its line and data row: more fields would lose data and
      fewer fields are usually a record broken by an unquoted line break, so neither
      is padded or truncated silently. Blank lines are skipped.
    * Empty fields (quoted or not) are NULL. ``_row`` counts data rows from 1.
    """
    # The engine (check=False) streams: DuckDB checks UTF-8 itself, other encodings are
    # transcoded by a separate process while DuckDB reads.
    text = stage_text(path, workdir, encoding, stream=not check)
    return _stage_text_csv(text, delimiter, check)


def _stage_text_csv(text: TextFile, delimiter: str | None, check: bool) -> StagedInput:
    notes = list(text.notes)
    if not text.head.strip():
        raise IngestError("the file is empty (it holds only blank lines or a byte order mark)")
    delim = (
        _normalize_delimiter(delimiter) if delimiter else sniff_delimiter(text.head, text.complete)
    )
    records = _records(text.head, delim, text.complete, _HEAD_RECORDS)
    if not records:
        raise IngestError("the header line is too long or malformed (over 1 MB)")
    widths = [sum(1 for value in row if value.strip()) for _, row in records]
    header_index = find_header(widths, [True] * len(widths))
    if header_index is None:
        raise IngestError("the file is empty (no header line with any names)")
    skip, header = records[header_index]
    if header_index:
        notes.append(f"skipped {header_index} title line(s) above the header on line {skip + 1}")
    names, renames = unique_names(header)
    notes += renames
    if delim != ",":
        notes.append(f"delimiter {delim!r}")

    columns = "{" + ", ".join(f"{sql_string(n)}: 'VARCHAR'" for n in names) + "}"

    def select_sql() -> str:
        common = (
            f"columns={columns}, delim={sql_string(delim)}, "
            "quote='\"', escape='\"', auto_detect=false, strict_mode=true, null_padding=false, "
            f"max_line_size={MAX_LINE_SIZE}, buffer_size={MAX_LINE_SIZE}"
        )

        def read(i: int, path: Path) -> str:
            start = f"header=true, skip={skip}" if i == 0 else "header=false, skip=0"
            return f"read_csv({sql_string(str(path))}, {start}, {common})"

        if not text.parts:
            return f"SELECT {select}, row_number() OVER () AS {ROW} FROM {read(0, text.path)}"
        # Each part is numbered by its own scan (in parallel): _row is part << PART_BITS
        # plus the row within the part, until row_offsets() turns it into the row number.
        return " UNION ALL ".join(
            f"SELECT {select}, {i << PART_BITS}::BIGINT + row_number() OVER () AS {ROW} "
            f"FROM {read(i, part)}"
            for i, part in enumerate(text.parts)
        )

    select = ", ".join(sql_ident(n) for n in names)

    def row_offsets() -> list[int]:
        """Data rows before each part: read the parts again (only when a reject needs it)."""
        offsets = [0]
        with duckdb.connect() as con:
            for i in range(len(text.parts) - 1):
                fifo = text.parts[i].with_name(f"count-{i}-{uuid.uuid4().hex}.fifo")
                feeder = text.refeed(i, fifo)
                sql = select_sql().split(" UNION ALL ")[i]
                sql = sql.replace(sql_string(str(text.parts[i])), sql_string(str(fifo)))
                try:
                    found = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()
                finally:
                    feeder.finish(True)
                offsets.append(offsets[-1] + (found[0] if found else 0))
        return offsets

    def explain(exc: Exception) -> IngestError:
        if "Invalid unicode" in str(exc) and not text.verified:
            bad = text.decoding_error()
            if bad is not None:
                return bad
        return _csv_error(exc, text, delim, header_index, len(names))

    totals, footers = _summary_tail(text.source, text.encoding, delim)
    if check:  # parse once now; the engine passes check=False and uses explain() instead
        try:
            with duckdb.connect() as con:
                con.sql(f"SELECT count(*) FROM ({select_sql()})").fetchall()
        except duckdb.Error as exc:
            raise explain(exc) from None
    return StagedInput(
        explain=explain,
        select_sql=select_sql(),
        columns=names,
        format="csv",
        encoding=text.encoding,
        bytes_read=text.bytes_read,
        sha256=text.sha256,
        hashing=text.hashing,
        notes=notes,
        start=text.start if text.parts else None,
        finish=text.finish if text.parts else None,
        stop=text.stop if text.parts else None,
        row_offsets=row_offsets if text.parts else None,
        totals_cells=totals,
        footer_cells=footers,
    )


def _ragged_row(
    text: TextFile, delimiter: str, header_index: int, width: int
) -> tuple[int, int, list[str]] | None:
    """(line, data row, fields) of the first record whose field count is not *width*."""
    # Read the input itself: text.path may be a pipe that has been read already.
    encoding = "utf-8-sig" if text.encoding in UTF8 else text.encoding
    with _field_limit(MAX_LINE_SIZE), text.source.open(encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=delimiter, quotechar='"')
        index = -1
        lines_before = 0
        for row in reader:
            if row:
                index += 1
                if index > header_index and len(row) != width:
                    return lines_before + 1, index - header_index, row
            lines_before = reader.line_num
    return None


def _csv_error(
    exc: Exception, text: TextFile, delimiter: str, header_index: int, width: int
) -> IngestError:
    message = str(exc)
    if "Expected Number of Columns" in message:
        try:
            found = _ragged_row(text, delimiter, header_index, width)
        except (csv.Error, UnicodeDecodeError):
            found = None
        if found is not None:
            line, row, fields = found
            shown = delimiter.join(fields)
            shown = shown if len(shown) <= 200 else shown[:200] + "…"
            return IngestError(
                f"line {line} (data row {row}) has {len(fields)} fields but the header has "
                f"{width}; a field may hold an unquoted delimiter or line break: {shown!r}"
            )
    where = re.search(r"CSV Error on Line: (\d+)", message)
    near_line = where[1] if where else None
    if near_line is not None and text.parts:
        near_line = _in_whole_file(int(near_line), message, text)
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    reason = next(
        (lines[i - 1] for i, line in enumerate(lines) if line.startswith("Possible") and i),
        duckdb_message(exc),
    )
    near = f" near line {near_line}" if near_line else ""
    return IngestError(f"cannot read the CSV file{near}: {reason}")


def _in_whole_file(line: int, message: str, text: TextFile) -> str:
    """DuckDB's line number in a part of a split input, as a line number in the input."""
    for i, part in enumerate(text.parts):
        if i and str(part) in message:
            with text.source.open("rb") as f:
                line += sum(chunk.count(b"\n") for chunk in _chunks(f, text.splits[i]))
    return str(line)


def _chunks(f: Any, size: int, step: int = 4 << 20) -> Iterator[bytes]:
    while size > 0 and (chunk := f.read(min(step, size))):
        size -= len(chunk)
        yield chunk
