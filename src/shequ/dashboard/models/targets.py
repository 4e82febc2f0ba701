"""A region's own target for an indicator (指标目标值), set by its staff."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Region


class TargetDirection(models.TextChoices):
    """Whether a value above the target is good (the registry's ``Direction``)."""

    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Target(models.Model):
    """The target (and direction) of one indicator at one region, overriding the registry's.

    A street's target is also the default of its communities that set none of their own.
    Changes are audited with the old and the new value (``services/targets.py``).
    """

    indicator = models.CharField(_("indicator"), max_length=64)
    region = models.ForeignKey(Region, models.CASCADE, related_name="indicator_targets")
    target = models.FloatField(_("target"))
    direction = models.CharField(_("direction"), max_length=8, choices=TargetDirection.choices)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["indicator", "region__code"]
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "region"], name="one_target_per_region")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} @ {self.region_id}: {self.target} ({self.direction})"
