"""What every reader and connector hands to the ingestion engine.

A ``StagedInput`` is a DuckDB ``SELECT`` that yields the input's rows with every
column as VARCHAR under its original header name, plus ``_row``: the 1-based data
row number a person would use to find the row in the original file or answer.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


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
    notes: list[str] = field(default_factory=list)  # e.g. "dropped totals row 120"
    workdir: Path | None = None  # temporary files owned by this input
    # Turns a DuckDB error met while reading select_sql into a message naming the line.
    explain: Callable[[Exception], IngestError] | None = None

    def error(self, exc: Exception) -> IngestError:
        if self.explain is not None:
            return self.explain(exc)
        text = str(exc).strip().splitlines()
        return IngestError(f"cannot read the input: {text[0] if text else type(exc).__name__}")

    def cleanup(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
