"""What other apps (the dashboard) may call: read-only figures of the flood watch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from shequ.flood.models import OPEN_STATES, Alert, Device, LatestReading, Level, MonitoringPoint
from shequ.flood.services import basemap
from shequ.flood.services.points import ONLINE_INTERVALS


def open_alerts_by_level(region_prefix: str) -> dict[int, int]:
    """Open alerts per level (1 blue … 4 red) in the regions under a code prefix."""
    rows = (
        Alert.objects.filter(state__in=OPEN_STATES, point__region__code__startswith=region_prefix)
        .values_list("level")
        .annotate(n=Count("id"))
    )
    return {level: n for level, n in rows}


def points_online(region_prefix: str, now: datetime | None = None) -> tuple[int, int]:
    """(points with a device that reported within its intervals, points) under a prefix.

    A point with no device in service is counted among the points, not among those online.
    """
    now = now or timezone.now()
    points = set(
        MonitoringPoint.objects.filter(region__code__startswith=region_prefix).values_list(
            "pk", flat=True
        )
    )
    devices = Device.objects.filter(point_id__in=points, revoked_at__isnull=True)
    interval = dict(devices.values_list("pk", "interval_seconds"))
    point_of = dict(devices.values_list("pk", "point_id"))
    online = {
        point_of[device]
        for device, received in LatestReading.objects.filter(device_id__in=interval).values_list(
            "device_id", "received_at"
        )
        if now - received <= timedelta(seconds=ONLINE_INTERVALS * interval[device])
    }
    return len(online), len(points)


def minutes_to_acknowledge(region_prefix: str, days: int = 30) -> list[float]:
    """Minutes from opening to acknowledgement of the alerts opened in the last ``days``."""
    since = timezone.now() - timedelta(days=days)
    rows = Alert.objects.filter(
        point__region__code__startswith=region_prefix,
        opened_at__gte=since,
        acknowledged_at__isnull=False,
    ).values_list("opened_at", "acknowledged_at")
    return [(ack - opened).total_seconds() / 60 for opened, ack in rows if ack and ack >= opened]


@dataclass(frozen=True)
class OpenAlert:
    region_code: str
    point: str
    lat: float
    lon: float
    level: int
    level_label: str
    at: datetime


def open_alerts(region_prefix: str, limit: int = 20) -> list[OpenAlert]:
    """The open alerts under a prefix, worst and newest first."""
    rows = (
        Alert.objects.filter(state__in=OPEN_STATES, point__region__code__startswith=region_prefix)
        .select_related("point__region")
        .order_by("-level", "-opened_at")[:limit]
    )
    return [
        OpenAlert(
            a.point.region.code,
            a.point.name,
            a.point.lat,
            a.point.lon,
            a.level,
            str(Level(a.level).label),
            a.opened_at,
        )
        for a in rows
    ]


def basemap_features() -> list[dict[str, Any]]:
    """The offline map's roads, railway, creek and hills (the file's features, WGS-84)."""
    return basemap.file_features()
