"""The CKAN-compatible Action API: catalogue actions, datastore_search, and ckanapi against it.

The datasets are the query tests' (the ``hub`` fixture): ``people`` has names, ID numbers,
phones and addresses, a third of its rows each in 锦绣社区 (HOME), 和园社区 and 北山社区;
``staff`` of HOME holds a grant on it with nothing in clear. Rows go through the real query
engine, masking and audit; the acceptance test drives a live server with the real
``ckanapi.RemoteCKAN``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from hub.factories import ELSEWHERE, HOME, Hub, hub_person, rows_of
from shequ.core import pii
from shequ.core.models import AuditEvent, Department, Role
from shequ.core.services import tokens
from shequ.hub.ckan.packages import org_name
from shequ.hub.models import Dataset

pytestmark = pytest.mark.django_db
API = "/api/3/action"
OWNER = "区公安分局"
HOME_PEOPLE = [hub_person(i) for i in range(120) if hub_person(i)["region_code"] == HOME]


def client_for(user: Any, **headers: str) -> Client:
    _token, raw = tokens.issue(user, "ckan")
    return Client(HTTP_AUTHORIZATION=raw, **headers)


def call(client: Client, name: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
    """POST the JSON body as ckanapi does; the envelope's result, or its error on failure."""
    response = client.post(f"{API}/{name}", json.dumps(body or {}), content_type="application/json")
    return envelope(response, status)


def get(client: Client, action: str, status: int = 200, **params: Any) -> Any:
    return envelope(client.get(f"{API}/{action}", params), status)


def envelope(response: Any, status: int) -> Any:
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["help"].endswith(f"help_show?name={response.wsgi_request.path.rsplit('/', 1)[1]}")
    if status == 200:
        assert body["success"] is True
        return body["result"]
    assert body["success"] is False and "result" not in body
    return body["error"]


@pytest.fixture
def catalogue(hub: Hub) -> Hub:
    """The query datasets with owners, and health_records not shared (a private package)."""
    Dataset.objects.filter(key__in=["people", "vehicle_registrations"]).update(
        owner=OWNER, tags=["人口", "实有人口"], licence="政务内部共享"
    )
    Dataset.objects.filter(key="parking_events").update(owner="区交警大队", frequency="hourly")
    Dataset.objects.filter(key="health_records").update(sharing="not_shared", owner="区卫健局")
    Dataset.objects.filter(key="people").update(
        title="人口信息", title_en="People", description="辖区实有人口", frequency="daily"
    )
    return hub


@pytest.fixture
def staff(catalogue: Hub) -> Client:
    return client_for(catalogue.staff)


@pytest.fixture
def clear(catalogue: Hub, make_user: Any) -> Client:
    """A HOME user granted people with phone and name in clear."""
    user = make_user(Role.COMMUNITY_STAFF, HOME, username="clear")
    catalogue.grant(user, catalogue["people"], clear_columns=["phone", "name"])
    return client_for(user)


# ---------------------------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------------------------


def test_package_list_shows_shared_datasets_to_anyone_never_private_ones(catalogue: Hub) -> None:
    names = call(Client(), "package_list")
    assert names == ["parking_events", "parking_lots", "people", "vehicle_registrations"]
    assert get(Client(), "package_list", limit=2, offset=1) == ["parking_lots", "people"]
    assert call(client_for(catalogue.staff), "package_list") == names


def test_package_show_has_ckan_shape_and_no_data(catalogue: Hub) -> None:
    package = call(Client(), "package_show", {"id": "people"})
    assert package["name"] == package["id"] == "people"
    assert package["title"] == "人口信息" and package["notes"] == "辖区实有人口"
    assert package["title_translated"] == {"zh_Hans": "人口信息", "en": "People"}
    assert package["private"] is False and package["type"] == "dataset"
    assert package["groups"][0]["name"] == "query-test"
    assert package["organization"]["name"] == org_name(OWNER) == package["owner_org"]
    assert package["organization"]["title"] == OWNER
    assert [t["name"] for t in package["tags"]] == ["人口", "实有人口"]
    assert package["license_id"] == "政务内部共享" and package["num_resources"] == 1
    (resource,) = package["resources"]
    assert resource["id"] == "people" and resource["package_id"] == "people"
    assert resource["datastore_active"] is True and resource["url_type"] == "datastore"
    assert resource["url"].endswith("/api/3/action/datastore_search?resource_id=people")
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert fields["phone"]["pii"] == "phone" and fields["age"]["type"] == "integer"
    text = json.dumps(package, ensure_ascii=False)
    assert not any(p["phone"] in text or p["name"] in text for p in rows_of("people"))


