"""Monitoring points (监测点) and the devices that watch them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import Region


class PointKind(models.TextChoices):
    UNDERPASS = "underpass", _("Underpass or culvert")
    LOW_ROAD = "low_road", _("Low-lying road")
    RIVER = "river", _("River section")
    LANDSLIDE = "landslide", _("Landslide")
    COLLAPSE = "collapse", _("Collapse")
    DEBRIS_FLOW = "debris_flow", _("Debris flow")


class MonitoringPoint(models.Model):
    """A place watched for flooding or a geological hazard (监测点), WGS-84."""

    region = models.ForeignKey(Region, models.PROTECT, related_name="flood_points")
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=PointKind.choices)
    lat = models.FloatField(_("latitude (WGS-84)"))
    lon = models.FloatField(_("longitude (WGS-84)"))
    responsible = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="flood_points"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("monitoring point")
        verbose_name_plural = _("monitoring points")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="flood_point_wgs84",
            )
        ]

    def __str__(self) -> str:
        return self.name


class DeviceKind(models.TextChoices):
    WATER_LEVEL = "water_level", _("Water-level gauge (cm)")
    RAIN = "rain", _("Rain gauge (mm)")
    DISPLACEMENT = "displacement", _("Displacement sensor (mm)")
    CAMERA = "camera", _("AI camera")


UNITS = {"water_level": "cm", "rain": "mm", "displacement": "mm", "camera": ""}


class Device(models.Model):
    """A gauge or camera at a point; it authenticates with a token stored as SHA-256.

    ``code`` is the device id of the MQTT topic ``shequ/v1/devices/<code>/readings``.
    Online or offline is derived from its latest reading, never declared.
    """

    point = models.ForeignKey(MonitoringPoint, models.CASCADE, related_name="devices")
    code = models.SlugField(_("device id"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=DeviceKind.choices)
    interval_seconds = models.PositiveIntegerField(_("reporting interval (s)"), default=600)
    prefix = models.CharField(max_length=12, blank=True)
    digest = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # The configuration sent down to the device (services/downlink.py): each change of the
    # interval is a new version; the device answers with the version it applied.
    config_version = models.PositiveIntegerField(_("configuration version"), default=0)
    config_sent_version = models.PositiveIntegerField(default=0)
    config_acked_version = models.PositiveIntegerField(
        _("configuration version applied"), default=0
    )
    config_acked_at = models.DateTimeField(_("configuration applied at"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        indexes = [models.Index(fields=["digest"])]

    def __str__(self) -> str:
        return self.code

    @property
    def unit(self) -> str:
        return UNITS[self.kind]
