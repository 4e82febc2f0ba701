"""Spreadsheets (XLSX, XLS) as a Parquet file of strings in the workdir.

Government exports put title rows above the header, use two-row headers with merged
cells, end with a totals row and come with several sheets; see ``stage_sheet``.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

import pyarrow as pa
import pyarrow.parquet as pq
import python_calamine as calamine

from .readers_util import (
    ROW,
    SHEET,
    find_header,
    hash_file,
    sql_ident,
    sql_string,
    unique_names,
)
from .sheet_layout import LABEL, Table, choose_tables, header_names, is_group_row, notes_reason
from .staging import IngestError, StagedInput

Cell = int | float | str | bool | dt.time | dt.date | dt.datetime | dt.timedelta
Merge = tuple[tuple[int, int], tuple[int, int]]

TOTALS = {
    "合计",
    "总计",
    "小计",
    "共计",
    "总合计",
    "合计数",
    "total",
    "totals",
    "grandtotal",
    "sum",
}
_TOTALS_STRIP = re.compile(r"[\s:：()（）]+")


# Above 2**53 a floating-point number no longer holds every integer exactly.
EXACT_FLOAT = 2**53


def cell_text(value: Cell | None) -> str | None:
    """A cell as text: None for an empty (or blank) cell; integer-valued numbers without
    ".0"; numbers beyond 2**53 in scientific notation ("1.101011990010112e+17": their
    last digits are lost, so they can never pass for an identifier); other numbers with
    up to 15 significant digits (as Excel shows them); dates as
    "2026-10-31", date-times as "2026-10-31 08:30:00", booleans as "true"/"false"."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) <= EXACT_FLOAT:
            return str(int(value))
        if abs(value) > EXACT_FLOAT:
            # Its last digits are lost (an ID number typed as a number): written as
            # spreadsheets show it, never as digits that look exact but were invented.
            return repr(value)
        return f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    seconds = int(value.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def is_totals_row(values: list[str | None]) -> bool:
    """Whether the first non-empty cell says 合计/总计/小计/Total/Sum (also "合  计：")."""
    first = next((v for v in values if v is not None), None)
    return first is not None and _TOTALS_STRIP.sub("", first).casefold() in TOTALS


@dataclass
class SheetMarks:
    """What the values alone do not show: hidden rows, formulas without a saved value."""

    hidden_rows: set[int] = field(default_factory=set)  # spreadsheet row numbers
    empty_formulas: dict[int, int] = field(default_factory=dict)  # column (A = 1) -> cells


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_COLUMN = re.compile(r"[A-Z]+")


def column_letters(number: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(ref: str) -> int:
    found = _CELL_COLUMN.match(ref)
    number = 0
    for ch in found.group(0) if found else "":
        number = number * 26 + ord(ch) - 64
    return number


def _sheet_member(book: zipfile.ZipFile, sheet: str) -> str | None:
    """The XML part of the sheet named *sheet* in an XLSX package."""
    rid = None
    for el in ElementTree.fromstring(book.read("xl/workbook.xml")).iter(f"{_SHEET_NS}sheet"):
        if el.get("name") == sheet:
            rid = el.get(f"{_REL_NS}id")
    if rid is None:
        return None
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{_PKG_NS}Relationship"):
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return None


def _mentions(stream: IO[bytes], needles: tuple[bytes, ...]) -> bool:
    """Whether the stream holds any of *needles* (read in blocks, no XML parsing)."""
    tail = b""
    while block := stream.read(1 << 22):
        if any(n in tail + block[:64] or n in block for n in needles):
            return True
        tail = block[-64:]
    return False


def sheet_marks(path: Path, sheet: str) -> SheetMarks:
    """Hidden rows and formula cells without a saved value on one XLSX sheet.

    calamine gives neither: a formula never computed (a file written by a program, not
    saved by Excel) reads as an empty cell, and a hidden row as any other. The sheet's
    XML is scanned for the two marks first; it is parsed only when one is there.
    """
    marks = SheetMarks()
    try:
        with zipfile.ZipFile(path) as book:
            member = _sheet_member(book, sheet)
            if member is None:
                return marks
            with book.open(member) as stream:
                if not _mentions(stream, (b'hidden="1"', b'hidden="true"', b"<f>", b"<f ")):
                    return marks
            with book.open(member) as stream:
                for _event, el in ElementTree.iterparse(stream, events=("end",)):
                    if el.tag == f"{_SHEET_NS}c":
                        formula = el.find(f"{_SHEET_NS}f")
                        value = el.find(f"{_SHEET_NS}v")
                        inline = el.find(f"{_SHEET_NS}is")
                        saved = (value is not None and value.text) or inline is not None
                        if formula is not None and not saved:
                            col = _column_number(el.get("r", ""))
                            marks.empty_formulas[col] = marks.empty_formulas.get(col, 0) + 1
                    elif el.tag == f"{_SHEET_NS}row":
                        if el.get("hidden") in ("1", "true") and el.get("r"):
                            marks.hidden_rows.add(int(el.get("r", "0")))
                        el.clear()
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError, ValueError):
        return SheetMarks()  # damaged: calamine says so when it reads the values
    return marks


def _spans(numbers: list[int], limit: int = 10) -> str:
    shown = ", ".join(str(n) for n in numbers[:limit])
    return shown + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")


def _header_rows(rows: list[list[Cell]], h: int, top: int, left: int, merges: list[Merge]) -> int:
    """1 or 2: whether the header row *h* has a second row below it (merged cells)."""
    if h + 1 >= len(rows):
        return 1
    below = [v for v in rows[h + 1] if cell_text(v) is not None]
    if not all(isinstance(v, str) for v in below):
        return 1
    for (r1, c1), (r2, c2) in merges:
        if r1 != top + h:
            continue
        if r2 > r1:  # a header cell merged down into the next row
            return 2
        span = rows[h + 1][c1 - left : c2 - left + 1]
        if c2 > c1 and any(cell_text(v) is not None for v in span):
            return 2
    return 1


def _fill_merged_down(
    rows: list[list[Cell]], first: int, top: int, left: int, merges: list[Merge]
) -> int:
    """Copy the value of cells merged down over several data rows (a 社区 name merged
    over all its rows) into every row of the range, in its first column. Returns the
    number of ranges filled."""
    filled = 0
    for (r1, c1), (r2, _) in merges:
        r, c = r1 - top, c1 - left
        if r2 > r1 and r >= first and r < len(rows) and 0 <= c < len(rows[r]):
            value = rows[r][c]
            for below in rows[r + 1 : r2 - top + 1]:
                if cell_text(below[c]) is None:
                    below[c] = value
            filled += 1
    return filled


def _is_footer(row: list[str | None], width: int) -> bool:
    """A row below the totals: signatures ("制表人：王五") or a sparse remark."""
    values = [v for v in row if v is not None]
    return 2 * len(values) <= max(width, 2) or all(LABEL.match(v) for v in values)


def _drop_totals(
    data: list[list[str | None]], numbers: list[int], width: int, label: str
) -> list[str]:
    """Drop totals rows at the bottom, with sparse footer rows ("制表人：…") below them."""
    notes: list[str] = []
    while data:
        tail = next((i for i in range(len(data) - 1, max(len(data) - 7, -1), -1)
                     if is_totals_row(data[i])), None)  # fmt: skip
        if tail is None:
            break
        if not all(_is_footer(row, width) for row in data[tail + 1 :]):
            break
        notes += [f"{label}dropped footer row {n}" for n in numbers[tail + 1 :]]
        notes.append(f"{label}dropped totals row {numbers[tail]}")
        del data[tail:], numbers[tail:]
    return notes


def read_table(
    sheet: calamine.CalamineSheet,
    label: str = "",
    marks: SheetMarks | None = None,
    skip_hidden: bool = False,
) -> Table | None:
    """The table on one sheet, or None if the sheet is empty (see ``stage_sheet``).

    *marks*: the sheet's hidden rows and formulas without a value, said in the notes;
    hidden data rows are left out with *skip_hidden*.
    """
    marks = marks or SheetMarks()
    rows: list[list[Cell]] = sheet.to_python(skip_empty_area=True)
    top, left = sheet.start or (0, 0)
    merges: list[Merge] = sheet.merged_cell_ranges or []
    widths = [sum(1 for v in row if cell_text(v) is not None) for row in rows[:230]]
    all_text = [
        all(isinstance(v, str) for v in row if cell_text(v) is not None) for row in rows[:230]
    ]
    h = find_header(widths, all_text)
    if h is None:
        return None
    above = [cell_text(v) for v in rows[h - 1]] if h > 0 else []
    leaf_row = [cell_text(v) for v in rows[h]]
    if above and is_group_row(above, leaf_row, all_text[h - 1], top + h - 1, left, merges):
        # The leaf row was taken for the header: its group row above is narrower than
        # the table (groups merged across), but belongs to it.
        h, depth = h - 1, 2
    else:
        depth = _header_rows(rows, h, top, left, merges)
    upper = [cell_text(v) for v in rows[h]]
    lower = [cell_text(v) for v in rows[h + 1]] if depth == 2 else None
    raw, leaf_at = header_names(upper, lower, top + h, left, merges)
    titles = sum(1 for w in widths[:h] if w)
    notes = [
        f"{label}header in row {top + h + 1}"
        + (f" and {top + h + 2}" if depth == 2 else "")
        + (f"; skipped {titles} title row(s) above it" if titles else "")
    ]
    if filled := _fill_merged_down(rows, h + depth, top, left, merges):
        notes.append(f"{label}filled {filled} merged cell range(s) down their rows")
    data: list[list[str | None]] = []
    numbers: list[int] = []
    hidden: list[int] = []
    for i in range(h + depth, len(rows)):
        values = [cell_text(v) for v in rows[i]]
        if any(v is not None for v in values):
            if top + i + 1 in marks.hidden_rows:
                hidden.append(top + i + 1)
                if skip_hidden:
                    continue
            data.append(values)
            numbers.append(top + i + 1)
    rows.clear()
    if hidden and skip_hidden:
        notes.append(f"{label}left out {len(hidden)} hidden row(s): {_spans(hidden)}")
    elif hidden:
        notes.append(
            f"{label}{len(hidden)} hidden row(s) loaded like the others: {_spans(hidden)} "
            "(the source option skip_hidden_rows leaves them out)"
        )
    for col, count in sorted(marks.empty_formulas.items()):
        j = col - left - 1
        name = raw[j] if 0 <= j < len(raw) and raw[j] else ""
        notes.append(
            f"{label}column {column_letters(col)}{f' ({name})' if name else ''}: {count} "
            "formula cell(s) without a saved value, read as empty (open and save the file "
            "in Excel to compute them)"
        )
    notes += _drop_totals(data, numbers, sum(1 for name in raw if name), label)
    keep = [j for j, name in enumerate(raw) if name or any(row[j] is not None for row in data)]
    names, renames = unique_names(
        [raw[j] for j in keep], [left + j + 1 for j in keep], reserved=(SHEET,)
    )
    notes += [label + note for note in renames]
    table_rows = [[row[j] for j in keep] for row in data]
    leaves = {names[i]: leaf_at[j] for i, j in enumerate(keep) if j in leaf_at}
    return Table(sheet.name, names, table_rows, numbers, notes, leaves)


def _open_workbook(path: Path, fmt: str, workdir: Path) -> calamine.CalamineWorkbook:
    if path.suffix.lower() != f".{fmt}":  # calamine picks its reader by the extension
        link = workdir / f"input.{fmt}"
        try:
            link.symlink_to(path)
        except OSError:
            shutil.copyfile(path, link)
        path = link
    try:
        return calamine.CalamineWorkbook.from_path(str(path))
    except calamine.PasswordError:
        raise IngestError(f"the {fmt.upper()} file is password-protected") from None
    except (calamine.CalamineError, OSError, ValueError) as exc:
        raise IngestError(f"the {fmt.upper()} file is damaged or truncated: {exc}") from None


def _named(sheet: str) -> str:
    """A sheet name in an error: in “ ”, since a run's error is masked as personal text
    and loses everything within straight quotes but its first character."""
    return f"“{sheet}”"


def _tables(
    path: Path, workdir: Path, fmt: str, sheet: str | None, skip_hidden: bool = False
) -> tuple[list[Table], list[str]]:
    book = _open_workbook(path, fmt, workdir)

    def read(name: str, label: str = "") -> Table | None:
        marks = sheet_marks(path, name) if fmt == "xlsx" else None
        return read_table(book.get_sheet_by_name(name), label, marks, skip_hidden)

    try:
        names = list(book.sheet_names)
        visible = [
            m.name
            for m in book.sheets_metadata
            if m.visible == calamine.SheetVisibleEnum.Visible
            and m.typ == calamine.SheetTypeEnum.WorkSheet
        ]
        if sheet is not None and sheet != "*":
            if sheet not in names:
                listed = ", ".join(_named(n) for n in names)
                raise IngestError(f"there is no sheet {_named(sheet)}; the sheets are: {listed}")
            table = read(sheet)
            return ([table] if table else []), [f"read sheet {sheet!r} (chosen by name)"]
        notes: list[str] = []
        tables: list[Table] = []
        for name in visible:
            table = read(name, f"sheet {name!r}: " if sheet else "")
            if table is None:
                notes.append(f"sheet {name!r} is empty")
                continue
            tables.append(table)
            if sheet is None and not notes_reason(table.sheet, table.names, table.rows):
                break  # the first sheet holding a table: the others need not be read
        if not tables:
            listed = ", ".join(_named(n) for n in names)
            raise IngestError(f"the workbook has no data on any visible sheet (sheets: {listed})")
        chosen, more = choose_tables(tables, every=sheet == "*")
        return chosen, notes + more
    except calamine.CalamineError as exc:
        raise IngestError(f"the {fmt.upper()} file is damaged or truncated: {exc}") from None
    finally:
        book.close()


def stage_sheet(
    path: Path, workdir: Path, *, fmt: str, sheet: str | None, skip_hidden: bool = False
) -> StagedInput:
    """Stage one sheet (``sheet=None``: the first visible sheet holding a table; a name:
    that sheet) or all visible sheets with the same header (``sheet="*"``).

    * Sheets of notes (填表说明, 封面, paragraphs of text; see ``choose_tables``) are
      passed over, each with a note; the notes say which sheet(s) were read.
    * The header row is found automatically (see ``find_header``); title rows above it
      are skipped. A header of two rows, group cells merged across over leaf cells (e.g.
      "车辆信息" over "号牌号码" and "号牌种类"), gives "车辆信息/号牌号码",
      "车辆信息/号牌种类" (``StagedInput.leaves`` maps them to their leaf text, by which
      catalog titles match them); a cell merged down over both rows keeps its name.
    * Empty rows are skipped; trailing totals rows (first non-empty cell 合计, 总计,
      小计, Total, Sum…) are dropped with a note "dropped totals row N", together with
      signature/remark rows below them ("制表人：…", noted as footer rows); a 小计 row
      followed by data stays. Columns with neither a header nor any value are dropped;
      an empty header with values becomes ``column_<n>`` (n = spreadsheet column
      number, A = 1). A data cell merged down over several rows (a 社区 name over all
      its residents) is repeated in each of those rows.
    * ``_row`` is the spreadsheet row number (as Excel shows it) of each row; with
      ``sheet="*"`` it is the row number within the row's own sheet, whose name is in
      the column ``_sheet`` (``StagedInput.sheet_column``: not one of ``columns``, so
      it is stored only by a field that asks for it; see ``validate.plan_columns``).
    * Sheets are read into memory whole (Excel limits them to 1,048,576 rows).
    * Hidden rows and formula cells without a saved value (XLSX) are named in the
      notes; ``skip_hidden`` leaves hidden data rows out.
    """
    size, sha = hash_file(path)
    tables, notes = _tables(path, workdir, fmt, sheet, skip_hidden)
    if not tables:
        raise IngestError(f"sheet {_named(sheet or '')} is empty")
    first = tables[0]
    every = sheet == "*"
    # _row stays last, as in every StagedInput; the sheet's name is just before it.
    names = [*first.names, *([SHEET] if every else [])]
    schema = pa.schema([pa.field(n, pa.string()) for n in names] + [pa.field(ROW, pa.int64())])
    target = workdir / "sheet.parquet"
    with pq.ParquetWriter(target, schema) as writer:
        for table in tables:
            notes += table.notes
            if every:
                span = (
                    f"rows {table.row_numbers[0]}–{table.row_numbers[-1]}"
                    if table.rows
                    else "no rows"
                )
                notes.append(f"sheet {table.sheet!r}: {len(table.rows)} data rows ({span})")
            columns = [pa.array(list(col), pa.string()) for col in zip(*table.rows, strict=True)]
            if not table.rows:
                columns = [pa.array([], pa.string()) for _ in first.names]
            if every:
                columns.append(pa.array([table.sheet] * len(table.rows), pa.string()))
            columns.append(pa.array(table.row_numbers, pa.int64()))
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))
    select = ", ".join(sql_ident(n) for n in [*names, ROW])
    return StagedInput(
        select_sql=f"SELECT {select} FROM read_parquet({sql_string(str(target))})",
        columns=first.names,
        format=fmt,
        bytes_read=size,
        sha256=sha,
        notes=notes,
        leaves=first.leaves,
        sheet_column=SHEET if every else "",
    )
