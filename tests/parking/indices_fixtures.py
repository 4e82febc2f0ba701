"""Hub data for the parking indices tests, written through the real ingestion pipeline.

``hub`` loads the shipped catalog for 望湖街道; ``load(key, rows)`` replaces a dataset's rows
from a CSV; ``read`` builds a gate read. Times are Asia/Shanghai wall-clock times (the default
``TIME_ZONE``): 2026-10-05 is a Monday.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shequ.core.models import Region
from shequ.hub.models import Dataset
from shequ.hub.services.catalog import load_catalog
from shequ.hub.services.runs import ingest_file

SHANGHAI = ZoneInfo("Asia/Shanghai")
STREET = "990102001000"
HOME = "990102001001"  # 锦绣社区
SIBLING = "990102001002"  # 和园社区

Load = Callable[[str, Iterable[dict[str, Any]]], int]


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """Shanghai time on day ``day`` of October 2026 (5 is a Monday)."""
    return datetime(2026, 10, day, hour, minute, second, tzinfo=SHANGHAI)


def read(garage: str, direction: str, plate: str, moment: datetime) -> dict[str, Any]:
    return {
        "event_id": f"R{next(_IDS):06d}",
        "garage_code": garage,
        "gate": f"{garage}-1",
        "direction": direction,
        "plate": plate,
        "event_time": moment.isoformat(),
        "region_code": HOME,
    }


_IDS = itertools.count(1)


def stay(garage: str, plate: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    return [read(garage, "in", plate, start), read(garage, "out", plate, end)]


def lot(
    code: str,
    capacity: int,
    lat: float = 30.0,
    lon: float = 120.0,
    *,
    shared: int = 0,
    region: str = HOME,
) -> dict[str, Any]:
    return {
        "garage_code": code,
        "name": f"{code}停车场",
        "lot_type": "地下车库",
        "capacity": capacity,
        "offpeak_shared": "true" if shared else "false",
        "offpeak_spaces": shared,
        "offpeak_start": "19:00" if shared else "",
        "offpeak_end": "07:30" if shared else "",
        "longitude": lon,
        "latitude": lat,
        "region_code": region,
    }


def write_rows(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    rows = list(rows)
    names: list[str] = []
    for row in rows:
        names.extend(k for k in row if k not in names)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def hub(regions: dict[str, Region]) -> None:
    load_catalog(region=regions[STREET])


@pytest.fixture
def load(hub: None, tmp_path: Path) -> Load:
    """load(key, rows) -> rows written; fails the test when the ingestion fails."""

    def ingest(key: str, rows: Iterable[dict[str, Any]]) -> int:
        path = write_rows(tmp_path / f"{key}.csv", rows)
        run = ingest_file(Dataset.objects.get(key=key), path, mode="replace")
        assert run.status == "succeeded", run.error
        assert not run.rows_rejected, Path(run.quarantine).read_text() if run.quarantine else ""
        return int(run.rows_written)

    return ingest
