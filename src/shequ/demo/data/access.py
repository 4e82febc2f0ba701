"""The demo's elders living alone (独居老人): household members 65 or older, alone in it."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

ELDER_AGE = 65
AS_OF = date(2026, 10, 1)


def make_elders(people: list[dict[str, Any]], limit: int = 1) -> list[dict[str, Any]]:
    """The first ``limit`` elder living alone (a one-person household) of each community."""
    size = Counter(p["household_id"] for p in people)
    rows: list[dict[str, Any]] = []
    per_region: Counter[str] = Counter()
    for p in people:
        born = date.fromisoformat(p["birth_date"])
        age = AS_OF.year - born.year - ((AS_OF.month, AS_OF.day) < (born.month, born.day))
        if size[p["household_id"]] != 1 or age < ELDER_AGE or per_region[p["region_code"]] >= limit:
            continue
        per_region[p["region_code"]] += 1
        rows.append(
            {
                "elder_id": f"L{len(rows) + 1:05d}",
                "name": p["name"],
                "id_number": p["id_number"],
                "age": age,
                "phone": p["phone"],
                "address": p["address"],
                "living_status": "独居",
                "contact_name": "",
                "contact_phone": "",
                "care_level": "二级",
                "last_visit_on": "2026-09-15",
                "region_code": p["region_code"],
            }
        )
    return rows
