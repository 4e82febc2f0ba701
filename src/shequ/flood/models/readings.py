"""Readings of gauges, the latest value of each, and camera events."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.flood.models.points import Device


class Reading(models.Model):
    """One value of a device at its phenomenon time; a repeated (device, time) is kept once."""

    device = models.ForeignKey(Device, models.CASCADE, related_name="readings")
    at = models.DateTimeField(_("phenomenon time"))
    value = models.FloatField(_("value"))
    received_at = models.DateTimeField(_("received"))

    class Meta:
        ordering = ["device", "at"]
        constraints = [models.UniqueConstraint(fields=["device", "at"], name="flood_reading_once")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.at:%Y-%m-%d %H:%M} {self.value}"


class LatestReading(models.Model):
    """The newest reading of a device, so dashboards never scan history; only moves forward."""

    device = models.OneToOneField(Device, models.CASCADE, primary_key=True, related_name="latest")
    at = models.DateTimeField()
    value = models.FloatField()
    received_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.device_id} {self.at}"


class CameraEventType(models.TextChoices):
    WATER_ON_ROAD = "water_on_road", _("Water on the road")
    VEHICLE_TRAPPED = "vehicle_trapped", _("Vehicle trapped")
    PERSON_IN_WATER = "person_in_water", _("Person in water")
    LANDSLIDE = "landslide", _("Landslide")
    OTHER = "other", _("Other")


class CameraEvent(models.Model):
    """What a camera vendor's AI recognised; unique per camera and the vendor's event id."""

    device = models.ForeignKey(Device, models.CASCADE, related_name="camera_events")
    event_id = models.CharField(max_length=64)
    at = models.DateTimeField()
    type = models.CharField(max_length=20, choices=CameraEventType.choices)
    confidence = models.FloatField()
    boxes = models.JSONField(default=list, blank=True)
    image_ref = models.CharField(max_length=300, blank=True)  # the vendor's URL, never fetched
    image = models.CharField(max_length=200, blank=True)  # a snapshot under the data dir
    thumb = models.CharField(max_length=200, blank=True)  # the vendor's thumbnail, if sent
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["device", "event_id"], name="flood_camera_event_once")
        ]
        indexes = [models.Index(fields=["device", "-at"], name="flood_camera_event_latest")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.event_id}"
