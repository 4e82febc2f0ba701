"""The flood part of ``shequ demo``: 石桥村 (6.3 km²), its railway culvert on the main road.

Eight monitoring points with twelve gauges and three AI cameras, built through the app's
services, and a quiet week of readings every 10 minutes up to now, ingested as the gauges
would send them (judged by the rules: a quiet week opens no alert). The gauge ids and names
of the culvert, the main road, the square and the creek bridge are those of the hub's demo
water-level dataset (``shequ.demo.data.flood``). Running it again keeps the points and adds
the readings since the last run, leaving out the hours of the typhoon scenario
(``typhoon/``) if it was placed in time.

The demo's gauges stop reporting when the build ends: after 3 reporting intervals the worker's
no-data sweep opens their no-data alerts, as it would for real gauges gone silent.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from shequ.core.models import Region
from shequ.demo.data.people import VILLAGE
from shequ.flood.models import Device, MonitoringPoint
from shequ.flood.services import basemap, devices, ingest
from shequ.flood.services.ingest import ReadingRow
from shequ.flood.typhoon import replay

INTERVAL = 600  # seconds between a demo gauge's reports
DAYS = 7

# code, name, English name, kind, (lat, lon), devices: (id, kind)
POINTS: list[tuple[str, str, str, str, tuple[float, float], list[tuple[str, str]]]] = [
    ("culvert", "铁路涵洞", "Railway culvert (main road)", "underpass", (30.2452, 120.1318),
     [("W01", "water_level"), ("R01", "rain"), ("C01", "camera")]),
    ("main-road", "石桥村主路", "Shiqiao main road dip", "low_road", (30.2431, 120.1276),
     [("W02", "water_level")]),
    ("square", "村委会前广场", "Square before the village hall", "low_road", (30.2408, 120.1322),
     [("W03", "water_level")]),
    ("creek-bridge", "溪口桥", "Xikou bridge", "river", (30.2375, 120.1365),
     [("W04", "water_level"), ("R02", "rain")]),
    ("creek", "石桥溪中段", "Shiqiao creek, middle reach", "river", (30.2349, 120.1290),
     [("W05", "water_level"), ("W06", "water_level")]),
    ("back-hill", "后山滑坡隐患点", "Back hill landslide", "landslide", (30.2486, 120.1240),
     [("D01", "displacement"), ("D02", "displacement"), ("C02", "camera")]),
    ("quarry", "旧采石场崩塌点", "Old quarry collapse", "collapse", (30.2497, 120.1384),
     [("D03", "displacement")]),
    ("west-gully", "西沟泥石流沟", "West gully debris flow", "debris_flow", (30.2399, 120.1215),
     [("R03", "rain"), ("C03", "camera")]),
]  # fmt: skip

# The village's outline (WGS-84, about 2.5 × 2.5 km = 6.3 km²) when it has none yet.
BOUNDARY = {
    "type": "Polygon",
    "coordinates": [[
        [120.1188, 30.2297], [120.1452, 30.2297], [120.1452, 30.2410], [120.1440, 30.2523],
        [120.1300, 30.2523], [120.1188, 30.2480], [120.1188, 30.2297],
    ]],
}  # fmt: skip


# The village's own map for the live map without tiles: roads, the railway, the creek, a hill.
def _line(kind: str, label: str, *coords: tuple[float, float]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]},
        "properties": {"kind": kind, "label": label},
    }


BASEMAP = {
    "type": "FeatureCollection",
    "features": [
        _line("water", "石桥溪", (120.1188, 30.2380), (120.1215, 30.2399), (120.1290, 30.2349),
              (120.1330, 30.2360), (120.1365, 30.2375), (120.1452, 30.2362)),
        _line("road", "石桥村主路", (120.1188, 30.2440), (120.1276, 30.2431),
              (120.1318, 30.2452), (120.1452, 30.2470)),
        _line("road", "村委会路", (120.1318, 30.2452), (120.1322, 30.2408), (120.1365, 30.2375)),
        _line("railway", "铁路", (120.1296, 30.2523), (120.1318, 30.2452), (120.1342, 30.2297)),
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[
                [120.1205, 30.2470], [120.1262, 30.2468], [120.1270, 30.2505],
                [120.1215, 30.2512], [120.1205, 30.2470],
            ]]},
            "properties": {"kind": "hill", "label": "后山"},
        },
    ],
}  # fmt: skip

# Where each kind of gauge sits on a quiet day, and its rules' levels.
QUIET = {"water_level": 2.0, "rain": 0.0, "displacement": 0.5}
RIVER_STAGE = {"blue": 150.0, "yellow": 200.0, "orange": 250.0, "red": 300.0}  # cm
RAIN_HOUR = {"blue": 20.0, "yellow": 30.0, "orange": 50.0, "red": 70.0}  # mm in 1 h
DISPLACEMENT = {"blue": 5.0, "yellow": 10.0, "orange": 20.0, "red": 40.0}  # mm
# What each point's camera watches for, and at which level (4 red … 1 blue).
CAMERA_RULES = {
    "underpass": [(["vehicle_trapped", "person_in_water"], 4), (["water_on_road"], 2)],
    "landslide": [(["landslide"], 3)],
    "debris_flow": [(["landslide", "person_in_water"], 3)],
}


def build() -> dict[str, Any]:
    admin = get_user_model().objects.get(username="admin")
    duty = get_user_model().objects.get(username="duty")
    village = Region.objects.get(code=VILLAGE)
    if not village.boundary:
        village.boundary = BOUNDARY
        village.save(update_fields=["boundary"])
    basemap.write(BASEMAP)
    with transaction.atomic():
        gauges = [g for spec in POINTS for g in _point(admin, duty, village, spec)]
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    now -= timedelta(minutes=now.minute % 10)
    storm = replay.window()  # a typhoon's hours (``--scenario typhoon``) are its own
    stored = 0
    for gauge in gauges:
        rows = _quiet_week(gauge, now)
        if storm is not None:
            rows = [r for r in rows if not storm[0] <= r.time < storm[1]]
        stored += ingest.ingest(gauge, rows).stored
    return {"points": len(POINTS), "gauges": len(gauges), "readings": stored}


def _point(admin: Any, duty: Any, village: Region, spec: tuple[Any, ...]) -> list[Device]:
    code, name, name_en, kind, (lat, lon), device_specs = spec
    point = MonitoringPoint.objects.filter(code=code).first()
    if point is None:
        point = devices.create_point(
            admin, village, code=code, name=name, name_en=name_en, kind=kind, lat=lat, lon=lon
        )
        point.responsible.add(duty)
    gauges = []
    for device_code, device_kind in device_specs:
        device = Device.objects.filter(code=device_code).first()
        if device is None:
            device = devices.add_device(
                admin, point, device_code, device_kind, interval_seconds=INTERVAL
            )
            _rules(admin, device, kind)
        if device.kind != "camera":
            gauges.append(device)
    return gauges


def _rules(admin: Any, device: Device, point_kind: str) -> None:
    if device.kind == "water_level" and point_kind in ("underpass", "low_road"):
        devices.add_underpass_rules(admin, device)
        return
    if device.kind == "camera":
        for types, level in CAMERA_RULES[point_kind]:
            devices.add_rule(
                admin, device, "camera", event_types=types, level=level, clear_seconds=1800
            )
        return
    if device.kind == "water_level":
        devices.add_rule(admin, device, "threshold", clear_margin=10, **RIVER_STAGE)
    elif device.kind == "rain":
        devices.add_rule(admin, device, "rainfall", window_minutes=60, **RAIN_HOUR)
    else:
        devices.add_rule(admin, device, "threshold", pending_seconds=1200, **DISPLACEMENT)
    devices.add_rule(admin, device, "no_data")


def _quiet_week(device: Device, end: datetime) -> list[ReadingRow]:
    """A week without weather: water in a culvert a few cm deep, drizzle now and then, a
    slope that barely moves; rivers flow around 80 cm."""
    rng = random.Random(f"flood-{device.code}")
    base = 80.0 if device.point.kind == "river" else QUIET[device.kind]
    steps = DAYS * 24 * 3600 // INTERVAL
    level, rows = base, []
    for step in range(steps, 0, -1):
        at = end - timedelta(seconds=step * INTERVAL)
        if device.kind == "rain":
            value = round(max(0.0, rng.gauss(-0.8, 0.5)), 1)
        else:
            level = max(0.0, base + 0.9 * (level - base) + rng.gauss(0, 0.3))
            value = round(level, 1)
        rows.append(ReadingRow(time=at, value=value))
    return rows
