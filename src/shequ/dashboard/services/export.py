"""A chart's data as CSV (UTF-8 with BOM, for Excel) or XLSX (xlsxwriter, already a dependency)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.errors import Invalid
from shequ.dashboard.services.values import Figure

FORMATS = ("csv", "xlsx")


def _header() -> list[str]:
    return [_("Time"), _("Region code"), _("Region"), _("Estate"), _("Indicator"), _("Value"),
            _("Unit"), _("Reason for no data")]  # fmt: skip


def _rows(figures: Sequence[Figure]) -> list[list[object]]:
    return [
        [
            timezone.localtime(f.at).strftime("%Y-%m-%d %H:%M") if f.at else "",
            f.region.code,
            f.region.name,
            f.estate_name or f.estate_code,
            f.title,
            f.value,
            f.unit,
            f.why,
        ]
        for f in figures
    ]


def spreadsheet_text(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading quote (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def render(figures: Sequence[Figure], fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise Invalid(_("Download as csv or xlsx."), fields={"format": [_("csv or xlsx")]})
    rows = _rows(figures)
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(_header())
        writer.writerows([[spreadsheet_text(c) for c in row] for row in rows])
        return ("\ufeff" + text.getvalue()).encode("utf-8")
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"strings_to_numbers": False, "strings_to_formulas": False})
    sheet = book.add_worksheet("data")
    sheet.write_row(0, 0, _header(), book.add_format({"bold": True}))
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            sheet.write(r, c, value) if isinstance(value, float) else sheet.write_string(
                r, c, str(value)
            )
    book.close()
    return out.getvalue()
