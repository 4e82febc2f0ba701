"""Pages by role × object: nobody opens another community's request or console."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from shequ.core.models import Region, Role
from shequ.timebank.models import Member
from timebank.factories import ELSEWHERE, HOME, STREET, add_member, add_user, post

# who -> (home request, other community's request, staff console, order hall, the report of
# requests nobody matches)
MATRIX = {
    "home_staff": (200, 404, 200, 403, 200),
    "street_staff": (200, 404, 200, 403, 200),
    "far_staff": (404, 200, 200, 403, 200),
    "home_volunteer": (200, 404, 403, 200, 403),
    "daughter": (200, 404, 403, 403, 403),
    "other_resident": (404, 404, 403, 403, 403),
    "no_role": (404, 404, 403, 403, 403),
}


@pytest.fixture
def world(
    regions: dict[str, Region],
    tb_staff: Any,
    daughter: Any,
    father: Member,
    far_staff: Any,
    volunteer: Any,
) -> dict[str, Any]:
    far_user = add_user(Role.RESIDENT, regions[ELSEWHERE])
    far_elder = add_member(far_staff, regions[ELSEWHERE], user=far_user)
    return {
        "users": {
            "home_staff": tb_staff,
            "street_staff": add_user(Role.STREET_STAFF, regions[STREET]),
            "far_staff": far_staff,
            "home_volunteer": volunteer.user,
            "daughter": daughter,
            "other_resident": add_user(Role.RESIDENT, regions[HOME]),
            "no_role": add_user(None, regions[HOME]),
        },
        "home": post(daughter, father),
        "far": post(far_user, far_elder),
    }


@pytest.mark.parametrize("who", list(MATRIX))
def test_who_opens_which_page(world: dict[str, Any], who: str) -> None:
    client = Client()
    client.force_login(world["users"][who])
    paths = (
        f"/timebank/requests/{world['home'].pk}/",
        f"/timebank/requests/{world['far'].pk}/",
        "/timebank/staff/",
        "/timebank/hall/",
        "/timebank/staff/unmatched/",
    )
    assert tuple(client.get(p).status_code for p in paths) == MATRIX[who]


def test_anonymous_visitors_are_sent_to_log_in(world: dict[str, Any]) -> None:
    answer = Client().get(f"/timebank/requests/{world['home'].pk}/")
    assert answer.status_code == 302 and "/login/" in answer["Location"]
