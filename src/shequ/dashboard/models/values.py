"""Indicator values over time (指标时间序列): one row per indicator, region (or estate), run."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Region


class NoDataReason(models.TextChoices):
    """Why a value is missing (the engine's ``Reason``); empty when there is a value."""

    NONE = "", _("Has a value")
    SOURCE_MISSING = "source_missing", _("The source dataset holds no data yet")
    QUERY_FAILED = "query_failed", _("The query failed")
    NOT_MEASURED = "not_measured", _("Nothing to measure yet")
    ERROR = "error", _("The computation failed")


class Value(models.Model):
    """An indicator's value for a region (or one estate of it) at one refresh.

    Every row of one refresh of an indicator shares ``at``, so "the latest values" are the rows
    at the indicator's newest ``at``. ``value`` is None exactly when ``reason`` says why.
    """

    indicator = models.CharField(_("indicator"), max_length=64)
    region = models.ForeignKey(Region, models.CASCADE, related_name="indicator_values")
    estate_code = models.CharField(_("estate code"), max_length=32, blank=True)
    estate_name = models.CharField(_("estate"), max_length=100, blank=True)
    at = models.DateTimeField(_("computed at"))
    value = models.FloatField(_("value"), null=True, blank=True)
    reason = models.CharField(
        _("reason for no data"), max_length=16, choices=NoDataReason.choices, blank=True
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        ordering = ["indicator", "region__code", "estate_code", "-at"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        indexes = [models.Index(fields=["indicator", "at"]), models.Index(fields=["region", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(value__isnull=True) & ~models.Q(reason=""))
                | (models.Q(value__isnull=False) & models.Q(reason="")),
                name="dashboard_value_or_reason",
            ),
            models.UniqueConstraint(
                fields=["indicator", "region", "estate_code", "at"], name="one_value_per_run"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.estate_code or self.region_id} {self.at:%Y-%m-%d %H:%M}"
