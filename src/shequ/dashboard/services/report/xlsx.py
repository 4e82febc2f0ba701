"""The report as a workbook (xlsxwriter, as the chart downloads): figures, then problems."""

from __future__ import annotations

import io

import xlsxwriter
from django.utils.translation import gettext as _

from shequ.dashboard.services.export import spreadsheet_text
from shequ.dashboard.services.report.content import Report


def _header() -> list[str]:
    return [_("Indicator"), _("Unit"), _("This week"), _("Last week"), _("Change"),
            _("Target"), _("Target met"), _("Reason for no data"), _("Key")]  # fmt: skip


def render(report: Report) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"strings_to_numbers": False, "strings_to_formulas": False})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet(_("Indicators")[:31])
    sheet.write_string(0, 0, report.title, bold)
    sheet.write_string(1, 0, f"{report.period} · {_('generated')} {report.generated}")
    sheet.write_string(2, 0, report.summary)
    sheet.write_row(4, 0, _header(), bold)
    for r, line in enumerate(report.lines, start=5):
        cells: list[object] = [line.title, line.unit, line.now.value, line.before.value,
                               line.change, line.indicator.target, line.status_label, line.why,
                               line.indicator.key]  # fmt: skip
        for c, value in enumerate(cells):
            if isinstance(value, float | int):
                sheet.write_number(r, c, value)
            elif value is None:
                # no data is a word in the cell, never an empty cell read as zero
                sheet.write_string(r, c, _("no data") if c in (2, 3) else "")
            else:
                sheet.write_string(r, c, str(spreadsheet_text(value)))
    sheet.set_column(0, 0, 28)
    sheet.set_column(7, 8, 30)
    found = book.add_worksheet(_("Open problems")[:31])
    found.write_row(0, 0, [_("Problem"), _("Count")], bold)
    for r, problem in enumerate(report.problems, start=1):
        found.write_string(r, 0, str(spreadsheet_text(problem.text)))
        found.write_number(r, 1, problem.count)
    if not report.problems:
        found.write_string(1, 0, _("No open problems."))
    found.set_column(0, 0, 70)
    book.close()
    return out.getvalue()
