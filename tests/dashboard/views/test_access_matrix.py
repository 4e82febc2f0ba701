"""Who sees which dashboard pages, regions and indicators: a role × region × page matrix."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from dashboard.factories import HOME, NEXT_DOOR, OTHER_STREET, STREET
from shequ.core.models import Role
from shequ.dashboard.services import refresh

pytestmark = pytest.mark.django_db

PAGES = ["/dashboard/", "/dashboard/m/timebank/", "/dashboard/screen/", "/dashboard/phone/",
         "/dashboard/data/timebank.volunteers.csv", "/api/v1/dashboard/screen",
         "/api/v1/dashboard/indicators"]  # fmt: skip

# role, where the membership is, region asked for -> expected status of every page
MATRIX = [
    (Role.STREET_STAFF, STREET, STREET, 200),
    (Role.STREET_STAFF, STREET, HOME, 200),
    (Role.STREET_STAFF, STREET, OTHER_STREET, 404),
    (Role.COMMUNITY_STAFF, HOME, HOME, 200),
    (Role.COMMUNITY_STAFF, HOME, NEXT_DOOR, 404),
    (Role.COMMUNITY_STAFF, HOME, STREET, 404),
    (Role.DEPARTMENT_ANALYST, "990102000000", OTHER_STREET, 200),
    (Role.DUTY_OFFICER, "990102001201", "990102001201", 200),
    (Role.DUTY_OFFICER, "990102001201", HOME, 404),
    (Role.RESIDENT, HOME, HOME, 200),
    (Role.RESIDENT, HOME, NEXT_DOOR, 404),
    (Role.RESIDENT, HOME, STREET, 404),
    (Role.VOLUNTEER, HOME, HOME, 200),
    (Role.GARAGE_OPERATOR, HOME, HOME, 403),
    (Role.PLATFORM_ADMIN, "990000000000", OTHER_STREET, 200),
]


@pytest.mark.parametrize(("role", "member_at", "asked", "status"), MATRIX)
def test_pages_follow_the_users_regions(
    make_user: Any, role: str, member_at: str, asked: str, status: int
) -> None:
    client = Client()
    client.force_login(make_user(role, member_at))
    for page in PAGES:
        got = client.get(page, {"region": asked}).status_code
        assert got == status, (role, member_at, asked, page, got)


def test_anonymous_users_are_sent_to_log_in_and_the_api_says_401(regions: Any) -> None:
    client = Client()
    for page in PAGES:
        status = client.get(page).status_code
        assert status == (401 if page.startswith("/api/") else 302), page


def test_residents_see_only_public_indicators_of_their_community(make_user: Any) -> None:
    refresh.run(force=True)
    client = Client()
    client.force_login(make_user(Role.RESIDENT, HOME))
    shown = {i["key"] for i in client.get("/api/v1/dashboard/indicators").json()}
    assert shown and "timebank.volunteers" in shown
    assert "access.refused_24h" not in shown and "timebank.take_p50" not in shown
    assert client.get("/dashboard/data/access.refused_24h.csv").status_code == 404
    assert client.get("/api/v1/dashboard/indicators/access.refused_24h/series").status_code == 404
    assert client.get("/dashboard/m/hub/").status_code == 404  # nothing public there
    screen = client.get("/api/v1/dashboard/screen").json()
    assert screen["alerts"] == []  # live alerts are for staff
    assert {f["key"] for f in screen["figures"]} <= shown


def test_staff_see_every_indicator_of_their_street(make_user: Any) -> None:
    refresh.run(force=True)
    client = Client()
    client.force_login(make_user(Role.STREET_STAFF, STREET))
    shown = {i["key"] for i in client.get("/api/v1/dashboard/indicators").json()}
    assert {"access.refused_24h", "hub.datasets", "timebank.take_p90"} <= shown
    page = client.get("/dashboard/").content.decode()
    assert f"?region={HOME}" in page and f"?region={NEXT_DOOR}" in page  # drill-down links
