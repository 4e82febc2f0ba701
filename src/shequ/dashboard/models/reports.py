"""The weekly report (周报) of a street or community, as generated files kept in an archive."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Region


class WeeklyReport(models.Model):
    """One region's report for one ISO week in one language: an XLSX and a PDF file.

    The files live under ``DATA_DIR/dashboard/reports`` (``services/report/store.py``), named
    by region, week and language; generating the same report again replaces them and keeps
    this one row (the unique constraint makes two concurrent generations meet on it).
    """

    region = models.ForeignKey(Region, models.CASCADE, related_name="weekly_reports")
    week = models.CharField(_("ISO week"), max_length=8)  # 2026-W49
    week_start = models.DateField(_("week starts"))
    language = models.CharField(_("language"), max_length=8)
    generated_at = models.DateTimeField(_("generated at"))
    xlsx_name = models.CharField(max_length=120)
    pdf_name = models.CharField(max_length=120)
    xlsx_bytes = models.PositiveIntegerField(default=0)
    pdf_bytes = models.PositiveIntegerField(default=0)
    indicators = models.PositiveSmallIntegerField(_("indicators"), default=0)
    off_target = models.PositiveSmallIntegerField(_("off target"), default=0)
    no_data = models.PositiveSmallIntegerField(_("without data"), default=0)
    problems = models.PositiveIntegerField(_("open problems"), default=0)
    notified_at = models.DateTimeField(_("staff notified at"), null=True, blank=True)

    class Meta:
        ordering = ["-week_start", "region__code", "language"]
        verbose_name = _("weekly report")
        verbose_name_plural = _("weekly reports")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "week", "language"], name="one_report_per_region_week_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.week} {self.language}"
