"""``GET /api/v1/access/log`` and the staff log page: scoped, filtered, paginated, audited."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from access.api.test_access import ROLES, SEES, _user
from access.factories import ELSEWHERE, HOME, add_device, add_point, add_resident, health_row
from shequ.access.services import decide
from shequ.access.services.decide import CheckIn
from shequ.core.models import AuditEvent

URL = "/api/v1/access/log"
T0 = timezone.now().replace(microsecond=0) - timedelta(hours=5)


@pytest.fixture
def doors(admin: Any, regions: dict[str, Any], load: Any) -> dict[str, Any]:
    """Home: a green resident passes at 1 h, a red one is refused at 2 h; elsewhere: one pass."""
    load(
        "health_code_status",
        [health_row(1, "green"), health_row(2, "red"), health_row(3, "green", ELSEWHERE)],
    )
    made = {}
    for name, code in (("home", HOME), ("elsewhere", ELSEWHERE)):
        point = add_point(regions[code])
        made[name] = (point, add_device(admin, point)[0])
    add_resident(admin, regions[HOME], 1, ref="V1", name="王芳")
    add_resident(admin, regions[HOME], 2, ref="V2", name="李强")
    add_resident(admin, regions[ELSEWHERE], 3, ref="V3")
    home, elsewhere = made["home"][1], made["elsewhere"][1]
    decide.check(home, CheckIn("a", "face", "V1", T0 + timedelta(hours=1)))
    decide.check(home, CheckIn("b", "face", "V2", T0 + timedelta(hours=2)))
    decide.check(elsewhere, CheckIn("c", "face", "V3", T0 + timedelta(hours=1)))
    return made


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["event_id"] for item in response.json()["items"]]


@pytest.mark.parametrize("role", ROLES)
def test_the_log_shows_the_users_regions_only(role: str, doors: Any, make_user: Any, client_for):
    response = client_for(_user(make_user, role)).get(URL)
    expected = {"home": {"a", "b"}, "elsewhere": {"c"}}
    assert set(_ids(response)) == set().union(*(expected[n] for n in SEES[role]))


def test_filters_by_door_time_and_decision_newest_first(staff, doors, client_for) -> None:
    client = client_for(staff)
    assert _ids(client.get(URL)) == ["b", "a"]
    point = doors["home"][0].pk
    assert _ids(client.get(URL, {"point_id": point, "decision": "refused"})) == ["b"]
    assert _ids(client.get(URL, {"decision": "allowed"})) == ["a"]
    since = (T0 + timedelta(minutes=90)).isoformat()
    assert _ids(client.get(URL, {"since": since})) == ["b"]
    assert _ids(client.get(URL, {"until": since})) == ["a"]
    assert _ids(client.get(URL, {"page_size": 1, "page": 2})) == ["a"]
    assert client.get(URL, {"page_size": 1}).json()["count"] == 2


def test_personal_fields_are_masked(staff, doors, client_for) -> None:
    items = client_for(staff).get(URL).json()["items"]
    body = json.dumps(items, ensure_ascii=False)
    assert {i["who"] for i in items} == {"王*", "李*"}
    assert "王芳" not in body and "李强" not in body and '"V1"' not in body
    assert not {"person", "person_id", "credential", "credential_id"} & set(items[0])


def test_every_read_is_audited(staff, doors, client_for) -> None:
    client = client_for(staff)
    client.get(URL)
    client.get(URL, {"decision": "refused"})
    assert AuditEvent.objects.filter(action="access.log.view", actor=staff).count() == 2


def test_a_door_of_another_region_is_not_found(staff, doors, client_for) -> None:
    response = client_for(staff).get(URL, {"point_id": doors["elsewhere"][0].pk})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"point_id": 0}, "point_id"),
        ({"point_id": "x"}, "point_id"),
        ({"point_id": 2**40}, "point_id"),
        ({"since": "yesterday"}, "since"),
        ({"until": "0001-01-01T00:00:00"}, "until"),
        ({"decision": "maybe"}, "decision"),
        ({"page": 0}, "page"),
        ({"since": "2026-10-02T00:00:00", "until": "2026-10-01T00:00:00"}, "until"),
    ],
)
def test_bad_filters_are_a_422_naming_the_field(staff, doors, client_for, query, field) -> None:
    response = client_for(staff).get(URL, query)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]


def test_the_staff_page_filters_and_audits(staff, doors) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff)
    page = client.get("/access/log/", {"decision": "refused"})
    assert page.status_code == 200
    assert [e.event_id for e in page.context["page"].object_list] == ["b"]
    assert "李*" in page.content.decode() and "李强" not in page.content.decode()
    bad = client.get("/access/log/", {"since": "2026-10-02T00:00", "until": "2026-10-01T00:00"})
    assert bad.status_code == 200 and 'data-testid="error-until"' in bad.content.decode()
    assert AuditEvent.objects.filter(action="access.log.view", actor=staff).count() == 1


def test_the_staff_page_is_for_staff(make_user, doors) -> None:
    client = Client()
    client.force_login(_user(make_user, "resident"))
    assert client.get("/access/log/").status_code == 403
