"""What pages and the API show of points: their level, latest values, series and alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max
from django.utils import timezone

from shequ.core.types import Requester
from shequ.flood.models import (
    LEVEL_NAMES,
    OPEN_STATES,
    Alert,
    Device,
    DeviceKind,
    LatestReading,
    Level,
    MonitoringPoint,
    Reading,
)
from shequ.flood.services import response
from shequ.flood.services.access import visible_points

ONLINE_INTERVALS = 3  # a device is online while it reported within 3 of its intervals


@dataclass(frozen=True)
class PointStatus:
    point: MonitoringPoint
    level: int
    open_alerts: int

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]

    @property
    def level_label(self) -> str:
        return str(Level(self.level).label)


def statuses(user: Requester) -> list[PointStatus]:
    """Every point the user sees with its worst open level: two queries, whatever the count."""
    points = list(visible_points(user))
    worst = dict(
        Alert.objects.filter(point__in=points, state__in=OPEN_STATES)
        .values_list("point_id")
        .annotate(level=Max("level"))
    )
    counts: dict[int, int] = {}
    for point_id in Alert.objects.filter(point__in=points, state__in=OPEN_STATES).values_list(
        "point_id", flat=True
    ):
        counts[point_id] = counts.get(point_id, 0) + 1
    return [PointStatus(p, worst.get(p.pk, 0), counts.get(p.pk, 0)) for p in points]


@dataclass(frozen=True)
class DeviceNow:
    device: Device
    latest: LatestReading | None
    online: bool
    asked_seconds: int  # the reporting interval the region's emergency response asks for


def devices_now(point: MonitoringPoint, now: datetime | None = None) -> list[DeviceNow]:
    now = now or timezone.now()
    devices = list(point.devices.all())
    latest = {r.device_id: r for r in LatestReading.objects.filter(device__in=devices)}
    level = response.level_at(point.region.code)
    asked = response.factors(level).interval if level else 1.0
    out = []
    for d in devices:
        last = latest.get(d.pk)
        window = timedelta(seconds=ONLINE_INTERVALS * d.interval_seconds)
        online = last is not None and now - last.received_at <= window
        out.append(DeviceNow(d, last, online, max(1, round(d.interval_seconds * asked))))
    return out


def series(point: MonitoringPoint, hours: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """The gauges' readings of the last ``hours``, one list per gauge, for the chart."""
    now = now or timezone.now()
    out = []
    factor = response.threshold_factor(point.region.code)  # the lines the rules judge by now
    for device in point.devices.exclude(kind=DeviceKind.CAMERA):
        rows = Reading.objects.filter(device=device, at__gte=now - timedelta(hours=hours))
        out.append(
            {
                "device": device.code,
                "kind": device.kind,
                "unit": device.unit,
                "points": [[r[0].isoformat(), r[1]] for r in rows.values_list("at", "value")],
                "labels": [str(Level(i).label) for i in range(1, 5)],
                "thresholds": [
                    list(response.scaled(rule.thresholds(), factor))
                    for rule in device.rules.filter(kind="threshold", enabled=True)
                ],
            }
        )
    return out


def open_alerts(point: MonitoringPoint) -> list[Alert]:
    return list(point.alerts.filter(state__in=OPEN_STATES).select_related("rule", "rule__device"))
