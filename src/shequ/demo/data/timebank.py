"""The demo's volunteers and their service records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from shequ.demo.data.people import START, Faker


def make_volunteers(f: Faker, people: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
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


def make_services(
    f: Faker, volunteers: list[dict[str, Any]], count: int
) -> Iterator[dict[str, Any]]:
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