def test_package_show_speaks_english_when_asked(catalogue: Hub) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    package = call(client, "package_show", {"id": "people"})
    assert package["title"] == "People" and package["groups"][0]["title"] == "Query test"
    error = call(client, "package_show", {"id": "nope"}, status=404)
    assert error["message"] == 'Not found: Dataset "nope" was not found.'


def test_a_private_package_is_404_for_anonymous_and_shown_to_its_hub_users(
    catalogue: Hub, make_user: Any
) -> None:
    error = call(Client(), "package_show", {"id": "health_records"}, status=404)
    assert error["__type"] == "Not Found Error" and "health_records" in error["message"]
    package = call(client_for(catalogue.staff), "package_show", {"id": "health_records"})
    assert package["private"] is True
    # Not in package_list or a default search, even for them; include_private shows it.
    staff = client_for(catalogue.staff)
    assert "health_records" not in call(staff, "package_list")
    assert call(staff, "package_search", {"q": "health_records"})["count"] == 0
    found = call(staff, "package_search", {"q": "health_records", "include_private": True})
    assert [p["name"] for p in found["results"]] == ["health_records"]
    assert call(Client(), "package_search", {"include_private": True})["count"] == 4
    # A resident has no hub catalogue: the public metadata only.
    resident = client_for(make_user(Role.RESIDENT, HOME))
    call(resident, "package_show", {"id": "health_records"}, status=404)


def test_package_show_needs_an_id(catalogue: Hub) -> None:
    error = call(Client(), "package_show", {}, status=409)
    assert error["__type"] == "Validation Error" and list(error) == ["__type", "id"]
    assert call(Client(), "package_show", {"name": "people"})["name"] == "people"
    assert call(Client(), "resource_show", {"id": "people"})["datastore_active"] is True


def test_package_search_with_q_fq_rows_and_start(catalogue: Hub) -> None:
    anon = Client()
    everything = call(anon, "package_search", {"rows": 100})
    assert everything["count"] == 4
    by_org = call(anon, "package_search", {"fq": f"organization:{org_name(OWNER)}"})
    assert sorted(p["name"] for p in by_org["results"]) == ["people", "vehicle_registrations"]
    assert call(anon, "package_search", {"fq": f'organization:"{OWNER}"'})["count"] == 2
    group = call(anon, "package_search", {"fq": "+groups:query-test", "q": "人口"})
    assert group["count"] == 2
    assert call(anon, "package_search", {"fq": "groups:other"})["count"] == 0
    assert call(anon, "package_search", {"fq": "-groups:query-test"})["count"] == 0
    assert call(anon, "package_search", {"q": "tags:实有人口 name:people"})["count"] == 1
    # Paging by name: two pages of two, then an empty one; count stays the total.
    pages = [
        call(anon, "package_search", {"sort": "name desc", "rows": 2, "start": start})
        for start in (0, 2, 4)
    ]
    assert [[p["name"] for p in page["results"]] for page in pages] == [
        ["vehicle_registrations", "people"],
        ["parking_lots", "parking_events"],
        [],
    ]
    assert {page["count"] for page in pages} == {4}
    # GET, with CKAN's text parameters, gives the same.
    assert get(anon, "package_search", fq="groups:query-test", rows="1")["count"] == 4


def test_package_search_facets(catalogue: Hub) -> None:
    result = get(Client(), "package_search", **{"facet.field": '["organization", "groups"]'})
    assert result["facets"]["groups"] == {"query-test": 4}
    assert result["facets"]["organization"] == {org_name(OWNER): 2, org_name("区交警大队"): 1}
    items = result["search_facets"]["organization"]["items"]
    assert items[0] == {"name": org_name(OWNER), "display_name": OWNER, "count": 2}


