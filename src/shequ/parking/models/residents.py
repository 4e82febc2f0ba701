"""Residents who log in by phone, their one-time codes, applications and the waiting list."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.parking.models.places import Estate, Garage


class ResidentAccount(models.Model):
    """The phone (encrypted, with an HMAC for look-up) behind a resident's user account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="parking_account"
    )
    phone_enc = models.TextField()
    phone_hash = models.CharField(max_length=64, unique=True)
    phone_masked = models.CharField(_("phone"), max_length=11)
    estate = models.ForeignKey(
        Estate, models.SET_NULL, null=True, blank=True, related_name="accounts"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("resident account")
        verbose_name_plural = _("resident accounts")

    def __str__(self) -> str:
        return self.phone_masked


class PhoneCode(models.Model):
    """A one-time login code: only its HMAC is kept; it expires and allows few attempts."""

    phone_hash = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    estate = models.ForeignKey(Estate, models.SET_NULL, null=True, blank=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"code {self.pk}"


class PriorityGroup(models.TextChoices):
    """Who comes first when spaces are short (used by the allocation)."""

    NO_SPACE = "no_space", _("No parking space of their own")
    SECOND_CAR = "second_car", _("Second car of a household")
    OTHER = "other", _("Other")


class Application(models.Model):
    """A resident's application (错峰停车申请) with up to two plates, checked against hub data.

    ``verification`` holds what the hub said: ``{"residence": "matched"|"no_match"|
    "unavailable", "plates": {"浙A***45": "matched", ...}, "checked_at": ...}``. When data
    confirms both, the application is ``verified`` at once; otherwise it waits for staff with
    the resident's manual proof.
    """

    class Status(models.TextChoices):
        VERIFIED = "verified", _("Verified by data")
        NEEDS_PROOF = "needs_proof", _("Proof needed")
        IN_REVIEW = "in_review", _("Waiting for review")
        APPROVED = "approved", _("Approved by staff")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="parking_applications"
    )
    estate = models.ForeignKey(Estate, models.PROTECT, related_name="applications")
    plates_enc = models.TextField()
    plate_hashes = models.JSONField(default=list)
    plates_masked = models.JSONField(_("plates"), default=list)
    name_enc = models.TextField(blank=True)
    name_masked = models.CharField(_("name"), max_length=50, blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True)
    verification = models.JSONField(_("verification"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    proof_note = models.TextField(_("proof"), blank=True)
    proof_reference = models.CharField(_("proof document"), max_length=200, blank=True)
    # What the allocation needs: ranked garages, priority and walking distances (metres).
    preferences = models.JSONField(_("preferred garages"), default=list, blank=True)
    priority_group = models.CharField(
        _("priority group"), max_length=12, choices=PriorityGroup.choices, default="no_space"
    )
    walking_m = models.JSONField(_("walking distance (m)"), default=dict, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("parking application")
        verbose_name_plural = _("parking applications")
        indexes = [models.Index(fields=["status", "estate"])]

    def __str__(self) -> str:
        return f"{self.estate} {', '.join(self.plates_masked)}"

    @property
    def region(self) -> object:
        return self.estate.region

    @property
    def eligible(self) -> bool:
        return self.status in (self.Status.VERIFIED, self.Status.APPROVED)


class WaitingListEntry(models.Model):
    """A place in a garage plan's waiting list (候补), ranked from 1."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered a space")
        TAKEN = "taken", _("Bought a pass")
        EXPIRED = "expired", _("Offer expired")
        REMOVED = "removed", _("Removed")

    application = models.ForeignKey(Application, models.CASCADE, related_name="waiting")
    garage = models.ForeignKey(Garage, models.CASCADE, related_name="waiting")
    plan_code = models.SlugField(max_length=32)
    rank = models.PositiveIntegerField(_("rank"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default="waiting")
    offered_until = models.DateTimeField(_("offer valid until"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["garage", "plan_code", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "garage", "plan_code"],
                condition=models.Q(status__in=["waiting", "offered"]),
                name="wait_once_per_plan",
            )
        ]
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list entries")

    def __str__(self) -> str:
        return f"{self.garage} {self.plan_code} #{self.rank}"
