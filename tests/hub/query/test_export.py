"""Exported text never runs as a spreadsheet formula: CSV and XLSX neutralise it alike."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from hub.factories import Hub
from shequ.hub.query import run_query
from shequ.hub.query.export import export_file, spreadsheet_text

pytestmark = [pytest.mark.django_db]

SQL = (
    "SELECT '=HYPERLINK(\"http://x\")' AS a, '+1' AS b, '-2+3' AS c, '@SUM(A1)' AS d, "
    "chr(9) || '=1' AS e, chr(13) || '=1' AS f, 'a=b' AS g, -5 AS n, 2.5 AS x "
    "FROM parking_lots LIMIT 1"
)
SAFE = ['\'=HYPERLINK("http://x")', "'+1", "'-2+3", "'@SUM(A1)", "'\t=1", "'\r=1", "a=b"]


def _export(hub: Hub, fmt: str) -> bytes:
    handle = export_file(run_query(hub.staff, SQL), fmt)
    try:
        return handle.read()
    finally:
        handle.close()


def test_the_shared_function() -> None:
    assert [spreadsheet_text(v.lstrip("'")) for v in SAFE[:6]] == SAFE[:6]
    assert spreadsheet_text("a=b") == "a=b"
    assert spreadsheet_text("") == ""


def test_csv_cells_that_look_like_formulas_are_text(hub: Hub) -> None:
    text = _export(hub, "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[1] == [*SAFE, "-5", "2.5"]  # numbers stay numbers


def test_xlsx_cells_are_neutralised_the_same_way(hub: Hub, tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(_export(hub, "xlsx"))
    rows = list(openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    # xlsxwriter stores a carriage return as the escape _x000D_, which openpyxl leaves as it is.
    assert [str(v).replace("_x000D_", "\r") for v in rows[1][:7]] == SAFE
    assert rows[1][7] == -5
