"""The targets page: who sees and changes which region's targets, field errors, both languages,
and the cards that use the target in force."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from dashboard.factories import HOME, NEXT_DOOR, OTHER_STREET, STREET
from shequ.core.models import AuditEvent, Role
from shequ.dashboard.models import Target
from shequ.dashboard.services import refresh

pytestmark = pytest.mark.django_db

PAGE = "/dashboard/targets/"
KEY = "timebank.volunteers"


def client_of(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def post(client: Client, region: str, target: str, direction: str = "higher") -> Any:
    data = {"indicator": KEY, "target": target, "direction": direction}
    return client.post(f"{PAGE}?region={region}", data)


# role, membership, region -> status of GET, of POST (302: saved)
MATRIX = [
    (Role.STREET_STAFF, STREET, STREET, 200, 302),
    (Role.STREET_STAFF, STREET, HOME, 200, 302),
    (Role.STREET_STAFF, STREET, OTHER_STREET, 404, 404),
    (Role.COMMUNITY_STAFF, HOME, HOME, 200, 302),
    (Role.COMMUNITY_STAFF, HOME, NEXT_DOOR, 404, 404),
    (Role.COMMUNITY_STAFF, HOME, STREET, 404, 404),
    (Role.DEPARTMENT_ANALYST, "990102000000", STREET, 200, 403),
    (Role.RESIDENT, HOME, HOME, 200, 403),
    (Role.GARAGE_OPERATOR, HOME, HOME, 403, 403),
]


@pytest.mark.parametrize(("role", "member_at", "region", "read", "write"), MATRIX)
def test_the_page_follows_the_users_role_and_region(
    make_user: Any, role: str, member_at: str, region: str, read: int, write: int
) -> None:
    client = client_of(make_user(role, member_at))
    page = client.get(PAGE, {"region": region})
    assert page.status_code == read
    if read == 200:
        assert (b'name="target"' in page.content) is (write == 302)
    assert post(client, region, "42").status_code == write
    assert Target.objects.filter(region__code=region).exists() is (write == 302)


def test_staff_change_a_target_and_the_cards_use_it(make_user: Any) -> None:
    refresh.run([KEY], force=True)
    client = client_of(make_user(Role.STREET_STAFF, STREET))
    answer = post(client, STREET, "1", "lower")
    assert answer.status_code == 302 and answer["Location"] == f"{PAGE}?region={STREET}"
    event = AuditEvent.objects.get(action="dashboard.target.set")
    assert event.details["new"]["target"] == 1.0
    card = client.get("/api/v1/dashboard/indicators", {"region": HOME}).json()
    mine = next(c for c in card if c["key"] == KEY)
    assert (mine["target"], mine["direction"]) == (1.0, "lower")  # the street's, for HOME
    page = client.get(PAGE, {"region": HOME}).content.decode()
    assert "the region above" in page


def test_a_bad_value_comes_back_with_the_error_beside_the_field(make_user: Any) -> None:
    client = client_of(make_user(Role.COMMUNITY_STAFF, HOME))
    answer = post(client, HOME, "lots")
    assert answer.status_code == 422
    html = answer.content.decode()
    assert 'data-testid="target-error"' in html and "as a number" in html
    assert 'value="lots"' in html  # what was typed stays in the field
    assert not Target.objects.exists()


def test_the_page_speaks_chinese_by_default_and_english_when_asked(make_user: Any) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, HOME)
    chinese = client_of(staff, "zh-hans").get(PAGE, {"region": HOME}).content.decode()
    assert "目标值" in chinese and "志愿者" in chinese
    english = client_of(staff, "en").get(PAGE, {"region": HOME}).content.decode()
    assert "Targets" in english and "目标值" not in english
    refused = post(client_of(staff, "zh-hans"), HOME, "-3").content.decode()
    assert "目标值须在" in refused
