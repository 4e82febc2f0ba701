"""Synthetic rows for the hub datasets that the apps read (fake but well-formed).

Every table is written as a CSV and ingested through the real pipeline in replace
mode, so running the demo again refreshes the data instead of duplicating it.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections.abc import Iterator
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
GARAGES = ["G01", "G02", "G03", "G04", "G05"]
START = datetime(2026, 9, 28, tzinfo=UTC) - timedelta(hours=8)  # Monday 00:00 Shanghai


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
    heads = [p for p in people if p["relation_to_head"] == "户主"]
    rows, seen = [], set()
    for person in heads:
        for _ in range(f.rng.choices([0, 1, 2], weights=[15, 70, 15])[0]):
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
                    "estate_code": person["household_id"].split("-")[0],
                    "region_code": person["region_code"],
                    "registered_on": "2020-05-01",
                    "status": "正常",
                }
            )
    return rows


def _gate_records(f: Faker, plates: list[str], weeks: int) -> Iterator[dict[str, Any]]:
    n = 0
    for day in range(weeks * 7):
        weekday = day % 7 < 5
        for garage in GARAGES:
            for _ in range(f.rng.randint(120, 180) if weekday else f.rng.randint(30, 60)):
                arrive = START + timedelta(days=day, hours=f.rng.gauss(8.8 if weekday else 11, 1))
                leave = arrive + timedelta(hours=max(0.5, f.rng.gauss(9 if weekday else 3, 1.5)))
                plate = f.rng.choice(plates) if f.rng.random() < 0.1 else f.plate()
                for direction, at in (("in", arrive), ("out", leave)):
                    n += 1
                    yield {
                        "event_id": f"GE{n:08d}",
                        "garage_code": garage,
                        "gate": f"{garage}-1",
                        "direction": direction,
                        "plate": plate,
                        "plate_color": "绿" if len(plate) == 8 else "蓝",
                        "event_time": at.isoformat(),
                        "confidence": round(f.rng.uniform(0.85, 1), 3),
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


def demo_tables(scale: int = 1) -> dict[str, Any]:
    """Dataset key -> rows (a list or an iterator of dicts)."""
    f = Faker()
    people = _people(f, scale)
    vehicles = _vehicles(f, people)
    volunteers = _volunteers(f, people, 356 * scale)
    plates = [v["plate"] for v in vehicles]
    return {
        "household_registry": people,
        "vehicle_registrations": vehicles,
        "estate_parking_spaces": [
            {
                "estate_code": code,
                "estate_name": name,
                "region_code": region,
                "spaces_total": households,
                "spaces_private": households // 2,
                "spaces_public": households - households // 2,
                "households": households,
                "vehicles_registered": sum(v["estate_code"] == code for v in vehicles),
                "charging_points": 40,
                "updated_on": "2026-10-31",
            }
            for code, name, region, households in ESTATES
        ],
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
        "garage_gate_records": _gate_records(f, plates, weeks=8 * scale),
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
