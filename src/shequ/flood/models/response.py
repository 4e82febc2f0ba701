"""The emergency response level of a region (防汛应急响应, IV → I) and what each level tightens.

A region's level covers the regions under it: a street at level II puts its villages at II
(or higher, if a village raised its own). ``ResponseSetting`` is the stored configuration of
each level: ``threshold_factor`` scales the thresholds of every threshold, rate-of-rise and
rainfall rule (0.6: a red line of 40 cm fires at 24 cm), ``interval_factor`` the reporting
interval the gauges are asked for.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Region


class ResponseLevel(models.IntegerChoices):
    """Stored by severity, so a higher number is a stronger response: I is the highest."""

    NONE = 0, _("No emergency response")
    IV = 1, _("Level IV response")
    III = 2, _("Level III response")
    II = 3, _("Level II response")
    I = 4, _("Level I response")  # noqa: E741 (the level's own name)


RESPONSE_NAMES = {0: "none", 1: "IV", 2: "III", 3: "II", 4: "I"}
RESPONSE_BY_NAME = {v: k for k, v in RESPONSE_NAMES.items()}


class RegionResponse(models.Model):
    """A region's current response level, raised or lowered by staff with a reason."""

    region = models.OneToOneField(
        Region, models.CASCADE, primary_key=True, related_name="flood_response"
    )
    level = models.PositiveSmallIntegerField(
        _("response level"), choices=ResponseLevel.choices, default=ResponseLevel.NONE
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    since = models.DateTimeField(_("since"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("emergency response level")
        verbose_name_plural = _("emergency response levels")

    def __str__(self) -> str:
        return f"{self.region_id} {RESPONSE_NAMES[self.level]}"

    @property
    def name(self) -> str:
        return RESPONSE_NAMES[self.level]


class ResponseChange(models.Model):
    """One raise or lowering of a region's level: who, when, from, to, why."""

    region = models.ForeignKey(Region, models.CASCADE, related_name="flood_response_changes")
    at = models.DateTimeField()
    from_level = models.PositiveSmallIntegerField(choices=ResponseLevel.choices)
    to_level = models.PositiveSmallIntegerField(choices=ResponseLevel.choices)
    reason = models.CharField(max_length=300)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.region_id} {self.from_level}→{self.to_level}"


class ResponseSetting(models.Model):
    """What a response level tightens (stored, so a county's own plan can set its figures)."""

    level = models.PositiveSmallIntegerField(
        _("response level"), choices=ResponseLevel.choices, primary_key=True
    )
    threshold_factor = models.FloatField(_("threshold factor"))
    interval_factor = models.FloatField(_("reporting interval factor"))

    class Meta:
        ordering = ["level"]
        verbose_name = _("response level setting")
        verbose_name_plural = _("response level settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold_factor__gt=0, threshold_factor__lte=1)
                & models.Q(interval_factor__gt=0, interval_factor__lte=1),
                name="flood_response_factors",
            )
        ]

    def __str__(self) -> str:
        return f"{RESPONSE_NAMES[self.level]} ×{self.threshold_factor}"


# The defaults the migration stores (and ``factors`` falls back on for a level without a row).
DEFAULT_FACTORS = {0: (1.0, 1.0), 1: (0.9, 1.0), 2: (0.8, 0.5), 3: (0.7, 0.5), 4: (0.6, 0.25)}
