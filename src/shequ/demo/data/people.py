"""The demo's people and their cars: households of the two estates, one draw of a seeded Faker."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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


def make_people(f: Faker, scale: int) -> list[dict[str, Any]]:
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


def make_vehicles(f: Faker, people: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


def demo_vehicles(scale: int = 1) -> list[dict[str, Any]]:
    """The demo's cars, the same draws as ``demo_tables``: the hub knows each of them."""
    return make_vehicles(Faker(20213), make_people(Faker(), scale))
