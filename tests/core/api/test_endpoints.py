"""The JSON API at /api/v1/: error shape, scoping, pagination, health, people, audit."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shequ.core import pii
from shequ.core.models import AuditEvent, Department, Person, Region, Role
from shequ.core.services import people, tokens

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

HOME = "990102001001"  # 锦绣社区, where `staff` works
SIBLING = "990102001002"  # 和园社区, same street
STREET = "990102001000"  # 望湖街道
OTHER_DISTRICT_COMMUNITY = "990103001001"  # 北山社区
ID_NUMBER = pii.make_id_number("110105", date(1985, 6, 15), 123)
PHONE = "13812345678"


def token_client(user: Any) -> Client:
    _token, raw = tokens.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert isinstance(error["fields"], dict)
    assert error["message"]
    return error


def post(client: Client, path: str, payload: Any) -> Any:
    return client.post(path, payload, content_type="application/json")


def person_payload(region_code: str = HOME, **extra: Any) -> dict[str, Any]:
    return {"region_code": region_code, "name": "张三", "phone": PHONE, **extra}


def counts() -> tuple[int, int, int, int]:
    return (
        Person.objects.count(),
        Region.objects.count(),
        Department.objects.count(),
        AuditEvent.objects.count(),
    )


# --- one error shape ------------------------------------------------------------------------


def test_a_malformed_json_body_is_a_400_that_says_the_json_is_broken(api: Client) -> None:
    before = counts()
    response = api.post(
        "/api/v1/people",
        '{"region_code": "990102001001", "name": ',
        content_type="application/json",
    )
    error = assert_error(response, 400, "bad_request")
    assert "JSON" in error["message"]
    assert counts() == before


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        (
            "/api/v1/regions",
            {
                "code": "990102001003",
                "name": "新社区",
                "level": "community",
                "parent_code": STREET,
                "centre_lat": "north",
            },
            "centre_lat",
        ),
        ("/api/v1/people", person_payload(name=5), "name"),
        ("/api/v1/people", person_payload(name=["张三"]), "name"),
        ("/api/v1/people", person_payload(region_code=990102001001), "region_code"),
        ("/api/v1/people", person_payload(region_code="99010200100"), "region_code"),
        ("/api/v1/tokens", {"name": "t", "days": "forever"}, "days"),
        (
            "/api/v1/channels",
            {"region_code": HOME, "name": "c", "kind": "inbox", "config": []},
            "config",
        ),
    ],
)
def test_a_value_of_the_wrong_type_or_form_is_a_422_naming_the_field(
    api: Client, path: str, payload: dict[str, Any], field: str
) -> None:
    before = counts()
    error = assert_error(post(api, path, payload), 422, "invalid")
    assert field in error["fields"]
    assert error["fields"][field]
    assert field in error["message"]
    assert counts() == before


@pytest.mark.parametrize("missing", ["region_code", "name"])
def test_a_missing_required_field_is_a_422_naming_it(api: Client, missing: str) -> None:
    payload = person_payload()
    del payload[missing]
    error = assert_error(post(api, "/api/v1/people", payload), 422, "invalid")
    assert list(error["fields"]) == [missing]
    assert missing in error["message"]
    assert Person.objects.count() == 0


def test_an_unknown_region_code_for_a_person_is_a_422_and_nothing_is_written(api: Client) -> None:
    before = counts()
    response = post(api, "/api/v1/people", person_payload(region_code="990102009999"))
    error = assert_error(response, 422, "invalid")
    assert list(error["fields"]) == ["region_code"]
    assert "990102009999" in error["message"]
    assert counts() == before


def test_an_unknown_region_code_for_a_department_is_a_422_and_nothing_is_written(
    make_user: Any,
) -> None:
    client = token_client(make_user(Role.STREET_STAFF, STREET))
    before = counts()
    payload = {"region_code": "990102009999", "code": "police", "name": "派出所", "kind": "police"}
    error = assert_error(post(client, "/api/v1/departments", payload), 422, "invalid")
    assert "region_code" in error["fields"]
    assert counts() == before


def test_a_person_with_a_bad_phone_and_id_number_is_a_422_naming_both(api: Client) -> None:
    payload = person_payload(phone="12345", id_number=ID_NUMBER[:-1] + "0")
    if ID_NUMBER.endswith("0"):
        payload["id_number"] = ID_NUMBER[:-1] + "1"
    error = assert_error(post(api, "/api/v1/people", payload), 422, "invalid")
    assert set(error["fields"]) == {"phone", "id_number"}
    assert "校验码" in error["message"]  # "check digit", in the default language (zh-hans)
    assert Person.objects.count() == 0


def test_registering_the_same_id_number_twice_in_a_region_is_a_422(api: Client) -> None:
    assert post(api, "/api/v1/people", person_payload(id_number=ID_NUMBER)).status_code == 201
    response = post(api, "/api/v1/people", person_payload(id_number=ID_NUMBER))
    error = assert_error(response, 422, "invalid")
    assert "id_number" in error["fields"]
    assert Person.objects.count() == 1


def test_a_request_without_a_token_is_a_401(db: None) -> None:
    error = assert_error(Client().get("/api/v1/people"), 401, "unauthenticated")
    assert error["fields"] == {}


def test_a_wrong_method_is_a_405_in_the_error_shape_naming_the_allowed_ones(api: Client) -> None:
    response = api.put("/api/v1/people", {}, content_type="application/json")
    error = assert_error(response, 405, "method_not_allowed")
    assert "PUT" in error["message"]
    assert "GET" in error["message"] and "POST" in error["message"]
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_endpoint_is_a_404_in_the_error_shape(db: None, method: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/v1/no-such-thing", content_type="application/json")
    error = assert_error(response, 404, "not_found")
    assert "/api/v1/no-such-thing" in error["message"]


def test_a_bad_page_number_is_a_422_naming_page(api: Client) -> None:
    error = assert_error(api.get("/api/v1/people?page=0"), 422, "invalid")
    assert "page" in error["fields"]


# --- scoping --------------------------------------------------------------------------------


def test_staff_of_another_district_cannot_create_a_person_here_and_nothing_is_written(
    make_user: Any,
) -> None:
    client = token_client(make_user(Role.COMMUNITY_STAFF, OTHER_DISTRICT_COMMUNITY))
    before = counts()
    error = assert_error(post(client, "/api/v1/people", person_payload(HOME)), 403, "forbidden")
    assert "region" in error["message"]
    assert counts() == before


@pytest.mark.parametrize(
    ("role", "member_of", "target", "status"),
    [
        (Role.COMMUNITY_STAFF, HOME, HOME, 201),
        (Role.COMMUNITY_STAFF, HOME, SIBLING, 403),
        (Role.COMMUNITY_STAFF, HOME, STREET, 403),
        (Role.COMMUNITY_STAFF, OTHER_DISTRICT_COMMUNITY, HOME, 403),
        (Role.STREET_STAFF, STREET, HOME, 201),
        (Role.STREET_STAFF, STREET, SIBLING, 201),
        (Role.STREET_STAFF, STREET, "990102002001", 403),
        (Role.PLATFORM_ADMIN, "990000000000", OTHER_DISTRICT_COMMUNITY, 201),
        (Role.RESIDENT, HOME, HOME, 403),
        (Role.VOLUNTEER, HOME, HOME, 403),
        (Role.DUTY_OFFICER, HOME, HOME, 403),
    ],
)
def test_who_may_register_a_person_where(
    make_user: Any, role: str, member_of: str, target: str, status: int
) -> None:
    client = token_client(make_user(role, member_of))
    before = Person.objects.count()
    response = post(client, "/api/v1/people", person_payload(target))
    assert response.status_code == status, response.content
    assert Person.objects.count() == before + (1 if status == 201 else 0)
    if status == 403:
        assert_error(response, 403, "forbidden")


def test_a_region_outside_the_users_scope_is_a_404(api: Client) -> None:
    assert api.get(f"/api/v1/regions/{HOME}").status_code == 200
    for code in (SIBLING, STREET, OTHER_DISTRICT_COMMUNITY, "990102009999"):
        error = assert_error(api.get(f"/api/v1/regions/{code}"), 404, "not_found")
        assert "Region" in error["message"]


def test_a_user_lists_only_the_regions_their_memberships_cover(make_user: Any) -> None:
    client = token_client(make_user(Role.STREET_STAFF, STREET))
    body = client.get("/api/v1/regions").json()
    assert [r["code"] for r in body["items"]] == [STREET, HOME, SIBLING, "990102001201"]
    assert body["count"] == 4
    assert body["items"][1]["parent_code"] == STREET


def test_community_staff_cannot_create_a_region(api: Client) -> None:
    before = counts()
    payload = {
        "code": "990102001003",
        "name": "新社区",
        "level": "community",
        "parent_code": STREET,
    }
    assert_error(post(api, "/api/v1/regions", payload), 403, "forbidden")
    assert counts() == before


def test_street_staff_can_create_a_community_under_their_street(make_user: Any) -> None:
    client = token_client(make_user(Role.STREET_STAFF, STREET))
    payload = {
        "code": "990102001003",
        "name": "新湖社区",
        "name_en": "Xinhu",
        "level": "community",
        "parent_code": STREET,
        "centre_lat": 30.25,
        "centre_lon": 120.15,
    }
    response = post(client, "/api/v1/regions", payload)
    assert response.status_code == 201, response.content
    assert response.json() == {k: v for k, v in payload.items()}
    assert client.get("/api/v1/regions/990102001003").status_code == 200
    assert AuditEvent.objects.filter(action="region.create", region_code="990102001003").exists()


def test_street_staff_cannot_create_a_community_under_another_street(make_user: Any) -> None:
    client = token_client(make_user(Role.STREET_STAFF, STREET))
    payload = {
        "code": "990102002005",
        "name": "别人的社区",
        "level": "community",
        "parent_code": "990102002000",
    }
    assert_error(post(client, "/api/v1/regions", payload), 403, "forbidden")
    assert not Region.objects.filter(code="990102002005").exists()


def test_a_region_code_inconsistent_with_its_parent_is_a_422_naming_code(
    make_user: Any,
) -> None:
    client = token_client(make_user(Role.STREET_STAFF, STREET))
    before = counts()
    payload = {
        "code": "990102002005",
        "name": "错码社区",
        "level": "community",
        "parent_code": STREET,
    }
    error = assert_error(post(client, "/api/v1/regions", payload), 422, "invalid")
    assert list(error["fields"]) == ["code"]
    assert "990102001" in error["message"]
    assert counts() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "990102001000", "level": "community"}, "code"),  # community digits all zero
        ({"code": "990102001003", "level": "district"}, "code"),  # digits below level set
        ({"code": "990102001003", "level": "hamlet"}, "level"),
        ({"code": "990102001003", "level": "community", "parent_code": HOME}, "parent_code"),
        (
            {"code": "990102001003", "level": "community", "parent_code": "990102009000"},
            "parent_code",
        ),
    ],
)
def test_an_invalid_region_is_a_422_naming_the_field(
    make_user: Any, payload: dict[str, Any], field: str
) -> None:
    client = token_client(make_user(Role.PLATFORM_ADMIN, "990000000000"))
    before = counts()
    full = {"name": "坏区划", "parent_code": STREET, **payload}
    error = assert_error(post(client, "/api/v1/regions", full), 422, "invalid")
    assert field in error["fields"]
    assert counts() == before


def test_street_staff_can_create_and_list_a_department(make_user: Any) -> None:
    client = token_client(make_user(Role.STREET_STAFF, STREET))
    payload = {"region_code": STREET, "code": "police", "name": "望湖派出所", "kind": "police"}
    response = post(client, "/api/v1/departments", payload)
    assert response.status_code == 201, response.content
    assert response.json()["region_code"] == STREET
    listed = client.get("/api/v1/departments").json()
    assert [d["code"] for d in listed["items"]] == ["police"]
    error = assert_error(post(client, "/api/v1/departments", payload), 422, "invalid")
    assert "code" in error["fields"]


def test_a_department_of_an_unknown_kind_is_a_422_naming_kind(make_user: Any) -> None:
    client = token_client(make_user(Role.STREET_STAFF, STREET))
    payload = {"region_code": STREET, "code": "x", "name": "X", "kind": "ministry_of_magic"}
    error = assert_error(post(client, "/api/v1/departments", payload), 422, "invalid")
    assert "kind" in error["fields"]
    assert Department.objects.count() == 0


# --- pagination -----------------------------------------------------------------------------


def test_regions_are_paginated_with_items_and_count(make_user: Any) -> None:
    client = token_client(make_user(Role.PLATFORM_ADMIN, "990000000000"))
    first = client.get("/api/v1/regions?page=1&page_size=5").json()
    second = client.get("/api/v1/regions?page=2&page_size=5").json()
    third = client.get("/api/v1/regions?page=3&page_size=5").json()
    assert first["count"] == second["count"] == third["count"] == 12
    assert [len(p["items"]) for p in (first, second, third)] == [5, 5, 2]
    codes = [r["code"] for p in (first, second, third) for r in p["items"]]
    assert codes == sorted(Region.objects.values_list("code", flat=True))


def test_regions_can_be_filtered_by_level(make_user: Any) -> None:
    client = token_client(make_user(Role.PLATFORM_ADMIN, "990000000000"))
    body = client.get("/api/v1/regions?level=street").json()
    assert [r["code"] for r in body["items"]] == ["990102001000", "990102002000", "990103001000"]


def make_people(region: Region, n: int, actor: Any) -> None:
    for i in range(n):
        people.create_person(actor, region, name=f"居民{i}", phone=f"139{i:08d}")


def test_people_are_paginated_with_items_and_count(api: Client, staff: Any, regions: Any) -> None:
    make_people(regions[HOME], 30, staff)
    page = api.get("/api/v1/people?page=3&page_size=10").json()
    assert page["count"] == 30
    assert len(page["items"]) == 10
    everything = [
        p["id"]
        for n in (1, 2, 3)
        for p in api.get(f"/api/v1/people?page={n}&page_size=10").json()["items"]
    ]
    assert sorted(everything) == sorted(Person.objects.values_list("id", flat=True))


def test_people_can_be_filtered_by_region(make_user: Any, regions: Any) -> None:
    street_staff = make_user(Role.STREET_STAFF, STREET)
    make_people(regions[HOME], 2, street_staff)
    make_people(regions[SIBLING], 3, street_staff)
    client = token_client(street_staff)
    assert client.get("/api/v1/people").json()["count"] == 5
    assert client.get(f"/api/v1/people?region_code={SIBLING}").json()["count"] == 3


def test_the_people_list_shows_only_people_in_the_users_regions(
    api: Client, staff: Any, make_user: Any, regions: Any
) -> None:
    make_people(regions[HOME], 2, staff)
    make_people(regions[SIBLING], 3, make_user(Role.COMMUNITY_STAFF, SIBLING))
    body = api.get("/api/v1/people").json()
    assert body["count"] == 2
    assert {p["region_code"] for p in body["items"]} == {HOME}
    assert api.get(f"/api/v1/people?region_code={SIBLING}").json()["count"] == 0


def people_list_queries(api: Client) -> int:
    api.get("/api/v1/people")  # the first call of a token also stamps last_used
    with CaptureQueriesContext(connection) as ctx:
        response = api.get("/api/v1/people")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_listing_people_takes_a_bounded_number_of_queries(
    api: Client, staff: Any, regions: Any, django_assert_max_num_queries: Any
) -> None:
    make_people(regions[HOME], 1, staff)
    with_one = people_list_queries(api)
    make_people(regions[HOME], 29, staff)
    with_thirty = people_list_queries(api)
    assert with_thirty == with_one
    with django_assert_max_num_queries(6):
        body = api.get("/api/v1/people?page_size=30").json()
    assert len(body["items"]) == 30


def test_listing_regions_takes_a_bounded_number_of_queries(
    make_user: Any, django_assert_max_num_queries: Any
) -> None:
    client = token_client(make_user(Role.PLATFORM_ADMIN, "990000000000"))
    client.get("/api/v1/regions")
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/v1/regions").json()["items"]) == 12


# --- system ---------------------------------------------------------------------------------


def test_health_reports_the_database_and_data_dir_ok(db: None) -> None:
    response = Client().get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["data_dir"]) == ("ok", "ok", "ok")
    assert body["version"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_health_checks_do_not_trip_over_each_other(settings: Any) -> None:
    """Each check writes a probe file of its own: 40 at once all answer 200, none is left."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def check(_: int) -> int:
        try:
            return int(Client().get("/api/v1/health").status_code)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(check, range(40)))
    assert codes == [200] * 40
    assert not list(Path(settings.DATA_DIR).glob(".health*"))


