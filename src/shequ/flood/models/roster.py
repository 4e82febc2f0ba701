"""The duty roster (值班表): who is on duty for a region, at which tier, told from which level."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Region
from shequ.flood.models.levels import Level


class Tier(models.IntegerChoices):
    FIRST = 1, _("First on duty")
    LEADER = 2, _("Duty leader")
    COMMAND = 3, _("Flood command")


class DutyShift(models.Model):
    """A person on duty for a region (and the regions under it) from ``starts_at`` to
    ``ends_at``; told of alerts from ``min_level`` up, when the alert reaches their tier."""

    region = models.ForeignKey(Region, models.CASCADE, related_name="flood_shifts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="flood_shifts")
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices, default=Tier.FIRST)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    min_level = models.PositiveSmallIntegerField(
        _("told from level"), choices=Level.choices, default=Level.BLUE
    )

    class Meta:
        ordering = ["region", "starts_at", "tier"]
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="flood_shift_ends_after"
            )
        ]
        indexes = [models.Index(fields=["starts_at", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.region} {self.user} T{self.tier}"


class Silence(models.Model):
    """Maintenance at a point (or one of its rules) until ``until``: its alerts still open,
    escalate and resolve, but nobody is told of them."""

    point = models.ForeignKey(
        "flood.MonitoringPoint", models.CASCADE, related_name="silences", verbose_name=_("point")
    )
    rule = models.ForeignKey(
        "flood.Rule", models.CASCADE, null=True, blank=True, related_name="silences"
    )
    starts_at = models.DateTimeField(_("starts"))
    until = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("silence")
        verbose_name_plural = _("silences")

    def __str__(self) -> str:
        return f"{self.point_id} until {self.until}"
