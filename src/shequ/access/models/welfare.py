"""Welfare checks (关爱探访): elders living alone not seen at any door for a while."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Person, Region


class WelfareCheck(models.Model):
    """A gentle alert for the community worker to visit or call; they record the outcome."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("To visit or call")
        FINE = "fine", _("Fine")
        HELPED = "helped", _("Helped")
        ESCALATED = "escalated", _("Escalated")

    region = models.ForeignKey(Region, models.PROTECT, related_name="welfare_checks")
    person = models.ForeignKey(Person, models.CASCADE, related_name="welfare_checks")
    raised_at = models.DateTimeField(_("raised at"))
    last_seen_at = models.DateTimeField(_("last seen at a door"), null=True, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OPEN
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("welfare check")
        verbose_name_plural = _("welfare checks")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(outcome="open"),
                name="one_open_welfare_check_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.raised_at:%Y-%m-%d}"


class WelfareOptOut(models.Model):
    """A resident who asked not to be watched for absence (their own choice, recorded)."""

    person = models.OneToOneField(Person, models.CASCADE, related_name="welfare_opt_out")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("welfare opt-out")
        verbose_name_plural = _("welfare opt-outs")

    def __str__(self) -> str:
        return str(self.person_id)
