"""Synthetic rows for the hub datasets that the apps read (fake but well-formed).

Every table is written as a CSV and ingested through the real pipeline in replace
mode, so running the demo again refreshes the data instead of duplicating it.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from shequ.core import pii

COMMUNITIES = ["990102001001", "990102001002"]
VILLAGE = "990102001201"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国文斌宇浩子涵梓萱一诺欣怡"
PROVINCE_PLATE = "浙"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
ESTATES = [("E001", "锦绣花园", "990102001001", 1200), ("E002", "和园小区", "990102001002", 640)]
START = datetime(2026, 9, 28, tzinfo=UTC) - timedelta(hours=8)  # Monday 00:00 Shanghai
GATE_WEEKS = 8


@dataclass(frozen=True)
class EstateSite:
    """Where an estate is and how it parks (the seed's estate: built 2011, 200+ short)."""

    lat: float
    lon: float
    built: int
    spaces: int
    car_weights: tuple[int, int, int]  # households with 0, 1, 2 cars


ESTATE_SITES = {
    "E001": EstateSite(30.2720, 120.1480, 2011, 1200, (8, 66, 26)),
    "E002": EstateSite(30.2665, 120.1585, 2016, 660, (15, 70, 15)),
}


@dataclass(frozen=True)
class DemoGarage:
    """An office building's underground garage near 锦绣花园 (WGS-84 location)."""

    code: str
    name: str
    capacity: int
    lat: float
    lon: float
    fleet: int  # company and tenants' cars that stay overnight most nights


GARAGES = [
    DemoGarage("G01", "星光大厦地下车库", 220, 30.2745, 120.1452, 55),
    DemoGarage("G02", "和达中心地下车库", 160, 30.2701, 120.1446, 34),
    DemoGarage("G03", "金融港地下车库", 180, 30.2752, 120.1509, 42),
    DemoGarage("G04", "科创园地下车库", 120, 30.2689, 120.1503, 25),
    DemoGarage("G05", "望湖商务楼地下车库", 150, 30.2731, 120.1527, 32),
]


class Faker:
    def __init__(self, seed: int = 20211) -> None:
        self.rng = random.Random(seed)

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.sample(GIVEN, self.rng.randint(1, 2)))

    def id_number(self, birth: date) -> str:
        return pii.make_id_number("990102", birth, self.rng.randint(1, 999))

    def phone(self) -> str:
        return f"1{self.rng.choice('35789')}{self.rng.randint(0, 999_999_999):09d}"

    def plate(self, new_energy: bool = False) -> str:
        letter = self.rng.choice("ABCDEFGH")
        if new_energy:
            tail = "".join(self.rng.choice("0123456789") for _ in range(5))
            return f"{PROVINCE_PLATE}{letter}{self.rng.choice('DF')}{tail}"
        tail = "".join(self.rng.choice("0123456789" + PLATE_LETTERS[:8]) for _ in range(5))
        return f"{PROVINCE_PLATE}{letter}{tail}"

    def birth(self) -> date:
        return date(self.rng.randint(1940, 2015), self.rng.randint(1, 12), self.rng.randint(1, 28))


