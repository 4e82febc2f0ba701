"""What the parking tests build: places, people's clients, hub data, gate reads.

Plain functions, imported by name (``from parking.factories import ...``); the fixtures of
``conftest.py`` call them, and the browser tests (tests/e2e) build their places with them too.
Times of the indices data are Asia/Shanghai wall-clock times (the default ``TIME_ZONE``):
2026-10-05 is a Monday.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from shequ.core import pii
from shequ.core.models import AuditEvent, Region
from shequ.core.services import tokens
from shequ.hub.models import Dataset
from shequ.hub.services.catalog import load_catalog
from shequ.hub.services.runs import ingest_file
from shequ.parking.indices import Window
from shequ.parking.models import Estate, Garage, GateEvent, Product, SharingPlan
from shequ.parking.services import periods, plates

SHANGHAI = ZoneInfo("Asia/Shanghai")
STREET = "990102001000"  # 望湖街道
HOME = "990102001001"  # 锦绣社区
SIBLING = "990102001002"  # 和园社区
ELSEWHERE = "990103001001"  # 北山社区, another district
HOURS = "Mo-Fr 18:30-08:00; Sa,Su,PH 00:00-24:00"
OWNER_ID = pii.make_id_number("990102", date(1980, 5, 1), 7)

Load = Callable[[str, Iterable[dict[str, Any]]], int]


# --- places ------------------------------------------------------------------------------------


def add_estate(region: Region, **fields: Any) -> Estate:
    """锦绣花园 (estate E001), unless fields say otherwise."""
    values = {"code": "E001", "name": "锦绣花园", "slug": "jinxiu", "lat": 30.2741, "lon": 120.1551}
    return Estate.objects.create(region=region, **(values | fields))


def add_garage(region: Region, operator: Any = None, **fields: Any) -> Garage:
    """望湖大厦 garage G01, 300 m from 锦绣花园, run by ``operator``."""
    values = {
        "code": "G01",
        "name": "望湖大厦地下车库",
        "lat": 30.2760,
        "lon": 120.1570,
        "total_spaces": 200,
    }
    garage = Garage.objects.create(region=region, **(values | fields))
    if operator is not None:
        garage.operators.add(operator)
    return garage


def add_plan(garage: Garage, capacity: int = 2, **fields: Any) -> SharingPlan:
    """The night plan: weekday nights and all weekend, in force since 2020."""
    values = {"code": "night", "name": "夜间错峰", "hours": HOURS, "valid_from": date(2020, 1, 1)}
    return SharingPlan.objects.create(garage=garage, capacity=capacity, **(values | fields))


def add_product(garage: Garage, price_fen: int = 30000, **fields: Any) -> Product:
    values = {"plan_code": "night", "kind": "monthly"}
    return Product.objects.create(garage=garage, price_fen=price_fen, **(values | fields))


def next_weekday(start: date, weekday: int) -> date:
    """The first day on or after start that falls on weekday (0 = Monday)."""
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def moment(weekday: int, hhmm: str) -> datetime:
    """A local moment in the coming week (inside a monthly pass sold today)."""
    day = next_weekday(periods.today() + timedelta(days=1), weekday)
    h, m = map(int, hhmm.split(":"))
    return timezone.make_aware(datetime.combine(day, time(h, m)))


SATURDAY_NOON = (5, "12:00")  # inside the night plan's window (all weekend)
WEEKDAY_NOON = (2, "12:00")  # outside it


# --- clients: the API with a token, the pages with a session ------------------------------------


def client_for(user: Any) -> Client:
    _token, raw = tokens.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")


def post(client: Client, path: str, body: Any = None, **extra: Any) -> Any:
    return client.post(
        "/api/v1/parking" + path, json.dumps(body or {}), content_type="application/json", **extra
    )


def get(client: Client, path: str, **params: Any) -> Any:
    return client.get("/api/v1/parking" + path, params)


def logged_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def code_from(text: str) -> str:
    codes = re.findall(r"login code for \d{3}\*{4}\d{4}: (\d{6})", text)
    assert codes, text
    return codes[-1]


def client_of(user: Any) -> Client:
    return logged_in(user) if user is not None else Client(HTTP_ACCEPT_LANGUAGE="en")


# Who (the ``people`` fixture) gets which status from a garage's operator pages ...
GARAGE_PAGES = {
    "anonymous": 302,
    "resident": 403,
    "operator": 200,
    "other_operator": 403,
    "staff": 200,
    "staff_elsewhere": 403,
    "street_staff": 200,
}
# ... and from the staff pages (staff elsewhere see their own region's).
STAFF_PAGES = GARAGE_PAGES | {"operator": 403, "staff_elsewhere": 200}


# --- hub data: through the real ingestion pipeline ---------------------------------------------


def write_rows(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    """A CSV of the rows, with every column any row has."""
    rows = list(rows)
    names: list[str] = []
    for row in rows:
        names.extend(k for k in row if k not in names)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_hub_data(
    regions: dict[str, Any],
    folder: Path,
    phone: str,
    plates: list[str],
    new_energy: tuple[str, ...] = (),
) -> None:
    """王芳 of 锦绣花园 (E001) in the household registry, owning these cars (the ``new_energy``
    ones registered as new-energy cars), so that an application by her phone verifies."""
    load_catalog(region=regions[STREET])
    person = {
        "person_id": "P1",
        "name": "王芳",
        "id_number": OWNER_ID,
        "gender": "女",
        "birth_date": "1980-05-01",
        "ethnicity": "汉族",
        "phone": phone,
        "household_id": "E001-00001",
        "relation_to_head": "户主",
        "address": "锦绣花园1幢101室",
        "region_code": HOME,
        "registered_on": "2012-01-01",
        "status": "正常",
    }
    cars = [
        {
            "plate": plate,
            "vehicle_type": "新能源小型汽车" if plate in new_energy else "小型汽车",
            "owner_name": "王芳",
            "owner_id_number": OWNER_ID,
            "owner_address": "锦绣花园1幢101室",
            "owner_phone": phone,
            "estate_code": "E001",
            "region_code": HOME,
            "registered_on": "2020-05-01",
            "status": "正常",
        }
        for plate in (*plates, *new_energy)
    ]
    for key, rows in (("household_registry", [person]), ("vehicle_registrations", cars)):
        run = ingest_file(Dataset.objects.get(key=key), write_rows(folder / f"{key}.csv", rows))
        assert run.status == "succeeded", run.error


# --- gate reads and car parks for the indices ----------------------------------------------


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


# The week the cases look at: Monday 2026-10-05 00:00 to the next Monday, Shanghai time.
WEEK = Window(at(5, 0), at(12, 0))
NEAR, FAR = (30.0, 120.005), (30.0, 120.007)  # 626 m and 876 m walking from (30.0, 120.0)


def vehicle(
    plate: str, estate: str, vtype: str = "小型汽车", status: str = "正常"
) -> dict[str, Any]:
    return {
        "plate": plate,
        "vehicle_type": vtype,
        "owner_name": "王伟",
        "estate_code": estate,
        "region_code": HOME,
        "status": status,
    }


# X1's registered cars: three need a car space (one new-energy), a motorbike does not, one is
# deregistered; X2 has one.
VEHICLES = [
    vehicle("浙A20001", "X1"),
    vehicle("浙A20002", "X1"),
    vehicle("浙AD20003", "X1", "新能源小型汽车"),
    vehicle("浙A20004", "X1", "普通摩托车"),  # needs no car space
    vehicle("浙A20005", "X1", status="注销"),  # deregistered
    vehicle("浙A20006", "X2"),
]


def week_long(garage: str, cars: int) -> list[dict[str, Any]]:
    """Cars inside the whole week: in on the Sunday before, out late on the last Sunday."""
    reads = []
    for k in range(cars):
        reads += stay(garage, f"浙B{garage}{k:02d}"[:8], at(4, 20), at(11, 23, 30))
    return reads


def estate_rows(
    load: Load,
    lots: list[dict[str, Any]],
    *,
    located: bool = True,
    vehicles: list[dict[str, Any]] | None = None,
) -> None:
    """Car parks, cars and two estates: 甲小区 (X1, at 30.0, 120.0) and 乙小区 (X2)."""
    load("public_parking_lots", lots)
    load("vehicle_registrations", VEHICLES if vehicles is None else vehicles)
    load(
        "estate_parking_spaces",
        [
            {
                "estate_code": code,
                "estate_name": name,
                "region_code": region,
                "spaces_total": spaces,
                "households": 4,
                "updated_on": "2026-10-01",
            }
            for code, name, region, spaces in (
                ("X1", "甲小区", HOME, 2),
                ("X2", "乙小区", SIBLING, 1),
            )
        ],
    )
    load(
        "housing_estates",
        [
            {
                "estate_code": "X1",
                "estate_name": "甲小区",
                "longitude": 120.0 if located else "",
                "latitude": 30.0 if located else "",
                "region_code": HOME,
            }
        ],
    )


def small_hub(load: Load, vehicles: list[dict[str, Any]] | None = None) -> None:
    """GN near X1 sharing one space, GF farther; a week of reads in both."""
    estate_rows(load, [lot("GN", 10, *NEAR, shared=1), lot("GF", 10, *FAR)], vehicles=vehicles)
    load(
        "garage_gate_records",
        week_long("GN", 3) + week_long("GF", 1) + stay("GN", "浙A30001", at(6, 9), at(6, 18)),
    )


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


def add_gate_event(garage: Garage, plate: str, n: int = 1, **fields: Any) -> GateEvent:
    """A plate read at G01's north gate, stored as the gate service stores it."""
    stored = plates.protect(plate)
    values = {
        "event_id": f"N1-{n:06d}",
        "gate": "north",
        "direction": "in",
        "at": timezone.now(),
        "confidence": 0.97,
        "decision": "visitor",
        "open": True,
        "display": "",
    }
    return GateEvent.objects.create(
        garage=garage,
        plate_enc=stored.enc,
        plate_masked=stored.masked,
        plate_hash=stored.hash,
        **(values | fields),
    )


# The hub datasets the parking indices read.
PARKING_TABLES = (
    "vehicle_registrations",
    "estate_parking_spaces",
    "housing_estates",
    "public_parking_lots",
    "garage_gate_records",
)


def audits(action: str) -> list[AuditEvent]:
    """The audit events of one action, oldest first."""
    return list(AuditEvent.objects.filter(action=action))