def test_package_search_refuses_bad_input_naming_it(catalogue: Hub) -> None:
    anon = Client()
    error = call(anon, "package_search", {"rows": -1}, status=409)
    assert error["__type"] == "Validation Error" and "rows" in error
    error = call(anon, "package_search", {"start": "x"}, status=409)
    assert "start" in error
    error = call(anon, "package_search", {"fq": "colour:red"}, status=400)
    assert error["__type"] == "Search Query Error" and "colour" in error["message"]
    error = call(anon, "package_search", {"q": 'title:"unclosed'}, status=400)
    assert error["__type"] == "Search Query Error"
    error = call(anon, "package_search", {"q": "a OR b"}, status=400)
    error = call(anon, "package_search", {"sort": "colour asc"}, status=400)
    assert "colour" in error["message"]
    error = call(anon, "package_search", {"facet.field": ["colour"]}, status=409)
    assert "facet.field" in error


def test_organization_and_group_lists(catalogue: Hub, make_user: Any) -> None:
    orgs = call(Client(), "organization_list")
    assert sorted(orgs) == sorted([org_name(OWNER), org_name("区交警大队")])
    full = call(Client(), "organization_list", {"all_fields": True, "sort": "package_count desc"})
    assert [(o["title"], o["package_count"]) for o in full] == [(OWNER, 2), ("区交警大队", 1)]
    assert full[0]["is_organization"] is True and full[0]["type"] == "organization"
    # The private dataset's department is not listed.
    assert org_name("区卫健局") not in orgs
    assert call(Client(), "organization_list", {"limit": 1, "sort": "package_count asc"}) == [
        org_name("区交警大队")
    ]
    error = call(Client(), "organization_list", {"sort": "colour"}, status=409)
    assert "sort" in error
    groups = call(Client(), "group_list", {"all_fields": True})
    assert [(g["name"], g["package_count"]) for g in groups] == [("query-test", 4)]
    # A department's English name is used for English callers.
    department = Department.objects.create(
        region=catalogue.staff.memberships.first().region,
        code="police",
        name="临江区公安分局",
        name_en="District Public Security Bureau",
        kind="police",
    )
    Dataset.objects.filter(key="people").update(department=department)
    package = call(Client(HTTP_ACCEPT_LANGUAGE="en"), "package_show", {"id": "people"})
    assert package["organization"]["title"] == "District Public Security Bureau"


def test_site_actions_and_unknown_ones(catalogue: Hub) -> None:
    assert call(Client(), "site_read") is True
    status = call(Client(), "status_show")
    assert status["ckan_version"].startswith("2.") and "datastore" in status["extensions"]
    assert "filters" in get(Client(), "help_show", name="datastore_search")
    error = call(Client(), "package_create", {"name": "x"}, status=400)
    assert error["__type"] == "Bad Request" and "package_create" in error["message"]
    response = Client().put(f"{API}/package_list")
    assert envelope(response, 400)["__type"] == "Bad Request"
    response = Client().post(f"{API}/package_list", "[1]", content_type="application/json")
    assert "JSON" in envelope(response, 400)["message"]
    response = Client().post(f"{API}/package_list", "{oops", content_type="application/json")
    assert "JSON" in envelope(response, 400)["message"]
    # /api/action/ (ckanapi's path) is the same API.
    assert Client().get("/api/action/package_list").json()["result"][0] == "parking_events"


def test_a_bad_token_is_refused_not_treated_as_anonymous(catalogue: Hub) -> None:
    for headers in (
        {"HTTP_AUTHORIZATION": "shq_not-a-token"},
        {"HTTP_X_CKAN_API_KEY": "nonsense"},
    ):
        error = call(Client(**headers), "package_list", status=403)
        assert error["__type"] == "Authorization Error"
    token, raw = tokens.issue(catalogue.staff, "old")
    tokens.revoke(catalogue.staff, token.pk)
    call(Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), "package_list", status=403)
    # A valid one as "Bearer …" (shequ's own API style) works too.
    _token, raw = tokens.issue(catalogue.staff, "new")
    assert call(Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), "site_read") is True


# ---------------------------------------------------------------------------------------------
# datastore_search
# ---------------------------------------------------------------------------------------------


