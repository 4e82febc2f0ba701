"""What the flood tests build: points, gauges with tokens and rules, readings.

Plain functions, imported by name (``from flood.factories import ...``); the fixtures of
``conftest.py`` call them. 石桥村 (990102001201) has the railway culvert; 北山社区
(990103001001, another district) a point its users must never see.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model

from shequ.core.models import Region
from shequ.flood.models import Device, MonitoringPoint, Rule
from shequ.flood.services import devices
from shequ.flood.services.ingest import ReadingRow

VILLAGE = "990102001201"  # 石桥村
STREET = "990102001000"  # 望湖街道, over the village
ELSEWHERE = "990103001001"  # 北山社区, another district
T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def admin() -> Any:
    user, _ = get_user_model().objects.get_or_create(
        username="flood-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    return user


def add_point(region: Region, code: str = "culvert", **fields: Any) -> MonitoringPoint:
    values = {"name": "铁路涵洞", "kind": "underpass", "lat": 30.2812, "lon": 120.1203}
    return devices.create_point(admin(), region, code=code, **(values | fields))


def add_gauge(
    point: MonitoringPoint, code: str = "W01", kind: str = "water_level", **fields: Any
) -> tuple[Device, str]:
    """A device of the point and its clear token."""
    device = devices.add_device(admin(), point, code, kind, **fields)
    return device, devices.issue_token(admin(), device)


def threshold_rule(device: Device, **fields: Any) -> Rule:
    values = {"blue": 10.0, "yellow": 15.0, "orange": 25.0, "red": 40.0} | fields
    return devices.add_rule(admin(), device, "threshold", **values)


def rows(*values: float, start: datetime = T0, step: int = 60) -> list[ReadingRow]:
    """Readings one ``step`` (seconds) apart from ``start``."""
    return [
        ReadingRow(time=start + timedelta(seconds=i * step), value=v) for i, v in enumerate(values)
    ]


def body(*values: float, start: datetime = T0, step: int = 60) -> dict[str, Any]:
    """The JSON of ``POST /readings`` (times with their offset)."""
    return {
        "readings": [
            {"time": (start + timedelta(seconds=i * step)).isoformat(), "value": v}
            for i, v in enumerate(values)
        ]
    }


def png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real PNG image of one colour (what a phone's photo or a camera's snapshot would be)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def open_alert(gauge: Device, value: float = 30.0) -> Any:
    """The gauge's threshold rule and an alert it opened (orange at 30 cm)."""
    from shequ.flood.models import Alert
    from shequ.flood.services import ingest

    threshold_rule(gauge)
    ingest.ingest(gauge, rows(value))
    return Alert.objects.get(rule__device=gauge, state="firing")
