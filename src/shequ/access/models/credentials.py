"""Credentials: the vendor's person reference or a card, the resident behind it, and consent.

The face template stays in the vendor's device; shequ keeps only the vendor's reference to
it. References and card numbers are personal: encrypted, HMAC'd for look-up, masked for show.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.access.models.points import Device
from shequ.core.models import Person, Region


class Credential(models.Model):
    """A face enrolment (vendor person reference) or a card of one resident, in one community."""

    class Kind(models.TextChoices):
        FACE = "face", _("Face")
        CARD = "card", _("Card")

    region = models.ForeignKey(Region, models.PROTECT, related_name="access_credentials")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    ref_enc = models.TextField()
    ref_hash = models.CharField(max_length=64)
    ref_masked = models.CharField(_("reference"), max_length=40)
    person = models.ForeignKey(Person, models.CASCADE, related_name="access_credentials")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_credentials",
    )
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region__code", "id"]
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "ref_hash"], name="access_credential_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.ref_masked}"


class Consent(models.Model):
    """Consent to face recognition (PIPL art. 28/29: separate consent for sensitive data)."""

    class Channel(models.TextChoices):
        PAPER = "paper", _("Signed form at the office")
        APP = "app", _("Online, by the resident")
        STAFF = "staff", _("Recorded by staff")

    credential = models.OneToOneField(Credential, models.CASCADE, related_name="consent")
    purpose = models.CharField(_("purpose"), max_length=200)
    given_on = models.DateField(_("given on"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_channel = models.CharField(
        _("withdrawn through"), max_length=8, choices=Channel.choices, blank=True
    )

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.credential} {self.given_on}"

    @property
    def region(self) -> Region:
        return self.credential.region


class Removal(models.Model):
    """An enrolment to delete from one device after a withdrawal, until the device confirms."""

    credential = models.ForeignKey(Credential, models.CASCADE, related_name="removals")
    device = models.ForeignKey(Device, models.CASCADE, related_name="removals")
    queued_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["queued_at"]
        constraints = [
            models.UniqueConstraint(fields=["credential", "device"], name="access_removal_once")
        ]

    def __str__(self) -> str:
        return f"{self.device}: {self.credential}"