def search(client: Client, status: int = 200, **body: Any) -> Any:
    return call(client, "datastore_search", {"resource_id": "people", **body}, status=status)


def test_rows_are_masked_without_a_clear_grant_and_scoped_to_the_region(staff: Client) -> None:
    result = search(staff, sort="person_id", limit=5)
    assert result["total"] == 40 and result["total_was_estimated"] is False
    assert result["resource_id"] == "people" and result["records_format"] == "objects"
    types = {f["id"]: f["type"] for f in result["fields"]}
    assert types == {
        "person_id": "text",
        "name": "text",
        "id_number": "text",
        "phone": "text",
        "address": "text",
        "age": "int",
        "born": "date",
        "seen_at": "timestamp",
        "active": "bool",
        "region_code": "text",
    }
    assert result["fields"][1]["info"]["label"] == "姓名"
    assert result["masked_fields"] == ["name", "id_number", "phone", "address"]
    first = result["records"][0]
    clear = hub_person(0)
    assert first["person_id"] == "P0000" and first["phone"] == pii.mask("phone", clear["phone"])
    assert first["phone"] != clear["phone"] and first["name"] == pii.mask("name", clear["name"])
    assert first["age"] == 20 and first["born"] == clear["born"] and first["active"] is False
    everything = search(staff, limit=1000)
    assert len(everything["records"]) == 40
    assert {r["region_code"] for r in everything["records"]} == {HOME}
    assert not {r["phone"] for r in everything["records"]} & {p["phone"] for p in HOME_PEOPLE}
    assert search(staff, filters={"region_code": ELSEWHERE})["total"] == 0


def test_a_clear_grant_shows_clear_values_and_is_audited(clear: Client) -> None:
    result = search(clear, sort="person_id", limit=3, fields=["person_id", "phone", "id_number"])
    assert [r["phone"] for r in result["records"]] == [p["phone"] for p in HOME_PEOPLE[:3]]
    assert result["records"][0]["id_number"] == pii.mask("id_card", hub_person(0)["id_number"])
    assert result["masked_fields"] == ["id_number"]
    event = AuditEvent.objects.filter(action="hub.query").latest("id")
    assert event.actor.username == "clear" and event.details["clear_pii"] == ["people.phone"]
    assert event.details["datasets"] == {"people": 0}


def test_a_user_without_a_grant_gets_403_and_the_refusal_is_audited(
    catalogue: Hub, make_user: Any
) -> None:
    nobody = make_user(Role.COMMUNITY_STAFF, HOME, username="nogrant")
    error = search(client_for(nobody), status=403)
    assert error["__type"] == "Authorization Error" and "people" in error["message"]
    event = AuditEvent.objects.get(action="hub.query.refused")
    assert event.actor == nobody and event.details["status"] == 403
    # The dataset nobody in the tests holds a grant on, for staff too.
    error = call(
        client_for(catalogue.staff), "datastore_search", {"resource_id": "health_records"}, 403
    )
    assert error["__type"] == "Authorization Error"


def test_anonymous_callers_never_read_rows(catalogue: Hub) -> None:
    error = search(Client(HTTP_ACCEPT_LANGUAGE="en"), status=403)
    assert error["__type"] == "Authorization Error" and "API token" in error["message"]
    error = search(Client(), status=403)  # zh-Hans by default; ckanapi splits at the ": "
    assert error["message"].startswith("拒绝访问: ") and "令牌" in error["message"]
    error = call(Client(), "datastore_search", {"resource_id": "health_records"}, status=404)
    assert error["__type"] == "Not Found Error"
    error = call(Client(), "datastore_search", {"resource_id": "ghosts"}, status=404)
    assert "ghosts" in error["message"]
    error = call(Client(), "datastore_search", {}, status=409)
    assert "resource_id" in error


def test_id_is_an_alias_of_resource_id(staff: Client) -> None:
    result = call(staff, "datastore_search", {"id": "people", "limit": 1})
    assert result["resource_id"] == "people" and result["total"] == 40


