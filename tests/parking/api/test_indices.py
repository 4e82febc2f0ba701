"""The parking indices API: staff see the published figures of their regions only."""

from __future__ import annotations

from typing import Any

import pytest
from ninja.testing import TestClient

from parking.factories import (
    HOME,
    SIBLING,
    STREET,
    Load,
    small_hub,
)
from shequ.core.models import Role
from shequ.parking.api.indices import router
from shequ.parking.services.indices import compute_and_publish_indices


@pytest.fixture
def client() -> TestClient:
    return TestClient(router)


def test_staff_see_the_idle_night_spaces_of_their_estate(
    load: Load, make_user: Any, client: TestClient
) -> None:
    small_hub(load)
    staff = make_user(Role.COMMUNITY_STAFF, HOME)
    before = client.get("/indices/idle-night-spaces?estate=X1", user=staff)
    assert before.status_code == 404
    assert client.get("/indices/parking?estate=X1", user=staff).json()["idle_night_spaces"] is None
    compute_and_publish_indices(weeks=1)
    body = client.get("/indices/idle-night-spaces?estate=X1", user=staff).json()
    assert body["total"] == 7 and body["radius_m"] == 800
    assert [(g["garage_code"], g["idle_spaces"], g["walk_m"]) for g in body["garages"]] == [
        ("GN", 7, 626)
    ]
    assert body["window"]["weeks"] == 1.0 and "22:00" in body["formulas"]["idle_night_spaces"]
    parking = client.get("/indices/parking?estate=X1", user=staff).json()
    assert (parking["parking_index"], parking["shortfall"], parking["idle_night_spaces"]) == (
        1.0,
        0,
        7,
    )
    assert "parking_index" in parking["formulas"] and parking["night_supply"] > 0
    listed = client.get("/indices/estates", user=staff).json()
    assert [e for e in listed if e["estate_code"] == "X1"] == [parking]  # one shape, both routes


ROLES = [
    (Role.COMMUNITY_STAFF, HOME, 200),
    (Role.STREET_STAFF, STREET, 200),
    (Role.PLATFORM_ADMIN, "990000000000", 200),
    (Role.COMMUNITY_STAFF, SIBLING, 403),
    (Role.RESIDENT, HOME, 403),
    (Role.GARAGE_OPERATOR, HOME, 403),
    (Role.DEPARTMENT_ANALYST, STREET, 403),
]
ESTATE_AND_GARAGE = (
    "/indices/idle-night-spaces?estate=X1",
    "/indices/parking?estate=X1",
    "/indices/berth?garage=GN",
    "/indices/occupancy?garage=GN",
)


def test_only_staff_of_the_region_see_an_estates_and_a_garages_indices(
    load: Load, make_user: Any, client: TestClient
) -> None:
    small_hub(load)
    compute_and_publish_indices(weeks=1)
    got, expected = {}, {}
    for role, region, status in ROLES:
        user = make_user(role, region)
        for path in ESTATE_AND_GARAGE:
            got[(role, region, path)] = client.get(path, user=user).status_code
            expected[(role, region, path)] = status
    assert got == expected


def test_lists_show_only_the_users_regions(load: Load, make_user: Any, client: TestClient) -> None:
    small_hub(load)
    compute_and_publish_indices(weeks=1)
    home = make_user(Role.COMMUNITY_STAFF, HOME)
    sibling = make_user(Role.COMMUNITY_STAFF, SIBLING)
    street = make_user(Role.STREET_STAFF, STREET)
    codes = {
        who: [e["estate_code"] for e in client.get("/indices/estates", user=u).json()]
        for who, u in (("home", home), ("sibling", sibling), ("street", street))
    }
    assert codes == {"home": ["X1"], "sibling": ["X2"], "street": ["X1", "X2"]}
    garages = client.get("/indices/garages", user=home).json()
    assert garages["total"] == 16 and len(garages["garages"]) == 2
    assert client.get("/indices/garages", user=sibling).json()["garages"] == []
    resident = make_user(Role.RESIDENT, HOME)
    assert client.get("/indices/estates", user=resident).status_code == 403


def test_berth_heatmap_and_occupancy_series(load: Load, make_user: Any, client: TestClient) -> None:
    small_hub(load)
    compute_and_publish_indices(weeks=1)
    staff = make_user(Role.COMMUNITY_STAFF, HOME)
    berth = client.get("/indices/berth?garage=GN", user=staff).json()
    assert berth["capacity"] == 10 and len(berth["cells"]) == 168
    cell = {(c["weekday"], c["hour"]): c for c in berth["cells"]}
    assert cell[(2, 12)]["occupancy_rate"] == 0.4 and cell[(2, 3)]["occupancy_rate"] == 0.3
    assert cell[(2, 9)]["turnover"] == 0.1 and cell[(2, 9)]["avg_stay_minutes"] == 540
    series = client.get("/indices/occupancy?garage=GN&days=2", user=staff).json()
    assert len(series["points"]) == 48 and series["points"][-1]["occupied"] == 3
    assert client.get("/indices/berth?garage=NOPE", user=staff).status_code == 404
    assert client.get("/indices/occupancy?garage=GN&days=0", user=staff).status_code == 422
    assert client.get("/indices/parking?estate=NOPE", user=staff).status_code == 404
