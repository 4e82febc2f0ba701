"""The demo's parking data: estates' sites, garages, gate records of fleets, commuters, visitors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shequ.demo.data.people import COMMUNITIES, ESTATE_SITES, ESTATES, START, Faker

GATE_WEEKS = 8


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


def make_gate_records(plates: list[str], weeks: int = GATE_WEEKS) -> Iterator[dict[str, Any]]:
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


def make_parking_tables(
    vehicles: list[dict[str, Any]], scale: int
) -> dict[str, list[dict[str, Any]]]:
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