def test_another_regions_user_sees_only_their_rows(catalogue: Hub, make_user: Any) -> None:
    north = make_user(Role.COMMUNITY_STAFF, ELSEWHERE, username="north")
    catalogue.grant(north, catalogue["people"])
    result = search(client_for(north), limit=100)
    assert result["total"] == 40 and {r["region_code"] for r in result["records"]} == {ELSEWHERE}
    assert search(client_for(north), filters={"region_code": HOME})["total"] == 0


def test_filters_take_values_lists_and_nulls_of_the_columns_type(staff: Client) -> None:
    ages = {p["age"] for p in HOME_PEOPLE}
    young = sorted(ages)[:2]
    expected = sum(p["age"] in young for p in HOME_PEOPLE)
    assert search(staff, filters={"age": young})["total"] == expected
    assert search(staff, filters={"age": str(young[0])})["total"] == sum(
        p["age"] == young[0] for p in HOME_PEOPLE
    )
    inactive = sum(p["active"] == "false" for p in HOME_PEOPLE)
    assert search(staff, filters={"active": False})["total"] == inactive
    assert search(staff, filters={"active": "false"})["total"] == inactive
    born = HOME_PEOPLE[1]["born"]
    assert search(staff, filters={"born": born})["total"] == sum(
        p["born"] == born for p in HOME_PEOPLE
    )
    seen = HOME_PEOPLE[1]["seen_at"]  # local time (Asia/Shanghai) without an offset
    assert search(staff, filters={"seen_at": seen})["total"] == sum(
        p["seen_at"] == seen for p in HOME_PEOPLE
    )
    assert search(staff, filters={"person_id": None})["total"] == 0
    assert search(staff, filters={"person_id": []})["total"] == 0
    # A masked column compares masked values.
    masked = pii.mask("phone", HOME_PEOPLE[0]["phone"])
    assert search(staff, filters={"phone": masked})["total"] >= 1
    assert search(staff, filters={"phone": HOME_PEOPLE[0]["phone"]})["total"] == 0


def test_bad_filters_are_409_naming_the_field(staff: Client) -> None:
    for filters in (
        {"colour": "red"},
        {"age": "old"},
        {"age": 1.5},
        {"active": "maybe"},
        {"born": "yesterday"},
        {"seen_at": "soon"},
        {"age": {"gt": 3}},
        ["age"],
    ):
        error = search(staff, status=409, filters=filters)
        assert error["__type"] == "Validation Error" and list(error) == ["__type", "filters"]
    error = search(staff, status=409, filters={"colour": "red"})
    assert "colour" in error["filters"][0]
    error = get(staff, "datastore_search", status=409, resource_id="people", filters="{oops")
    assert "filters" in error


def test_q_searches_only_columns_read_in_clear(staff: Client, clear: Client) -> None:
    phone = HOME_PEOPLE[5]["phone"]
    # Masked for staff: the phone is not searched, so its clear value finds nothing.
    assert search(staff, q=phone)["total"] == 0
    assert search(staff, q=phone[:3])["total"] == 0  # not even the visible head of the mask
    error = search(staff, status=409, q={"phone": phone[:3]})
    assert "phone" in error["q"][0]
    # In clear for the granted user.
    found = search(clear, q=phone)
    assert found["total"] == 1 and found["records"][0]["person_id"] == HOME_PEOPLE[5]["person_id"]
    assert search(clear, q={"phone": phone})["total"] == 1
    # Text columns that are not personal are searched for everybody; words must all match.
    assert search(staff, q=HOME_PEOPLE[5]["person_id"].lower())["total"] == 1
    assert search(staff, q=f"{HOME_PEOPLE[5]['person_id']} {HOME}")["total"] == 1
    assert search(staff, q=f"{HOME_PEOPLE[5]['person_id']} nothing")["total"] == 0
    assert search(staff, q={"age": str(HOME_PEOPLE[5]["age"])})["total"] >= 1
    error = search(staff, status=409, q={"colour": "x"})
    assert "colour" in error["q"][0]
    search(staff, status=409, q=["x"])
    # Quotes and LIKE wildcards are literal text.
    assert search(staff, q="P00' OR '1'='1")["total"] == 0
    assert search(staff, q="%")["total"] == 0


