"""What every reader and connector hands to the ingestion engine.

A ``StagedInput`` is a DuckDB ``SELECT`` that yields the input's rows with every
column as VARCHAR under its original header name, plus ``_row``: the 1-based data
row number a person would use to find the row in the original file or answer.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

PART_BITS = 40  # a split input's _row: part << PART_BITS | row within the part


class IngestError(Exception):
    """The input cannot be ingested at all; the message says why and where."""


@dataclass
class StagedInput:
    select_sql: str  # e.g. "SELECT *, row_number() OVER () AS _row FROM read_csv(...)"
    columns: list[str]  # header names as found, in order (without _row)
    format: str  # csv, xlsx, xls, json, jsonl, parquet, http, sql
    name: str = ""  # file name or URL, for people
    encoding: str = ""  # detected text encoding, "" for binary formats
    bytes_read: int = 0
    sha256: str = ""  # of the raw input bytes, for lineage and de-duplication
    # The SHA-256 while a thread still computes it beside the read (see ``file_hash``).
    hashing: Future[str] | None = None
    notes: list[str] = field(default_factory=list)  # e.g. "dropped totals row 120"
    opened_seconds: float = 0.0  # spent opening a file (encoding, hash, split points, sheets)
    workdir: Path | None = None  # temporary files owned by this input
    # Turns a DuckDB error met while reading select_sql into a message naming the line.
    explain: Callable[[Exception], IngestError] | None = None
    # For an input produced while it is read (transcoders writing into pipes): start()
    # starts the producers just before the query; after it, finish(read_whole) waits for
    # them and raises IngestError if they could not produce the whole input; stop() ends
    # them (cleanup calls it).
    start: Callable[[], None] | None = None
    finish: Callable[[bool], None] | None = None
    stop: Callable[[], None] | None = None
    # For an input read in parts in parallel (see readers_text.split_points): _row is
    # part << PART_BITS | row within the part, and row_offsets() gives the data rows
    # before each part, to turn it into the row number.
    row_offsets: Callable[[], list[int]] | None = None
    # The first non-empty cell (of the first two) of the totals rows (合计) and footer
    # rows (制表人：…) a CSV ends with: rows starting so are dropped with a note.
    totals_cells: list[str] = field(default_factory=list)
    footer_cells: list[str] = field(default_factory=list)
    # Columns under a group of a two-level header ("车辆信息/号牌号码") -> their leaf
    # text ("号牌号码"), by which a field's title also matches them.
    leaves: dict[str, str] = field(default_factory=dict)
    # Several spreadsheet sheets read as one: the column of select_sql (not in columns)
    # holding each row's sheet name, stored only by a field that asks for it.
    sheet_column: str = ""

    def file_hash(self) -> str:
        """``sha256``, waiting for it if it is still being computed."""
        if self.hashing is not None:
            self.sha256, self.hashing = self.hashing.result(), None
        return self.sha256

    def error(self, exc: Exception) -> IngestError:
        if self.explain is not None:
            return self.explain(exc)
        text = str(exc).strip().splitlines()
        return IngestError(f"cannot read the input: {text[0] if text else type(exc).__name__}")

    def cleanup(self) -> None:
        if self.stop is not None:
            self.stop()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
