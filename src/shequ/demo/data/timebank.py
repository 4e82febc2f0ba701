"""The demo's volunteers as the district's register holds them (their services are the time
bank's own records: ``shequ.timebank.demo``)."""

from __future__ import annotations

from typing import Any

from shequ.demo.data.people import Faker


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
