"""How a sheet is laid out: two-level merged headers, and sheets that are notes, not tables.

Government workbooks put a title row over a header of two levels (group cells merged
across their columns, e.g. "车辆信息" over "号牌号码" and "号牌种类"; single cells such as
"序号" merged down over both rows), and often open with a 填表说明 sheet of paragraphs
before the sheet that holds the table. ``readers_sheet`` uses these rules to find the
header and the sheet.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

Text = Sequence[str | None]  # a row's cells as text (None: empty), as ``cell_text`` gives them
Merge = tuple[tuple[int, int], tuple[int, int]]

GROUP_SEPARATOR = "/"  # "车辆信息/号牌号码": the group, then the leaf
LABEL = re.compile(r"^\s*\D{1,12}[：:]")  # 制表人： 填报单位： 填表日期：
# Titles are sentences ("临江区2026年10月车辆登记表"); group names are a few words.
GROUP_MAX_CHARS = 20
# Sheet names that say "notes, not data" (填表说明, 说明, 封面, README …), compared whole.
NOTES_NAME = re.compile(
    r"^(填表|填写|填报|使用|编制|报送)?(说明|须知|要求|注意事项|指南)(页)?$"
    r"|^(封面|目录|readme|read me|instructions?|notes?|cover|contents)$",
    re.IGNORECASE,
)
PROSE_CHARS = 30  # a cell this long, or holding a full stop, is a sentence, not a value


def is_group_row(
    upper: Text, lower: Text, all_text: bool, row: int, left: int, merges: list[Merge]
) -> bool:
    """Whether *upper* is the upper level of a header whose leaf row is *lower*.

    *upper* is spreadsheet row *row* (0-based), *all_text* whether its cells are text.
    Found when the leaf row was taken for the header because the group row has fewer
    cells than the table is wide. The upper row must hold at least two short text cells
    (a title is one cell, a "填表日期：" line is a label) and each of them must be either
    a group (merged across two or more columns that have leaf cells below it) or a cell
    standing alone over an empty leaf cell (merged down, or not); at least one group or
    one cell merged down into the leaf row must be there, so two plain header-like rows
    are not taken for one.
    """
    filled = {j: t.strip() for j, t in enumerate(upper) if t is not None}
    if len(filled) < 2 or not all_text:
        return False
    if any(len(t) > GROUP_MAX_CHARS or LABEL.match(t) for t in filled.values()):
        return False
    # Merged ranges starting on the row, by their first column (relative to the rows).
    spans = {c1 - left: (c2 - left, r2) for (r1, c1), (r2, c2) in merges if r1 == row}
    structured = False
    for j in filled:
        end, r2 = spans.get(j, (j, row))
        if end > j and any(b is not None for b in lower[j : end + 1]):
            structured = True  # a group over its leaves
        elif j >= len(lower) or lower[j] is None:
            structured = structured or r2 > row  # a single cell merged down
        else:
            return False  # a value over a value in one column: two separate rows
    return structured


def header_names(
    upper_row: Text, lower_row: Text | None, row: int, left: int, merges: list[Merge]
) -> tuple[list[str], dict[int, str]]:
    """The header's names and, for columns under a group, their leaf text by position.

    Two levels give "group/leaf" ("车辆信息/号牌号码"); a cell merged down over both
    rows, or with nothing below it, keeps its own name ("序号"). *upper_row* is
    spreadsheet row *row* (0-based); *lower_row* is None for a header of one row.
    """
    upper = [(v or "").strip() for v in upper_row]
    if lower_row is None:
        return upper, {}
    for (r1, c1), (r2, c2) in merges:  # spread a merged group name over its columns
        if r1 <= row <= r2 and c2 > c1:
            for c in range(max(c1 - left + 1, 0), min(c2 - left + 1, len(upper))):
                upper[c] = upper[c] or upper[c1 - left]
    lower = [(v or "").strip() for v in lower_row]
    names: list[str] = []
    leaves: dict[int, str] = {}
    for j, (a, b) in enumerate(zip(upper, lower, strict=True)):
        if a and b and a != b:
            names.append(f"{a}{GROUP_SEPARATOR}{b}")
            leaves[j] = b
        else:
            names.append(a or b)
    return names, leaves


def notes_reason(sheet: str, names: Sequence[str], rows: Sequence[Sequence[str | None]]) -> str:
    """Why a sheet holds notes rather than a table ("" when it looks like a table).

    A notes sheet is named so (填表说明, 说明, 封面, README …), or has fewer than two
    columns with values, or its cells are mostly sentences (30 characters or more, or
    holding a full stop).
    """
    if NOTES_NAME.match(sheet.strip()):
        return "its name says it holds notes"
    columns = sum(
        1 for j, name in enumerate(names) if name or any(r[j] is not None for r in rows[:200])
    )
    if columns < 2:
        return "it has fewer than two columns"
    cells = [v for r in rows[:200] for v in r if v is not None]
    cells += [n for n in names if n]
    prose = sum(1 for v in cells if len(v) >= PROSE_CHARS or "。" in v)
    if cells and 2 * prose >= len(cells):
        return "its cells are sentences, not values"
    return ""


@dataclass
class Table:
    sheet: str
    names: list[str]
    rows: list[list[str | None]]
    row_numbers: list[int]  # spreadsheet row numbers (1-based) of rows
    notes: list[str] = field(default_factory=list)
    leaves: dict[str, str] = field(default_factory=dict)  # "车辆信息/号牌号码" -> "号牌号码"


def choose_tables(tables: list[Table], *, every: bool) -> tuple[list[Table], list[str]]:
    """The sheets to load among the non-empty visible ones, with a note for each choice.

    Sheets of notes (``sheet_layout.notes_reason``: 填表说明, 封面, paragraphs) are
    passed over, unless no sheet holds a table. Without *every*, the first remaining
    sheet; with it, every remaining sheet with the header most of them share (the
    first one's on a tie), the others skipped with their header named.
    """
    notes: list[str] = []
    reasons = {t.sheet: notes_reason(t.sheet, t.names, t.rows) for t in tables}
    candidates = [t for t in tables if not reasons[t.sheet]]
    if not candidates:
        notes.append("no sheet looks like a table; read as one anyway")
        candidates = tables
    for t in tables:
        if t not in candidates:
            notes.append(f"skipped sheet {t.sheet!r}: notes, not a table ({reasons[t.sheet]})")
    if not every:
        first = candidates[0]
        notes.append(f"read sheet {first.sheet!r}")
        return [first], notes
    headers = Counter(tuple(t.names) for t in candidates)
    top = max(headers.values())
    header = next(tuple(t.names) for t in candidates if headers[tuple(t.names)] == top)
    chosen = [t for t in candidates if tuple(t.names) == header]
    for t in candidates:
        if tuple(t.names) != header:
            notes.append(
                f"skipped sheet {t.sheet!r}: its header {t.names} differs from the one "
                f"{len(chosen)} sheet(s) share, {list(header)}"
            )
    listed = ", ".join(repr(t.sheet) for t in chosen)
    notes.append(f"read {len(chosen)} sheet(s) with the same header: {listed}")
    return chosen, notes
