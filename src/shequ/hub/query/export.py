"""Exports of a query result: CSV, XLSX and Parquet, masked exactly as the result is.

The result's Arrow table already holds masked values (masking happens in the dataset views),
so an export can only ever contain what the query returned.

- CSV is UTF-8 with a byte-order mark, so that Excel opens Chinese text correctly; times are
  ISO 8601 in local time with their offset, lists and structs JSON.
- XLSX is written row by row (xlsxwriter's constant-memory mode); times are local Excel dates.
- A text cell that a spreadsheet would read as a formula (it starts with =, +, -, @, a tab or a
  carriage return) is neutralised the same way in CSV and XLSX by ``spreadsheet_text``: a
  leading apostrophe, which spreadsheets show as "this is text". Numbers are not text cells.
- Parquet keeps the Arrow types as they are.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import xlsxwriter
from django.conf import settings

from shequ.hub.query.errors import QueryError
from shequ.hub.query.result import QueryResult, json_value

FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
XLSX_MAX_ROWS = 1_048_575  # one sheet, under its header row
XLSX_MAX_CHARS = 32_767
BATCH_ROWS = 10_000


def export(result: QueryResult, fmt: str, out: IO[bytes]) -> None:
    """Write result to out (a binary file) as fmt: csv, xlsx or parquet."""
    if fmt == "csv":
        write_csv(result, out)
    elif fmt == "xlsx":
        write_xlsx(result, out)
    elif fmt == "parquet":
        pq.write_table(result.table, out)
    else:
        raise QueryError(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")


def export_file(result: QueryResult, fmt: str) -> IO[bytes]:
    """The export in a temporary file (deleted when closed), positioned at its start."""
    if fmt not in FORMATS:
        raise QueryError(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")
    out = tempfile.TemporaryFile(prefix="shequ-export-")  # noqa: SIM115 (the caller closes it)
    try:
        export(result, fmt, out)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out


def _rows(result: QueryResult) -> Any:
    for batch in result.table.to_batches(BATCH_ROWS):
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        yield from zip(*columns, strict=True)


def _local(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(ZoneInfo(settings.TIME_ZONE))


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """Text as a spreadsheet cell that can never run as a formula (CSV/formula injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return spreadsheet_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _local(value).isoformat()
    if isinstance(value, list | dict | tuple):
        return json.dumps(json_value(value), ensure_ascii=False)
    return str(json_value(value))


def write_csv(result: QueryResult, out: IO[bytes]) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text)
        writer.writerow(result.columns)
        for row in _rows(result):
            writer.writerow([csv_text(v) for v in row])
        text.flush()
    finally:
        text.detach()  # leave out open for the caller


def write_xlsx(result: QueryResult, out: IO[bytes]) -> None:
    if result.rows > XLSX_MAX_ROWS:
        raise QueryError(
            f"{result.rows:,} rows do not fit in one XLSX sheet ({XLSX_MAX_ROWS:,} at most); "
            "export CSV or Parquet instead."
        )
    book = xlsxwriter.Workbook(
        out, {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    try:
        sheet = book.add_worksheet("query")
        bold = book.add_format({"bold": True})
        formats = {
            datetime: book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            date: book.add_format({"num_format": "yyyy-mm-dd"}),
        }
        sheet.write_row(0, 0, result.columns, bold)
        for r, row in enumerate(_rows(result), start=1):
            for c, value in enumerate(row):
                _write_cell(sheet, r, c, value, formats)
    finally:
        book.close()


def _write_cell(sheet: Any, r: int, c: int, value: Any, formats: dict[type, Any]) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(r, c, value)
    elif isinstance(value, int | float | Decimal):
        number = float(value)
        if math.isfinite(number):
            sheet.write_number(r, c, number)
        else:
            sheet.write_string(r, c, str(value))
    elif isinstance(value, datetime):
        sheet.write_datetime(r, c, _local(value).replace(tzinfo=None), formats[datetime])
    elif isinstance(value, date):
        sheet.write_datetime(r, c, datetime.combine(value, time()), formats[date])
    else:
        sheet.write_string(r, c, csv_text(value)[:XLSX_MAX_CHARS])