@pytest.mark.parametrize("kind", ["missing", "not-a-directory"])
def test_health_is_503_when_the_data_dir_cannot_be_written(
    db: None, settings: Any, tmp_path: Path, kind: str
) -> None:
    if kind == "missing":
        settings.DATA_DIR = tmp_path / "does" / "not" / "exist"
    else:
        blocker = tmp_path / "a-file"
        blocker.write_text("x")
        settings.DATA_DIR = blocker / "data"
    response = Client().get("/api/v1/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["data_dir"].startswith("error")


def test_the_openapi_schema_lists_the_endpoints(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/health",
        "/api/v1/me",
        "/api/v1/regions",
        "/api/v1/regions/{code}",
        "/api/v1/people",
        "/api/v1/people/{person_id}/reveal",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/audit",
        "/api/v1/channels",
        "/api/v1/channels/{channel_id}/test",
    ):
        assert path in paths, path


def test_the_interactive_docs_page_loads(db: None) -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_me_lists_memberships_and_permissions(api: Client) -> None:
    body = api.get("/api/v1/me").json()
    assert body["username"] == "staff"
    assert body["memberships"] == [
        {
            "region_code": HOME,
            "region_name": "锦绣社区",
            "role": Role.COMMUNITY_STAFF,
            "department": None,
        }
    ]
    assert {"view_people", "manage_people", "reveal_pii", "view_audit"} <= set(body["permissions"])
    assert "manage_regions" not in body["permissions"]
    assert body["permissions"] == sorted(body["permissions"])


def test_me_lists_every_membership_of_a_user_with_several(make_user: Any, regions: Any) -> None:
    from shequ.core.models import Membership

    user = make_user(Role.RESIDENT, HOME)
    Membership.objects.create(user=user, region=regions[SIBLING], role=Role.VOLUNTEER)
    body = token_client(user).get("/api/v1/me").json()
    assert {(m["region_code"], m["role"]) for m in body["memberships"]} == {
        (HOME, Role.RESIDENT),
        (SIBLING, Role.VOLUNTEER),
    }
    assert "reveal_pii" not in body["permissions"]
    assert {"timebank", "parking", "gate"} <= set(body["permissions"])


# --- people ---------------------------------------------------------------------------------


def test_creating_a_person_returns_masked_values_and_stores_no_clear_pii(api: Client) -> None:
    payload = person_payload(id_number=ID_NUMBER, address="望湖路18号3幢2单元501室")
    response = post(api, "/api/v1/people", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "138****5678"
    assert body["name"] == "张*"
    assert body["id_number"] == ID_NUMBER[:6] + "*" * 12
    assert body["address"].endswith("****")
    assert "501" not in body["address"]

    row = Person.objects.filter(pk=body["id"]).values().get()
    for column, value in row.items():
        for clear in (PHONE, ID_NUMBER, "张三", "望湖路18号3幢2单元501室"):
            assert clear not in str(value), column
    listed = api.get("/api/v1/people").json()["items"]
    assert listed == [body]


def test_revealing_a_person_returns_clear_values_and_audits_the_reason(
    api: Client, staff: Any
) -> None:
    created = post(api, "/api/v1/people", person_payload(id_number=ID_NUMBER)).json()
    response = post(
        api, f"/api/v1/people/{created['id']}/reveal", {"reason": "核实低保申请 case 42"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["phone"], body["id_number"]) == ("张三", PHONE, ID_NUMBER)

    event = AuditEvent.objects.get(action="person.reveal")
    assert event.actor_id == staff.pk
    assert event.object_id == str(created["id"])
    assert event.region_code == HOME
    assert event.details == {"reason": "核实低保申请 case 42"}
    assert PHONE not in str(event.details) and ID_NUMBER not in event.object_repr


def test_a_reveal_without_a_reason_is_a_422_and_not_audited(api: Client) -> None:
    created = post(api, "/api/v1/people", person_payload()).json()
    error = assert_error(post(api, f"/api/v1/people/{created['id']}/reveal", {}), 422, "invalid")
    assert "reason" in error["fields"]
    response = post(api, f"/api/v1/people/{created['id']}/reveal", {"reason": "  "})
    assert "reason" in assert_error(response, 422, "invalid")["fields"]
    assert not AuditEvent.objects.filter(action="person.reveal").exists()


@pytest.mark.parametrize(
    ("role", "member_of"),
    [
        (Role.RESIDENT, HOME),
        (Role.VOLUNTEER, HOME),
        (Role.GARAGE_OPERATOR, HOME),
        (Role.COMMUNITY_STAFF, SIBLING),
        (Role.COMMUNITY_STAFF, OTHER_DISTRICT_COMMUNITY),
    ],
)
def test_a_user_without_reveal_rights_over_the_person_cannot_reveal(
    api: Client, make_user: Any, role: str, member_of: str
) -> None:
    created = post(api, "/api/v1/people", person_payload()).json()
    client = token_client(make_user(role, member_of))
    response = post(client, f"/api/v1/people/{created['id']}/reveal", {"reason": "curious"})
    assert response.status_code in (403, 404)
    assert_error(response, response.status_code, response.json()["error"]["code"])
    assert PHONE not in response.content.decode()
    assert not AuditEvent.objects.filter(action="person.reveal").exists()


# --- audit ----------------------------------------------------------------------------------


@pytest.fixture
def audit_trail(api: Client, make_user: Any) -> dict[str, Any]:
    """Events by `staff` in HOME and by a colleague of another district in theirs."""
    post(api, "/api/v1/people", person_payload(HOME, name="李四"))
    created = post(api, "/api/v1/people", person_payload(HOME, name="王五")).json()
    post(api, f"/api/v1/people/{created['id']}/reveal", {"reason": "家访"})
    far = make_user(Role.COMMUNITY_STAFF, OTHER_DISTRICT_COMMUNITY, username="far")
    post(token_client(far), "/api/v1/people", person_payload(OTHER_DISTRICT_COMMUNITY))
    return {"far": far}


def test_audit_lists_the_events_of_the_users_regions_newest_first(
    api: Client, audit_trail: dict[str, Any]
) -> None:
    body = api.get("/api/v1/audit").json()
    actions = [e["action"] for e in body["items"]]
    assert actions == ["person.reveal", "person.create", "person.create"]
    assert body["count"] == 3
    assert {e["region_code"] for e in body["items"]} == {HOME}
    assert {e["actor"] for e in body["items"]} == {"staff"}


def test_audit_filters_by_action_actor_and_region(api: Client, audit_trail: dict[str, Any]) -> None:
    assert [e["action"] for e in api.get("/api/v1/audit?action=person.reveal").json()["items"]] == [
        "person.reveal"
    ]
    assert api.get("/api/v1/audit?action=person").json()["count"] == 3
    assert api.get("/api/v1/audit?actor=staff").json()["count"] == 3
    assert api.get("/api/v1/audit?actor=nobody").json()["count"] == 0
    assert api.get(f"/api/v1/audit?region_code={HOME}").json()["count"] == 3
    assert api.get(f"/api/v1/audit?region_code={SIBLING}").json()["count"] == 0


def test_audit_never_shows_another_districts_events(
    api: Client, audit_trail: dict[str, Any]
) -> None:
    for query in ("", "?actor=far", f"?region_code={OTHER_DISTRICT_COMMUNITY}", "?region_code=99"):
        items = api.get(f"/api/v1/audit{query}").json()["items"]
        assert all(e["region_code"] == HOME for e in items), query
        assert all(e["actor"] != "far" for e in items), query
    far_view = token_client(audit_trail["far"]).get("/api/v1/audit").json()
    assert {e["region_code"] for e in far_view["items"]} == {OTHER_DISTRICT_COMMUNITY}


def test_a_resident_sees_no_audit_events(api: Client, make_user: Any, audit_trail: Any) -> None:
    body = token_client(make_user(Role.RESIDENT, HOME)).get("/api/v1/audit").json()
    assert body == {"items": [], "count": 0}


def test_a_platform_admin_sees_every_districts_events(
    api: Client, make_user: Any, audit_trail: Any
) -> None:
    client = token_client(make_user(Role.PLATFORM_ADMIN, "990000000000"))
    regions_seen = {e["region_code"] for e in client.get("/api/v1/audit").json()["items"]}
    assert {HOME, OTHER_DISTRICT_COMMUNITY} <= regions_seen
