"""The report of requests nobody matches (staff, scoped by region) and the requests ranked
for me (a volunteer), as roles x regions, with bad input refused naming the field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from shequ.core.models import Region, Role
from shequ.timebank.models import Member
from timebank.factories import ELSEWHERE, HOME, STREET, add_member, add_user, post

# who -> (status of the report, its request ids: home / far)
MATRIX = {
    "home_staff": (200, {"home"}),
    "street_staff": (200, {"home"}),
    "far_staff": (200, {"far"}),
    "home_volunteer": (403, set()),
    "daughter": (403, set()),
}


def later(**fields: Any) -> dict[str, Any]:
    """A window tomorrow: the API ranks and reports requests still to come, from now."""
    starts = timezone.now() + timedelta(days=1)
    return {"starts_at": starts, "ends_at": starts + timedelta(hours=2), **fields}


@pytest.fixture
def world(
    regions: dict[str, Region],
    tb_staff: Any,
    daughter: Any,
    father: Member,
    far_staff: Any,
    volunteer: Member,
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
        },
        # Nobody repairs in either community; the volunteer brings meals.
        "home": post(daughter, father, **later(category="repairs")),
        "matched": post(daughter, father, **later()),
        "far": post(far_user, far_elder, **later(category="repairs")),
    }


@pytest.mark.parametrize("who", list(MATRIX))
def test_who_reads_which_report(client_for: Any, world: dict[str, Any], who: str) -> None:
    answer = client_for(world["users"][who]).get("/api/v1/timebank/unmatched")
    status, expected = MATRIX[who]
    assert answer.status_code == status
    if status == 200:
        rows = answer.json()
        assert {r["request_id"] for r in rows} == {world[name].pk for name in expected}
        assert {r["reason"] for r in rows} == {"no_skill"}
        assert all(r["why"] and r["skilled"] == 0 for r in rows)


def test_a_region_asked_for_must_be_one_you_staff(client_for: Any, world: dict[str, Any]) -> None:
    staff = client_for(world["users"]["home_staff"])
    mine = staff.get(f"/api/v1/timebank/unmatched?region={HOME}")
    assert mine.status_code == 200 and [r["request_id"] for r in mine.json()] == [world["home"].pk]
    assert staff.get(f"/api/v1/timebank/unmatched?region={ELSEWHERE}").status_code == 403
    street = client_for(world["users"]["street_staff"])
    assert len(street.get(f"/api/v1/timebank/unmatched?region={HOME}").json()) == 1
    missing = staff.get("/api/v1/timebank/unmatched?region=990999999999")
    assert missing.status_code == 404 and "region" in missing.json()["error"]["fields"]
    bad = staff.get("/api/v1/timebank/unmatched?region=12ab")
    assert bad.status_code == 422 and "region" in str(bad.json())


def test_requests_for_me_rank_what_i_fit_first(client_for: Any, world: dict[str, Any]) -> None:
    him = client_for(world["users"]["home_volunteer"])
    ranked = him.get("/api/v1/timebank/requests-for-me")
    assert ranked.status_code == 200
    assert [r["id"] for r in ranked.json()] == [world["matched"].pk, world["home"].pk]
    assert (
        client_for(world["users"]["daughter"]).get("/api/v1/timebank/requests-for-me").status_code
        == 403
    )
    bad = him.get("/api/v1/timebank/requests-for-me?limit=0")
    assert bad.status_code == 422 and "limit" in str(bad.json())
