"""Who sees which request, as a matrix of roles × requests: nobody sees another community's."""

from __future__ import annotations

from typing import Any

import pytest

from shequ.core.models import Region, Role
from shequ.timebank.models import HelpRequest, Member
from timebank.factories import ELSEWHERE, HOME, STREET, add_member, add_user, post

# who -> (sees the home community's open request, sees the other community's request)
MATRIX = {
    "home_staff": (True, False),
    "street_staff": (True, False),
    "far_staff": (False, True),
    "home_volunteer": (True, False),
    "far_volunteer": (False, True),
    "daughter": (True, False),
    "other_resident": (False, False),
    "no_role": (False, False),
    "analyst": (False, False),
}


@pytest.fixture
def world(
    regions: dict[str, Region],
    tb_staff: Any,
    daughter: Any,
    father: Member,
    far_staff: Any,
    volunteer: Any,
    far_volunteer: Any,
) -> dict[str, Any]:
    far_elder = add_member(
        far_staff, regions[ELSEWHERE], user=add_user(Role.RESIDENT, regions[ELSEWHERE])
    )
    assert far_elder.user is not None
    return {
        "users": {
            "home_staff": tb_staff,
            "street_staff": add_user(Role.STREET_STAFF, regions[STREET]),
            "far_staff": far_staff,
            "home_volunteer": volunteer.user,
            "far_volunteer": far_volunteer.user,
            "daughter": daughter,
            "other_resident": add_user(Role.RESIDENT, regions[HOME]),
            "no_role": add_user(None, regions[HOME]),
            "analyst": add_user(Role.DEPARTMENT_ANALYST, regions[STREET]),
        },
        "home": post(daughter, father),
        "far": post(far_elder.user, far_elder),
    }


@pytest.mark.parametrize("who", list(MATRIX))
def test_who_sees_which_request(client_for: Any, world: dict[str, Any], who: str) -> None:
    client = client_for(world["users"][who])
    home, far = world["home"], world["far"]
    listed = {r["id"] for r in client.get("/api/v1/timebank/requests").json()}
    for req, expected in ((home, MATRIX[who][0]), (far, MATRIX[who][1])):
        detail = client.get(f"/api/v1/timebank/requests/{req.pk}")
        assert (detail.status_code == 200) is expected, (who, req.region.code)
        assert (req.pk in listed) is expected
        if not expected:
            assert detail.status_code == 404
            assert client.post(f"/api/v1/timebank/requests/{req.pk}/take").status_code == 404


@pytest.mark.parametrize("who", ["home_staff", "far_staff", "home_volunteer", "other_resident"])
def test_only_staff_of_the_community_cancel_for_others(
    client_for: Any, world: dict[str, Any], who: str
) -> None:
    answer = client_for(world["users"][who]).post(
        f"/api/v1/timebank/requests/{world['home'].pk}/cancel",
        "{}",
        content_type="application/json",
    )
    expected = {"home_staff": 200, "far_staff": 404, "home_volunteer": 403, "other_resident": 404}
    assert answer.status_code == expected[who]
    assert (HelpRequest.objects.get(pk=world["home"].pk).status == "cancelled") is (
        who == "home_staff"
    )
