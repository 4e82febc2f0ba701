"""The access log (通行记录): every decision with its reasons, kept for a retention period."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.access.models.credentials import Credential
from shequ.access.models.passes import VisitorPass
from shequ.access.models.points import AccessPoint, Device
from shequ.core.models import Person, Region


class Colour(models.TextChoices):
    GREEN = "green", pgettext_lazy("health code", "Green")
    YELLOW = "yellow", pgettext_lazy("health code", "Yellow")
    RED = "red", pgettext_lazy("health code", "Red")
    GREY = "grey", pgettext_lazy("health code", "Grey")


# What each reason code of a decision means (codes are kept; pages show these).
REASONS = {
    "health_green": _("Health code green"),
    "health_yellow": _("Health code yellow"),
    "health_red": _("Health code red"),
    "health_unknown": _("No health code on record"),
    "resident": _("Registered resident"),
    "not_resident": _("Moved out of the registry"),
    "registered_elsewhere": _("Registered in another community"),
    "residency_unknown": _("Not in the registry"),
    "not_listed": _("Not on the watch list"),
    "watch_list": _("On the watch list"),
    "unknown_credential": _("Face or card not enrolled here"),
    "credential_inactive": _("Consent withdrawn"),
    "pass_valid": _("Visitor pass valid"),
    "pass_unknown": _("Unknown visitor pass"),
    "pass_revoked": _("Visitor pass revoked"),
    "pass_other_estate": _("Visitor pass for another estate"),
    "pass_not_yet_valid": _("Visitor pass not yet valid"),
    "pass_expired": _("Visitor pass expired"),
    "pass_used_up": _("Visitor pass used up"),
    "decided_offline": _("Decided offline by the device"),
}


def reason_labels(codes: list[str]) -> list[str]:
    return [str(REASONS.get(code, code)) for code in codes]


class AccessEvent(models.Model):
    """One check at a device and the answer it got; unique per device and event id."""

    class Method(models.TextChoices):
        FACE = "face", _("Face")
        CARD = "card", _("Card")
        QR = "qr", _("QR code")

    # Every door check inserts a row: no index of its own on region, device or person, which
    # lead the composite indexes below (each index is one more B-tree written per check).
    region = models.ForeignKey(Region, models.PROTECT, related_name="access_events", db_index=False)
    point = models.ForeignKey(AccessPoint, models.CASCADE, related_name="events")
    device = models.ForeignKey(Device, models.CASCADE, related_name="events", db_index=False)
    event_id = models.CharField(max_length=64)
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    at = models.DateTimeField(_("time"))
    received_at = models.DateTimeField(auto_now_add=True)
    credential = models.ForeignKey(
        Credential, models.SET_NULL, null=True, blank=True, related_name="events"
    )
    visitor_pass = models.ForeignKey(
        VisitorPass, models.SET_NULL, null=True, blank=True, related_name="events"
    )
    person = models.ForeignKey(
        Person,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_events",
        db_index=False,
    )
    subject_masked = models.CharField(_("who"), max_length=50, blank=True)
    allow = models.BooleanField(_("allowed"))
    colour = models.CharField(_("colour"), max_length=8, choices=Colour.choices)
    display = models.CharField(_("display"), max_length=60)
    reasons = models.JSONField(_("reasons"), default=list)
    abnormal = models.BooleanField(default=False)
    offline = models.BooleanField(_("decided offline"), default=False)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        constraints = [
            models.UniqueConstraint(fields=["device", "event_id"], name="access_event_once")
        ]
        indexes = [
            models.Index(fields=["region", "at"]),
            models.Index(fields=["person", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.device} {self.event_id}"

    @property
    def reason_labels(self) -> list[str]:
        return reason_labels(self.reasons)


class Alert(models.Model):
    """An abnormal status at a gate: one per person and (local) day, however many attempts."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")

    region = models.ForeignKey(Region, models.PROTECT, related_name="access_alerts")
    person = models.ForeignKey(Person, models.CASCADE, related_name="access_alerts")
    day = models.DateField(_("day"))
    first_event = models.ForeignKey(AccessEvent, models.SET_NULL, null=True, related_name="+")
    colour = models.CharField(_("colour"), max_length=8, choices=Colour.choices)
    reasons = models.JSONField(_("reasons"), default=list)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    last_at = models.DateTimeField(_("last attempt"))
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.OPEN
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("access alert")
        verbose_name_plural = _("access alerts")
        constraints = [
            models.UniqueConstraint(fields=["person", "day"], name="access_alert_per_person_day")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.day}"

    @property
    def reason_labels(self) -> list[str]:
        return reason_labels(self.reasons)
