"""Shared passes (错峰停车证) and the plates they are bound to."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.parking.models.places import Garage, Product, SharingPlan
from shequ.parking.models.residents import Application

MAX_PLATES = 2


class Pass(models.Model):
    """A plate-bound pass for one plan of one garage over a period (both days included).

    ``pending`` passes hold a space until ``hold_until`` while the order is being paid.
    ``plan`` is the plan version in force when the pass starts: later changes never touch it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    HOLDING = ("pending", "active", "suspended")

    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="parking_passes"
    )
    application = models.ForeignKey(Application, models.PROTECT, related_name="passes")
    garage = models.ForeignKey(Garage, models.PROTECT, related_name="passes")
    plan = models.ForeignKey(SharingPlan, models.PROTECT, related_name="passes")
    plan_code = models.SlugField(max_length=32)
    product = models.ForeignKey(Product, models.PROTECT, related_name="passes")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    hold_until = models.DateTimeField(null=True, blank=True)
    renews = models.OneToOneField(
        "self", models.SET_NULL, null=True, blank=True, related_name="renewal"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["garage", "plan_code", "status", "starts_on"])]
        verbose_name = _("shared pass")
        verbose_name_plural = _("shared passes")

    def __str__(self) -> str:
        return f"{self.garage} {self.starts_on}–{self.ends_on}"

    @property
    def region(self) -> object:
        return self.garage.region


class PassPlate(models.Model):
    """A plate on a pass: encrypted, masked, and hashed twice for the gate's look-ups.

    ``plate_hash`` finds the exact plate; ``fuzzy_hash`` is the hash of the plate without its
    province character and with look-alike characters folded (0/D/Q, 8/B, 1/I), so a misread
    finds its pass as a *probable* match.
    """

    pass_obj = models.ForeignKey(Pass, models.CASCADE, related_name="plates")
    garage = models.ForeignKey(Garage, models.CASCADE, related_name="+")
    plate_enc = models.TextField()
    plate_masked = models.CharField(_("plate"), max_length=10)
    plate_hash = models.CharField(max_length=64)
    fuzzy_hash = models.CharField(max_length=64)

    class Meta:
        indexes = [
            models.Index(fields=["garage", "plate_hash"]),
            models.Index(fields=["garage", "fuzzy_hash"]),
        ]

    def __str__(self) -> str:
        return self.plate_masked
