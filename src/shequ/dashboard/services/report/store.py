"""Generating and keeping reports: files under ``DATA_DIR/dashboard/reports``, one row each.

A report is named by region, week and language (``<code>/<week>-<language>.<ext>``), so
generating it again writes the same names: each file is written to a temporary file and
renamed over the old one (a reader gets the old or the new file, never half of one), and the
row is made or updated under the unique (region, week, language) constraint, so two
generations at once end with one row and whole files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shequ.core.errors import Invalid
from shequ.core.files import write_atomically
from shequ.core.models import Region
from shequ.dashboard.models import WeeklyReport
from shequ.dashboard.services.report import content, fonts, pdf, xlsx
from shequ.dashboard.services.report.weeks import Week

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
_NAME = re.compile(r"^\d{12}/\d{4}-W\d{2}-[a-z-]{2,7}\.(xlsx|pdf)$")


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def root() -> Path:
    return Path(settings.DATA_DIR) / "dashboard" / "reports"


def _write(name: str, data: bytes) -> None:
    write_atomically(root() / name, data)


def path_of(name: str) -> Path | None:
    """The file of a stored report's name; None for a name that is not one, or a file gone."""
    if not _NAME.fullmatch(name):
        return None
    path = root() / name
    return path if path.is_file() else None


def _check_language(language: str) -> None:
    if language not in languages():
        raise Invalid(
            _("language: one of %(codes)s.") % {"codes": ", ".join(languages())},
            fields={"language": [_("One of %(codes)s.") % {"codes": ", ".join(languages())}]},
        )


def generate(region: Region, week: Week, language: str) -> WeeklyReport:
    """Build the report in ``language``, write its files, keep (or replace) its row."""
    _check_language(language)
    fonts.find()  # no Chinese font: say so in the caller's language, before any work
    with translation.override(language):
        report = content.build(region, week)
        files = {"xlsx": xlsx.render(report), "pdf": pdf.render(report)}
    names = {fmt: f"{region.code}/{week.name}-{language}.{fmt}" for fmt in files}
    for fmt, data in files.items():
        _write(names[fmt], data)
    fields: dict[str, Any] = {
        "week_start": week.monday,
        "generated_at": timezone.now(),
        "xlsx_name": names["xlsx"],
        "pdf_name": names["pdf"],
        "xlsx_bytes": len(files["xlsx"]),
        "pdf_bytes": len(files["pdf"]),
        "indicators": len(report.lines),
        "off_target": report.count("not_met"),
        "no_data": report.count("no_data"),
        "problems": len(report.problems),
    }
    key: dict[str, Any] = {"region": region, "week": week.name, "language": language}
    try:
        with transaction.atomic():
            found, _created = WeeklyReport.objects.update_or_create(**key, defaults=fields)
    except IntegrityError:  # another generation made the row between our look-up and insert
        WeeklyReport.objects.filter(**key).update(**fields)
        found = WeeklyReport.objects.get(**key)
    return found
