"""The roles × objects matrix of the flood API and pages: who sees which point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flood.factories import ELSEWHERE, STREET, VILLAGE
from shequ.core.models import Role

# name -> (role, region)
PEOPLE = {
    "village_officer": (Role.DUTY_OFFICER, VILLAGE),
    "street_staff": (Role.STREET_STAFF, STREET),
    "sibling_staff": (Role.COMMUNITY_STAFF, "990102001001"),  # 锦绣社区, beside the village
    "far_officer": (Role.DUTY_OFFICER, ELSEWHERE),
    "admin": (Role.PLATFORM_ADMIN, "990000000000"),
    "resident": (Role.RESIDENT, VILLAGE),
    "operator": (Role.GARAGE_OPERATOR, VILLAGE),
}
# name -> the points seen: "culvert" (石桥村), "beishan" (北山社区); None: no flood access
SEES: dict[str, set[str] | None] = {
    "village_officer": {"culvert"},
    "street_staff": {"culvert"},
    "sibling_staff": set(),
    "far_officer": {"beishan"},
    "admin": {"culvert", "beishan"},
    "resident": None,
    "operator": None,
}


def make_people(make_user: Callable[..., Any]) -> dict[str, Any]:
    return {name: make_user(role, region) for name, (role, region) in PEOPLE.items()}