def test_sort_limit_offset_and_total(staff: Client) -> None:
    expected = sorted(HOME_PEOPLE, key=lambda p: (-p["age"], p["person_id"]))
    seen: list[str] = []
    offset = 0
    while True:
        page = search(staff, sort="age desc, person_id", limit=15, offset=offset)
        assert page["total"] == 40
        if not page["records"]:
            break
        seen += [r["person_id"] for r in page["records"]]
        offset += 15
    assert seen == [p["person_id"] for p in expected]
    assert page["offset"] == 45 and page["_links"]["next"].endswith("offset=60")
    assert "resource_id=people" in page["_links"]["start"]
    assert search(staff, limit=0)["records"] == [] and search(staff, limit=0)["total"] == 40
    assert "total" not in search(staff, include_total=False, limit=1)
    assert search(staff, limit=100_000)["limit"] == 32_000
    for bad in ({"limit": -1}, {"limit": "many"}, {"offset": -5}, {"limit": True}):
        error = search(staff, status=409, **bad)
        assert list(error) == ["__type", next(iter(bad))]
    for sort in ("colour", "age sideways", "age; DROP TABLE people", '"age'):
        error = search(staff, status=409, sort=sort)
        assert "sort" in error, sort


def test_fields_distinct_and_record_formats(staff: Client) -> None:
    result = search(staff, fields="person_id,age", sort="person_id", limit=2)
    assert list(result["records"][0]) == ["person_id", "age"]
    assert [f["id"] for f in result["fields"]] == ["person_id", "age"]
    distinct = search(staff, fields=["region_code"], distinct=True)
    assert distinct["records"] == [{"region_code": HOME}] and distinct["total"] == 1
    error = search(staff, status=409, fields=["region_code"], distinct=True, sort="age")
    assert "sort" in error
    lists = search(staff, fields=["person_id", "active"], sort="person_id", limit=2,
                   records_format="lists")  # fmt: skip
    assert lists["records"] == [["P0000", False], ["P0003", True]]
    text = search(staff, fields=["person_id", "phone"], sort="person_id", limit=2,
                  records_format="csv")  # fmt: skip
    assert text["records"].splitlines()[0] == f"P0000,{pii.mask('phone', hub_person(0)['phone'])}"
    error = search(staff, status=409, records_format="xml")
    assert "records_format" in error
    error = search(staff, status=409, fields=["colour"])
    assert "fields" in error
    error = search(staff, status=409, colour="red")
    assert list(error) == ["__type", "colour"]


def test_a_grant_of_some_columns_hides_the_others(catalogue: Hub, make_user: Any) -> None:
    narrow = make_user(Role.COMMUNITY_STAFF, HOME, username="narrow")
    catalogue.grant(narrow, catalogue["people"], columns=["person_id", "age", "region_code"])
    client = client_for(narrow)
    result = search(client, limit=1)
    assert [f["id"] for f in result["fields"]] == ["person_id", "age", "region_code"]
    assert set(result["records"][0]) == {"person_id", "age", "region_code"}
    for body in ({"filters": {"phone": "x"}}, {"sort": "name"}, {"q": {"address": "x"}}):
        error = search(client, status=409, **body)
        assert next(iter(body)) in error


def test_get_with_query_parameters_equals_post(staff: Client) -> None:
    filters = {"age": [HOME_PEOPLE[0]["age"], HOME_PEOPLE[1]["age"]]}
    posted = search(staff, filters=filters, sort="person_id", limit=3)
    got = get(
        staff,
        "datastore_search",
        resource_id="people",
        filters=json.dumps(filters),
        sort="person_id",
        limit="3",
    )
    assert got["records"] == posted["records"] and got["total"] == posted["total"]


def test_a_browser_session_reads_with_get_only(catalogue: Hub) -> None:
    client = Client()
    client.force_login(catalogue.staff)
    result = get(client, "datastore_search", resource_id="people", limit="1")
    assert result["total"] == 40
    # A POST carries no token: anonymous, whatever the cookie says.
    search(client, status=403)


def test_a_dataset_without_data_is_404(catalogue: Hub) -> None:
    Dataset.objects.filter(key="people").update(version=None)
    error = search(client_for(catalogue.staff), status=404)
    assert error["__type"] == "Not Found Error" and "people" in error["message"]
    package = call(Client(), "package_show", {"id": "people"})
    assert package["resources"][0]["datastore_active"] is False


