"""The report as a PDF (fpdf2), its Chinese text in an embedded subset of the report font."""

from __future__ import annotations

from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from shequ.dashboard.services import values
from shequ.dashboard.services.report import fonts
from shequ.dashboard.services.report.content import Report
from shequ.dashboard.services.report.figures import MET, NOT_MET, Line

FAMILY = "report"
GREEN, RED, GREY = (22, 120, 60), (185, 28, 28), (90, 90, 90)


class _Document(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 6, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def _document(report: Report) -> _Document:
    face = fonts.find()
    pdf = _Document(orientation="portrait", unit="mm", format="A4")
    pdf.add_font(FAMILY, "", str(face.path), collection_font_number=face.index)
    bold = face.bold or face
    pdf.add_font(FAMILY, "B", str(bold.path), collection_font_number=bold.index)
    pdf.set_title(report.title)
    pdf.set_creator("shequ")
    pdf.set_lang("en" if values.english() else "zh-CN")
    pdf.footer_text = f"{report.region.name} · {report.week.name}"
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    return pdf


def _shown(figure_value: float | None, display: str, unit: str) -> str:
    return _("no data") if figure_value is None else f"{display} {unit}".strip()


def _figures(pdf: _Document, report: Report) -> None:
    headings = FontFace(emphasis="BOLD", fill_color=(235, 240, 245))
    plain, grey = FontFace(emphasis="", color=(0, 0, 0)), FontFace(emphasis="", color=GREY)
    widths = (62, 34, 28, 24, 22, 20)
    align = ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "CENTER")
    with pdf.table(
        col_widths=widths, headings_style=headings, line_height=5.5, text_align=align
    ) as table:
        table.row([_("Indicator"), _("This week"), _("Last week"), _("Change"), _("Target"),
                   _("Target met")])  # fmt: skip
        for line in report.lines:
            colour = {MET: GREEN, NOT_MET: RED}.get(line.status, GREY)
            now, before = line.now, line.before
            row = table.row()
            row.cell(line.title, style=plain)
            row.cell(_shown(now.value, now.display, line.unit),
                     style=plain if now.value is not None else grey)  # fmt: skip
            row.cell(_shown(before.value, before.display, line.unit),
                     style=plain if before.value is not None else grey)  # fmt: skip
            row.cell(line.change_display, style=plain)
            row.cell(line.target_display, style=plain)
            bold = "BOLD" if line.status in (MET, NOT_MET) else ""
            row.cell(line.status_label, style=FontFace(color=colour, emphasis=bold))


def _without_data(pdf: _Document, lines: list[Line]) -> None:
    """Why each indicator without a value this week has none (never shown as zero)."""
    if pdf.will_page_break(30):  # the heading stays with its table
        pdf.add_page()
    pdf.set_font(FAMILY, "B", 12)
    pdf.cell(0, 8, _("Indicators without data"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    headings = FontFace(emphasis="BOLD", fill_color=(235, 240, 245))
    with pdf.table(col_widths=(62, 128), headings_style=headings, line_height=5.5) as table:
        table.row([_("Indicator"), _("Reason for no data")])
        for line in lines:
            table.row([line.title, line.why])


def render(report: Report) -> bytes:
    pdf = _document(report)
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 9, report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 6, f"{report.period} · {_('generated')} {report.generated}",
                   new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.set_text_color(0, 0, 0)
    pdf.multi_cell(0, 6, report.summary, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FAMILY, "", 9)
    _figures(pdf, report)
    pdf.ln(5)
    missing = [line for line in report.lines if line.now.value is None]
    if missing:
        _without_data(pdf, missing)
        pdf.ln(5)
    pdf.set_font(FAMILY, "B", 12)
    pdf.cell(0, 8, _("Open problems"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    for problem in report.problems or []:
        pdf.multi_cell(0, 6, f"• {problem.text}", new_x="LMARGIN", new_y="NEXT")
    if not report.problems:
        pdf.multi_cell(0, 6, _("No open problems."), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 8)
    pdf.set_text_color(*GREY)
    pdf.ln(2)
    pdf.multi_cell(0, 5, _("A week's value is the last one computed in that week; open "
                           "problems are as of the report's generation."),
                   new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    return bytes(pdf.output())
