"""Open an uploaded or fetched file as a ``StagedInput`` (a DuckDB SELECT of text columns).

``open_input(path, workdir=...)`` detects the format from the extension and the first
bytes, reads the file and returns a SELECT that yields every column as VARCHAR under its
header name plus ``_row`` (the data row number a person would use to find the row), or
raises ``IngestError`` saying what is wrong and where. The work is split by format:

* ``readers_text``: encoding detection and streaming transcoding to UTF-8,
* ``readers_csv``: delimited text (delimiter sniffing, title lines, ragged rows),
* ``readers_json``: JSON arrays, JSON Lines and Parquet,
* ``readers_sheet``: XLSX and XLS (title rows, merged two-row headers, totals rows).

Conventions across formats: empty values are NULL; DuckDB compares names
case-insensitively, so "ID" and "id" become "ID" and "id_2"; a source column named
``_row`` becomes ``_row_2``; renames and skipped rows are listed in ``notes``.
"""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

from .readers_csv import sniff_delimiter, stage_csv
from .readers_json import stage_json, stage_parquet
from .readers_sheet import stage_sheet
from .readers_text import detect_encoding, transcode
from .staging import IngestError, StagedInput

__all__ = [
    "FORMATS",
    "IngestError",
    "StagedInput",
    "detect_encoding",
    "detect_format",
    "open_input",
    "sniff_delimiter",
    "transcode",
]

FORMATS = ("csv", "xlsx", "xls", "json", "jsonl", "parquet")
_ALIASES = {"tsv": "csv", "txt": "csv", "text": "csv", "ndjson": "jsonl", "xlsm": "xlsx"}
# File name extension -> the format the readers understand (a .txt is read as CSV when it is
# given; connectors pick files by extension and leave .txt alone: a drop folder's notes).
EXTENSION_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PARQUET = b"PAR1"
_HTML = (b"<!doctype html", b"<html", b"<table", b"<meta", b"<head")


def _first_text(head: bytes) -> bytes:
    """The start of the text, without a BOM and leading blank space (lower-cased)."""
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            head = head[2:].decode(encoding, "ignore").encode("utf-8")
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()


def detect_format(path: Path, head: bytes) -> tuple[str, list[str]]:
    """The format of *path* (one of ``FORMATS``) from its extension and first bytes.

    The bytes win when they disagree with the extension (an "xls" that is really XLSX
    or delimited text, as some platforms export), with a note. HTML or XML saved as a
    spreadsheet raises IngestError.
    """
    by_name = EXTENSION_FORMATS.get(path.suffix.lower())
    text = _first_text(head)
    if head.startswith(_ZIP):
        found = "xlsx"
        try:
            with zipfile.ZipFile(path) as archive:
                members = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            members = []  # damaged: let the spreadsheet reader say so
        if members and not any(m.startswith("xl/") for m in members):
            raise IngestError("the file is a ZIP archive, not a spreadsheet: unzip it first")
    elif head.startswith(_OLE2):
        found = "xls"
    elif head.startswith(_PARQUET):
        found = "parquet"
    elif text.startswith(_HTML) or (text.startswith(b"<?xml") and by_name in ("xls", "xlsx")):
        raise IngestError(
            "the file is an HTML or XML page (some platforms save web tables with a "
            "spreadsheet name): open it in Excel and save it as .xlsx"
        )
    elif by_name in ("json", "jsonl", "csv"):
        found = by_name
    elif text.startswith(b"["):
        found = "json"
    elif text.startswith(b"{"):
        found = "jsonl"
    else:
        found = "csv"
    notes = []
    if by_name is not None and by_name != found:
        notes.append(f"the file is named {path.suffix} but holds {found.upper()}: read as {found}")
    return found, notes


def open_input(
    path: Path,
    *,
    workdir: Path,
    format: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    check: bool = True,
    skip_hidden_rows: bool = False,
) -> StagedInput:
    """Stage the file at *path* for ingestion; temporary files go to *workdir*.

    *format* (csv, xlsx, xls, json, jsonl, parquet; also tsv, txt, ndjson) overrides
    detection. *sheet* picks a spreadsheet sheet by name, or ``"*"`` for all sheets with
    the same header (default: the first visible sheet holding a table, not notes; see
    ``readers_sheet.stage_sheet``). *delimiter* and
    *encoding* override sniffing for text formats. *skip_hidden_rows*: leave out rows
    a spreadsheet hides (they are named in the notes either way).

    With *check* (the default) a CSV's SELECT is run once (counting rows) so that
    structural errors are reported here, as IngestError; the ingestion engine passes
    ``check=False`` to parse the file only once and turns errors into the same messages
    with ``StagedInput.error``. It references
    the input file (or a file in *workdir*) by absolute path.

    Empty file → IngestError("the file is empty"); a header without rows → 0 rows. CSV
    rows must have exactly as many fields as the header, otherwise IngestError names the
    line and data row (see ``readers_csv.stage_csv``). Undecodable bytes raise
    IngestError with the byte offset and line ("invalid GB18030 bytes at byte 1234
    (line 17): …").
    """
    started = time.perf_counter()
    path = Path(path).absolute()
    workdir = Path(workdir).absolute()
    if not path.is_file():
        raise IngestError(f"no such file: {path}")
    workdir.mkdir(parents=True, exist_ok=True)
    with path.open("rb") as f:
        head = f.read(4096)
    if not head:
        raise IngestError("the file is empty")
    if format is not None:
        fmt = _ALIASES.get(format.lower(), format.lower())
        if fmt not in FORMATS:
            raise IngestError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
        notes: list[str] = []
    else:
        fmt, notes = detect_format(path, head)
    if sheet is not None and fmt not in ("xlsx", "xls"):
        notes.append(f"sheet={sheet!r} ignored: the file is {fmt}, not a spreadsheet")
    if fmt == "csv":
        staged = stage_csv(path, workdir, encoding=encoding, delimiter=delimiter, check=check)
    elif fmt in ("json", "jsonl"):
        staged = stage_json(path, workdir, fmt=fmt, encoding=encoding)
    elif fmt == "parquet":
        staged = stage_parquet(path)
    else:
        staged = stage_sheet(path, workdir, fmt=fmt, sheet=sheet, skip_hidden=skip_hidden_rows)
    staged.name = path.name
    staged.workdir = workdir
    staged.notes = notes + staged.notes
    staged.opened_seconds = time.perf_counter() - started
    return staged
