"""Gate events, cars inside, operator counts and overstay violations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.parking.models.passes import Pass
from shequ.parking.models.places import Garage


class Decision(models.TextChoices):
    SHARED = "shared", _("Open: shared pass")
    TENANT = "tenant", _("Open: tenant")
    VISITOR = "visitor", _("Open: visitor")
    EXIT = "exit", _("Open: exit")
    DENY = "deny", _("Closed")


class GateEvent(models.Model):
    """One ANPR read at a gate and the decision it got; unique per garage and event id."""

    garage = models.ForeignKey(Garage, models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=64)
    gate = models.CharField(max_length=40)
    direction = models.CharField(max_length=3)
    plate_enc = models.TextField(blank=True)
    plate_masked = models.CharField(max_length=10, blank=True)
    plate_hash = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()
    confidence = models.FloatField(null=True)
    image_ref = models.CharField(max_length=300, blank=True)
    decision = models.CharField(max_length=8, choices=Decision.choices)
    open = models.BooleanField()
    display = models.CharField(max_length=100)
    pass_obj = models.ForeignKey(
        Pass, models.SET_NULL, null=True, blank=True, related_name="events"
    )
    probable_pass = models.ForeignKey(
        Pass, models.SET_NULL, null=True, blank=True, related_name="probable_events"
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["garage", "event_id"], name="gate_event_once")
        ]
        indexes = [models.Index(fields=["garage", "at"])]

    def __str__(self) -> str:
        return f"{self.garage} {self.event_id}"


class Presence(models.Model):
    """A car inside a garage, from its entry event until its exit."""

    garage = models.ForeignKey(Garage, models.CASCADE, related_name="inside")
    plate_hash = models.CharField(max_length=64)
    plate_masked = models.CharField(max_length=10)
    pass_obj = models.ForeignKey(
        Pass, models.CASCADE, null=True, blank=True, related_name="presences"
    )
    entered_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["garage", "plate_hash"], name="inside_once")]

    def __str__(self) -> str:
        return f"{self.garage} {self.plate_masked}"


class OccupancyCount(models.Model):
    """The operator's periodic head count; it resets the event-based counter."""

    garage = models.ForeignKey(Garage, models.CASCADE, related_name="counts")
    counted_at = models.DateTimeField()
    occupied = models.PositiveIntegerField(_("cars counted"))
    computed = models.IntegerField(_("cars by events"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-counted_at"]

    def __str__(self) -> str:
        return f"{self.garage} {self.counted_at}: {self.occupied}"

    @property
    def drift(self) -> int:
        return self.occupied - self.computed


class Violation(models.Model):
    """A shared car still inside after its window plus the grace period (超时滞留)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    pass_obj = models.ForeignKey(Pass, models.CASCADE, related_name="violations")
    garage = models.ForeignKey(Garage, models.CASCADE, related_name="violations")
    presence = models.ForeignKey(
        Presence, models.SET_NULL, null=True, blank=True, related_name="violations"
    )
    plate_masked = models.CharField(max_length=10)
    window_end = models.DateTimeField()
    detected_at = models.DateTimeField()
    resident_notified_at = models.DateTimeField(null=True, blank=True)
    operator_notified_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default="open")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-detected_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pass_obj", "window_end"], name="one_violation_per_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.garage} {self.plate_masked} {self.window_end}"

    @property
    def region(self) -> object:
        return self.garage.region
