"""The demo's water level readings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from shequ.demo.data.people import START, VILLAGE, Faker


def make_water(f: Faker, days: int) -> Iterator[dict[str, Any]]:
    gauges = [
        ("W01", "铁路涵洞"),
        ("W02", "石桥村主路"),
        ("W03", "村委会前广场"),
        ("W04", "溪口桥"),
    ]
    for gauge, point in gauges:
        level = 10.0
        for step in range(days * 144):
            rain = max(0.0, f.rng.gauss(0.4, 1.2)) if step // 144 in (5, 6) else 0.0
            level = max(0.0, level * 0.97 + rain * 3 + f.rng.gauss(0, 0.3))
            yield {
                "gauge_id": gauge,
                "point_name": point,
                "observed_at": (START + timedelta(minutes=10 * step)).isoformat(),
                "level_cm": round(level, 1),
                "rain_mm": round(rain, 1),
                "device_status": "正常",
                "region_code": VILLAGE,
            }