# ---------------------------------------------------------------------------------------------
# Acceptance: the real ckanapi client against a running server
# ---------------------------------------------------------------------------------------------


def test_ckanapi_lists_searches_shows_and_pages_against_a_live_server(
    catalogue: Hub, make_user: Any, live_server: Any
) -> None:
    from ckanapi import NotAuthorized, NotFound, RemoteCKAN, ValidationError

    _token, raw = tokens.issue(catalogue.staff, "ckanapi")
    with RemoteCKAN(live_server.url, apikey=raw) as ckan:
        assert "people" in ckan.action.package_list()
        found = ckan.action.package_search(q="人口", fq="groups:query-test", rows=1, start=1)
        assert found["count"] == 2 and len(found["results"]) == 1
        first = ckan.action.package_search(q="人口", fq="groups:query-test", rows=1)
        assert {first["results"][0]["name"], found["results"][0]["name"]} == {
            "people",
            "vehicle_registrations",
        }
        package = ckan.action.package_show(id="people")
        resource_id = package["resources"][0]["id"]
        assert package["resources"][0]["datastore_active"] is True
        seen: list[dict[str, Any]] = []
        while True:
            page = ckan.action.datastore_search(
                resource_id=resource_id, sort="person_id", limit=15, offset=len(seen)
            )
            assert page["total"] == 40
            if not page["records"]:
                break
            seen += page["records"]
        assert [r["person_id"] for r in seen] == [p["person_id"] for p in HOME_PEOPLE]
        assert [r["phone"] for r in seen] == [pii.mask("phone", p["phone"]) for p in HOME_PEOPLE]
        assert {r["region_code"] for r in seen} == {HOME}
        other = ckan.action.datastore_search(
            resource_id="people", filters={"region_code": ELSEWHERE}
        )
        assert other["total"] == 0 and other["records"] == []
        with pytest.raises(NotFound):
            ckan.action.package_show(id="ghosts")
        with pytest.raises(ValidationError) as invalid:
            ckan.action.datastore_search(resource_id="people", limit=-1)
        assert "limit" in invalid.value.error_dict
        with pytest.raises(ValidationError) as invalid:
            ckan.action.datastore_search(resource_id="people", filters={"colour": "red"})
        assert "filters" in invalid.value.error_dict

    user = make_user(Role.COMMUNITY_STAFF, HOME, username="clearsight")
    catalogue.grant(user, catalogue["people"], clear_columns=["phone"])
    _token, raw = tokens.issue(user, "ckanapi")
    with RemoteCKAN(live_server.url, apikey=raw, get_only=True) as ckan:
        page = ckan.action.datastore_search(
            resource_id="people", sort="person_id", limit=2, filters=json.dumps({"active": True})
        )
        active = [p for p in HOME_PEOPLE if p["active"] == "true"]
        assert page["total"] == len(active)
        assert [r["phone"] for r in page["records"]] == [p["phone"] for p in active[:2]]

    nobody = make_user(Role.COMMUNITY_STAFF, HOME, username="outsider")
    _token, raw = tokens.issue(nobody, "ckanapi")
    with RemoteCKAN(live_server.url, apikey=raw) as ckan:
        assert ckan.action.package_show(id="people")["name"] == "people"
        with pytest.raises(NotAuthorized):
            ckan.action.datastore_search(resource_id="people")
    with RemoteCKAN(live_server.url) as ckan, pytest.raises(NotAuthorized):
        ckan.action.datastore_search(resource_id="people")


def test_answers_are_never_cached_and_lists_cost_a_fixed_number_of_queries(
    staff: Client, django_assert_max_num_queries: Any
) -> None:
    response = staff.post(
        f"{API}/datastore_search", {"resource_id": "people"}, content_type="application/json"
    )
    assert response["Cache-Control"] == "no-store" and "Authorization" in response["Vary"]
    anon = Client()
    with django_assert_max_num_queries(2):
        assert call(anon, "package_search", {"rows": 100})["count"] == 4
    with django_assert_max_num_queries(2):
        call(anon, "organization_list", {"all_fields": True})
