"""Access points (门禁点) of an estate and the devices at them."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Region

# A device heard from within this long counts as online (derived from traffic, no heartbeat).
ONLINE_WITHIN = timedelta(minutes=10)


class AccessPoint(models.Model):
    """A door or gate of an estate (小区门禁点); belongs to the estate's community."""

    class Kind(models.TextChoices):
        GATE = "gate", _("Gate")
        DOOR = "door", _("Building door")

    region = models.ForeignKey(Region, models.PROTECT, related_name="access_points")
    estate = models.CharField(_("estate"), max_length=100)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.GATE)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region__code", "estate", "name"]
        verbose_name = _("access point")
        verbose_name_plural = _("access points")
        constraints = [
            models.UniqueConstraint(fields=["region", "estate", "name"], name="access_point_once")
        ]

    def __str__(self) -> str:
        return f"{self.estate} {self.name}"


class Device(models.Model):
    """A face terminal, card reader or QR scanner at a point; its token is kept as SHA-256."""

    class Kind(models.TextChoices):
        FACE = "face", _("Face terminal")
        CARD = "card", _("Card reader")
        QR = "qr", _("QR scanner")

    point = models.ForeignKey(AccessPoint, models.CASCADE, related_name="devices")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        ordering = ["point", "name"]
        verbose_name = _("access device")
        verbose_name_plural = _("access devices")

    def __str__(self) -> str:
        return f"{self.point} {self.name}"

    @property
    def region(self) -> Region:
        return self.point.region

    @property
    def online(self) -> bool:
        seen = self.last_seen_at
        return seen is not None and timezone.now() - seen < ONLINE_WITHIN
