"""Small helpers shared by the file readers (see ``readers.py``)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

CHUNK_SIZE = 4 * 1024 * 1024  # bytes per read when streaming a file
ROW = "_row"  # the row-number column every StagedInput adds
SHEET = "_sheet"  # the sheet-name column of several sheets read as one (sheet="*")
HEADER_SCAN_ROWS = 30  # the header must be within this many rows of the first non-empty one
WIDTH_SCAN_ROWS = 200  # rows below a header candidate that tell how wide the table is

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def sql_string(value: str) -> str:
    """A SQL string literal: single quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """A quoted SQL identifier: double quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def hash_file(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of a file, read in chunks (bounded memory)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def clean_header(value: str) -> str:
    """A header cell as a column name: trimmed, with line breaks inside the cell removed.

    Spreadsheet headers often wrap ("联系\\n电话"); parts are joined directly between
    CJK characters and with a space otherwise ("Phone\\nnumber" → "Phone number").
    """
    out = ""
    for part in _LINE_BREAK.split(value.replace("\ufeff", "")):
        part = part.strip()
        if not part:
            continue
        if out and (out[-1].isascii() or part[0].isascii()):
            out += " "
        out += part
    return out


def unique_names(
    raw: Sequence[str],
    numbers: Sequence[int] | None = None,
    *,
    clean: bool = True,
    reserved: Sequence[str] = (),
) -> tuple[list[str], list[str]]:
    """Column names from header cells, and notes about every rename.

    An empty name becomes ``column_<n>`` (``n`` from *numbers*, else the 1-based
    position). A name already used (compared case-insensitively, as DuckDB does) gets
    ``_2``, ``_3``…; so does a column called ``_row`` or one of *reserved*.
    """
    names: list[str] = []
    notes: list[str] = []
    seen = {ROW, *(r.casefold() for r in reserved)}
    for i, value in enumerate(raw):
        number = numbers[i] if numbers is not None else i + 1
        base = clean_header(value) if clean else value
        if not base:
            base = f"column_{number}"
        name = base
        n = 2
        while name.casefold() in seen:
            name = f"{base}_{n}"
            n += 1
        if name != base:
            notes.append(f"column {number} {base!r} renamed to {name!r} (duplicate or reserved)")
        seen.add(name.casefold())
        names.append(name)
    return names, notes


def find_header(widths: Sequence[int], all_text: Sequence[bool]) -> int | None:
    """Index of the header among the first rows of a table, or None if all are empty.

    The header is the first row within the first ``HEADER_SCAN_ROWS`` whose non-empty
    cells are all text and at least half as many as in the widest row below it (so a
    one-cell title such as "临江区2026年10月车辆登记表" is skipped). If no row qualifies,
    the first wide-enough row is taken, then the first non-empty row.
    """
    limit = min(len(widths), HEADER_SCAN_ROWS)

    def wide_enough(i: int) -> bool:
        below = widths[i + 1 : i + 1 + WIDTH_SCAN_ROWS]
        return widths[i] > 0 and 2 * widths[i] >= max(below, default=0)

    for i in range(limit):
        if all_text[i] and wide_enough(i):
            return i
    for i in range(limit):
        if wide_enough(i):
            return i
    return next((i for i, w in enumerate(widths) if w > 0), None)


def duckdb_message(exc: Exception) -> str:
    """The useful part of a DuckDB error: the first line without the error class prefix."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    return re.sub(r"^[A-Za-z ]+Error: ", "", first)


def select_list(items: Iterable[tuple[str, str]]) -> str:
    """``expr AS "name", …`` from (expression, name) pairs."""
    return ", ".join(f"{expr} AS {sql_ident(name)}" for expr, name in items)