def _people(f: Faker, scale: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for estate, estate_name, region, households in ESTATES:
        for h in range(households * scale):
            building, room = h // 48 + 1, 101 + (h % 48) // 4 * 100 + h % 4
            address = f"{estate_name}{building}幢{room}室"
            for member in range(f.rng.choice([1, 2, 2, 3, 3, 4])):
                birth = f.birth()
                rows.append(
                    {
                        "person_id": f"P{len(rows) + 1:07d}",
                        "name": f.name(),
                        "id_number": f.id_number(birth),
                        "gender": f.rng.choice("男女"),
                        "birth_date": birth.isoformat(),
                        "ethnicity": "汉族",
                        "phone": f.phone(),
                        "household_id": f"{estate}-{h + 1:05d}",
                        "relation_to_head": "户主"
                        if member == 0
                        else f.rng.choice(["配偶", "子女", "父母"]),
                        "address": address,
                        "region_code": region,
                        "registered_on": date(2011 + f.rng.randint(0, 14), 1, 1).isoformat(),
                        "status": "正常",
                    }
                )
    return rows


def _vehicles(f: Faker, people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cars of the households' heads; 锦绣花园 (E001) has about 1,400 for its 1,200 spaces."""
    heads = [p for p in people if p["relation_to_head"] == "户主"]
    rows, seen = [], set()
    for person in heads:
        estate = person["household_id"].split("-")[0]
        weights = ESTATE_SITES[estate].car_weights
        for _ in range(f.rng.choices([0, 1, 2], weights=weights)[0]):
            new_energy = f.rng.random() < 0.3
            plate = f.plate(new_energy)
            if plate in seen:
                continue
            seen.add(plate)
            rows.append(
                {
                    "plate": plate,
                    "vehicle_type": "新能源小型汽车" if new_energy else "小型汽车",
                    "owner_name": person["name"],
                    "owner_id_number": person["id_number"],
                    "owner_address": person["address"],
                    "owner_phone": person["phone"],
                    "estate_code": estate,
                    "region_code": person["region_code"],
                    "registered_on": "2020-05-01",
                    "status": "正常",
                }
            )
    return rows


Stay = tuple[str, datetime | None, datetime | None]  # plate, entry (None: before the data), exit


def _at(day: int, hours: float) -> datetime:
    """Shanghai local time: ``hours`` after midnight of day ``day`` of the demo."""
    return START + timedelta(days=day, hours=hours)


def _fleet_stays(f: Faker, garage: DemoGarage, days: int) -> Iterator[Stay]:
    """Cars that live in the garage: inside at the start, out some days, away now and then."""
    rng = f.rng
    for _ in range(garage.fleet):
        plate, since, day = f.plate(rng.random() < 0.3), None, 0
        while day < days:
            weekday = day % 7 < 5
            roll = rng.random()
            if roll < 0.03:  # away for one to three days
                back = day + rng.randint(1, 3)
                yield plate, since, _at(day, rng.gauss(9, 1))
                since, day = _at(back, min(23.5, rng.gauss(18, 2))), back + 1
                continue
            if roll < (0.45 if weekday else 0.25):  # out for the day
                yield plate, since, _at(day, rng.gauss(8.5, 0.7))
                since = _at(day, min(23.5, max(16.0, rng.gauss(19, 1.5))))
            day += 1
        yield plate, since, None


def _commuter_stays(f: Faker, garage: DemoGarage, days: int) -> Iterator[Stay]:
    """Office staff: most weekdays 08:00-18:00, some late, a few left overnight."""
    rng = f.rng
    staff = [f.plate(rng.random() < 0.25) for _ in range(round(garage.capacity * 0.8))]
    for day in range(days):
        weekday = day % 7 < 5
        for plate in staff:
            if rng.random() > (0.88 if weekday else 0.08):
                continue
            arrive = _at(day, rng.gauss(8.6, 0.6) if weekday else rng.gauss(10, 1.5))
            kind = rng.random()
            if kind < 0.03:
                leave = _at(day + 1, rng.gauss(7.5, 1))
            elif kind < 0.09:
                leave = _at(day, min(23.9, rng.gauss(21.5, 1)))
            else:
                leave = arrive + timedelta(hours=min(12.5, max(4.0, rng.gauss(9.2, 1))))
            yield plate, arrive, leave


def _visitor_stays(f: Faker, garage: DemoGarage, days: int, plates: list[str]) -> Iterator[Stay]:
    """Short daytime visits, a few in the evening; one in ten is a resident's car."""
    rng = f.rng
    for day in range(days):
        weekday = day % 7 < 5
        count = round(garage.capacity * (0.45 if weekday else 0.2) * rng.uniform(0.8, 1.2))
        evening = round(garage.capacity * 0.05)
        for k in range(count + evening):
            plate = rng.choice(plates) if rng.random() < 0.1 else f.plate(rng.random() < 0.3)
            start = rng.uniform(18, 21) if k >= count else rng.uniform(8.5, 18.5)
            arrive = _at(day, start)
            yield plate, arrive, arrive + timedelta(hours=min(6.0, rng.lognormvariate(0.2, 0.6)))


def _gate_records(plates: list[str], weeks: int = GATE_WEEKS) -> Iterator[dict[str, Any]]:
    """Plate reads at the office garages' barriers over ``weeks`` weeks, in time order.

    Cameras fail as real ones do: about 0.4 % of passages are not read at all, 1 % are read
    twice (the second read seconds later), 0.5 % are read without a plate.
    """
    f, days = Faker(20212), weeks * 7
    end = _at(days, 0)
    reads: list[tuple[datetime, str, str, str]] = []
    for garage in GARAGES:
        stays = [
            *_fleet_stays(f, garage, days),
            *_commuter_stays(f, garage, days),
            *_visitor_stays(f, garage, days, plates),
        ]
        for plate, arrive, leave in stays:
            for direction, at in (("in", arrive), ("out", leave)):
                if at is not None and START <= at < end:
                    reads.append((at, garage.code, direction, plate))
    reads.sort()
    n = 0
    for at, code, direction, plate in reads:
        roll = f.rng.random()
        if roll < 0.004:
            continue
        shown = "" if roll > 0.995 else plate
        for copy in range(2 if roll < 0.014 else 1):
            n += 1
            yield {
                "event_id": f"GE{n:08d}",
                "garage_code": code,
                "gate": f"{code}-{'入口' if direction == 'in' else '出口'}",
                "direction": direction,
                "plate": shown,
                "plate_color": ("绿" if len(shown) == 8 else "蓝") if shown else "",
                "event_time": (at + timedelta(seconds=copy * f.rng.randint(2, 90))).isoformat(),
                "confidence": round(f.rng.uniform(0.85, 1), 3) if shown else 0.3,
                "region_code": COMMUNITIES[0],
            }


def _water(f: Faker, days: int) -> Iterator[dict[str, Any]]:
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


def _volunteers(f: Faker, people: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    adults = [p for p in people if p["birth_date"] < "2004-01-01"]
    chosen = f.rng.sample(adults, min(count, len(adults)))
    skills = ["助餐", "陪诊", "家电维修", "心理疏导", "代购", "理发", "法律咨询", "助浴"]
    return [
        {
            "volunteer_id": f"V{i + 1:05d}",
            "name": p["name"],
            "id_number": p["id_number"],
            "phone": p["phone"],
            "gender": p["gender"],
            "skills": "、".join(f.rng.sample(skills, 2)),
            "team_id": f"T{i % 12 + 1:02d}",
            "service_hours_total": 0,
            "region_code": p["region_code"],
            "joined_on": "2026-05-01",
        }
        for i, p in enumerate(chosen)
    ]


def _services(f: Faker, volunteers: list[dict[str, Any]], count: int) -> Iterator[dict[str, Any]]:
    kinds = ["送餐", "陪同就医", "上门探访", "代买药品", "维修", "理发"]
    for i in range(count):
        v = f.rng.choice(volunteers)
        yield {
            "record_id": f"S{i + 1:06d}",
            "volunteer_id": v["volunteer_id"],
            "request_id": f"R{i + 1:06d}",
            "service_type": f.rng.choice(kinds),
            "started_at": (START - timedelta(days=f.rng.randint(0, 150))).isoformat(),
            "minutes": f.rng.randint(20, 180),
            "rating": f.rng.choice([4, 5, 5, 5]),
            "feedback": "",
            "region_code": v["region_code"],
        }


def _parking_tables(vehicles: list[dict[str, Any]], scale: int) -> dict[str, list[dict[str, Any]]]:
    """Estates (where, how many spaces) and the office garages next to them, before sharing."""
    estates = [
        {
            "estate_code": code,
            "estate_name": name,
            "region_code": region,
            "spaces_total": ESTATE_SITES[code].spaces * scale,
            "spaces_private": ESTATE_SITES[code].spaces * scale // 2,
            "spaces_public": ESTATE_SITES[code].spaces * scale
            - ESTATE_SITES[code].spaces * scale // 2,
            "households": households * scale,
            "vehicles_registered": sum(v["estate_code"] == code for v in vehicles),
            "charging_points": 40,
            "updated_on": "2026-10-31",
        }
        for code, name, region, households in ESTATES
    ]
    housing = [
        {
            "estate_code": code,
            "estate_name": name,
            "address": f"临江区望湖街道{name}",
            "built_year": ESTATE_SITES[code].built,
            "buildings": -(-households // 48),
            "households": households * scale,
            "floor_area_m2": households * scale * 92,
            "property_company": "望湖物业服务有限公司",
            "property_fee": 1.8,
            "owners_committee": "true",
            "longitude": ESTATE_SITES[code].lon,
            "latitude": ESTATE_SITES[code].lat,
            "region_code": region,
        }
        for code, name, region, households in ESTATES
    ]
    lots = [
        {
            "garage_code": g.code,
            "name": g.name,
            "lot_type": "地下车库",
            "address": f"临江区望湖街道{g.name.removesuffix('地下车库')}",
            "operator": f"{g.name.removesuffix('地下车库')}物业管理处",
            "capacity": g.capacity,
            "offpeak_shared": "false",  # the seed's starting point: nothing shared yet
            "offpeak_spaces": 0,
            "offpeak_start": "",
            "offpeak_end": "",
            "offpeak_monthly_fee": "",
            "longitude": g.lon,
            "latitude": g.lat,
            "region_code": COMMUNITIES[0],
        }
        for g in GARAGES
    ]
    return {
        "estate_parking_spaces": estates,
        "housing_estates": housing,
        "public_parking_lots": lots,
    }


def demo_vehicles(scale: int = 1) -> list[dict[str, Any]]:
    """The demo's cars, the same draws as ``demo_tables``: the hub knows each of them."""
    return _vehicles(Faker(20213), _people(Faker(), scale))


def demo_tables(scale: int = 1) -> dict[str, Any]:
    """Dataset key -> rows (a list or an iterator of dicts)."""
    f = Faker()
    people = _people(f, scale)
    vehicles = _vehicles(Faker(20213), people)  # own draws: parking tweaks change no other table
    volunteers = _volunteers(f, people, 356 * scale)
    plates = [v["plate"] for v in vehicles]
    return {
        "household_registry": people,
        "vehicle_registrations": vehicles,
        **_parking_tables(vehicles, scale),
        "health_code_status": [
            {
                "id_number": p["id_number"],
                "name": p["name"],
                "status": f.rng.choices(["green", "yellow", "red"], weights=[97, 2, 1])[0],
                "reason": "",
                "updated_at": START.isoformat(),
                "region_code": p["region_code"],
            }
            for p in people
        ],
        "garage_gate_records": _gate_records(plates, weeks=GATE_WEEKS * scale),
        "water_level_readings": _water(f, days=14 * scale),
        "volunteers": volunteers,
        "volunteer_service_records": _services(f, volunteers, 1680 * scale),
    }


def write_csv(path: Path, rows: Any) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer: csv.DictWriter[str] | None = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(fh, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
            count += 1
    return count


def load_demo_hub(scale: int = 1) -> dict[str, int]:
    """Load the catalog for the demo street and ingest the synthetic tables."""
    from shequ.core.models import Region
    from shequ.hub.models import Dataset
    from shequ.hub.services.catalog import load_catalog
    from shequ.hub.services.runs import ingest_file

    load_catalog(region=Region.objects.get(code="990102001000"))
    written: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="shequ-demo-") as tmp:
        for key, rows in demo_tables(scale).items():
            path = Path(tmp) / f"{key}.csv"
            write_csv(path, rows)
            run = ingest_file(Dataset.objects.get(key=key), path, mode="replace")
            if run.status != "succeeded":
                raise RuntimeError(f"demo data for {key} did not load: {run.error}")
            written[key] = run.rows_written
    return written
