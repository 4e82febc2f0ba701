"""Outputs other than query results: samples need a grant, the audit log and run errors never
hold a clear personal value, the request form marks a birth date personal (issue 14, Leaks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from hub.factories import HOME, Hub, hub_person, rows_of, vehicle
from shequ.core import pii
from shequ.core.models import AuditEvent, Role
from shequ.core.services import tokens
from shequ.hub.models import Dataset, IngestRun
from shequ.hub.query import QueryError, run_query_system
from shequ.hub.services.runs import ingest_file
from shequ.hub.tableschema import TableSchema

pytestmark = pytest.mark.django_db


def api(user: Any) -> Client:
    _token, raw = tokens.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def web(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def clear_values() -> set[str]:
    found = set()
    for r in rows_of("people"):
        found |= {r["name"], r["id_number"], r["phone"], r["address"], r["id_number"][6:14]}
    for r in rows_of("vehicle_registrations"):
        found |= {r["plate"], r["owner_phone"], r["owner_id"]}
    return found


def assert_clean(text: str) -> None:
    for value in clear_values():
        assert value not in text, f"{value!r} in {text[:300]!r}"


# ---------------------------------------------------------------------------------------------
# A sample is a query
# ---------------------------------------------------------------------------------------------


def test_the_sample_api_needs_a_grant_even_for_a_not_shared_dataset(
    hub: Hub, make_user: Any
) -> None:
    Dataset.objects.filter(key="health_records").update(sharing="not_shared")
    refused = api(hub.staff).get("/api/v1/hub/datasets/health_records/sample")
    assert refused.status_code == 403, refused.content
    assert refused.json()["error"]["code"] == "forbidden"
    assert "health_records" in refused.json()["error"]["message"]
    outsider = make_user(Role.COMMUNITY_STAFF, HOME, username="nogrant")
    for key in ("people", "vehicle_registrations"):
        response = api(outsider).get(f"/api/v1/hub/datasets/{key}/sample?limit=100")
        assert response.status_code == 403, response.content
        assert_clean(response.content.decode())


def test_the_sample_api_shows_the_grants_columns_and_rows_masked(hub: Hub, make_user: Any) -> None:
    user = make_user(Role.COMMUNITY_STAFF, HOME, username="narrow")
    hub.grant(user, hub["people"], columns=["person_id", "id_number", "region_code"])
    body = api(user).get("/api/v1/hub/datasets/people/sample?limit=100").json()
    assert body["columns"] == ["person_id", "id_number", "region_code"]
    assert len(body["rows"]) == 40 and {r["region_code"] for r in body["rows"]} == {HOME}
    assert {r["id_number"] for r in body["rows"]} == {
        pii.mask_id_number(p["id_number"]) for p in rows_of("people") if p["region_code"] == HOME
    }
    assert_clean(json.dumps(body, ensure_ascii=False))


def test_the_dataset_page_shows_no_rows_without_a_grant(hub: Hub, make_user: Any) -> None:
    outsider = make_user(Role.COMMUNITY_STAFF, HOME, username="pageless")
    page = web(outsider).get("/hub/datasets/people/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="sample-no-grant"' in html and 'data-testid="sample-table"' not in html
    assert pii.mask_id_number(hub_person(0)["id_number"]) not in html
    granted = web(hub.staff).get("/hub/datasets/people/").content.decode()
    assert 'data-testid="sample-table"' in granted
    assert pii.mask_phone(hub_person(0)["phone"]) in granted
    assert_clean(granted)


# ---------------------------------------------------------------------------------------------
# Literal values never reach the audit log
# ---------------------------------------------------------------------------------------------


def _last_query_audit() -> dict[str, Any]:
    event = AuditEvent.objects.filter(action__startswith="hub.query").order_by("-pk").first()
    assert event is not None
    return dict(event.details)


def test_a_system_query_is_audited_with_its_literals_masked(hub: Hub) -> None:
    someone, car = hub_person(3), vehicle(4)
    sql = (
        f"SELECT count(*) FROM people WHERE phone = '{someone['phone']}' "
        f"OR id_number = '{someone['id_number']}' OR name = '{someone['name']}' "
        f"-- {someone['address']}\n"
    )
    assert run_query_system(sql, clear=True, purpose=f"check {someone['phone']}").rows == 1
    details = _last_query_audit()
    text = json.dumps(details, ensure_ascii=False)
    assert_clean(text)
    assert pii.mask_phone(someone["phone"]) in details["sql"]
    assert pii.mask_id_number(someone["id_number"]) in details["sql"]
    assert pii.mask_name(someone["name"]) in details["sql"]
    plates = ", ".join(f"'{vehicle(i)['plate']}'" for i in range(3))
    run_query_system(
        f"SELECT plate FROM vehicle_registrations WHERE plate IN ({plates}) "
        f"AND owner_phone = '{car['owner_phone']}'",
        clear=True,
    )
    details = _last_query_audit()
    assert_clean(json.dumps(details, ensure_ascii=False))
    assert pii.mask_plate(vehicle(0)["plate"]) in details["sql"]


def test_a_refused_query_is_audited_with_its_literals_and_error_masked(hub: Hub) -> None:
    someone = hub_person(6)
    with pytest.raises(QueryError) as caught:
        run_query_system(f"SELECT CAST('{someone['name']}{someone['phone']}' AS INT) FROM people")
    assert caught.value.status == 400
    assert_clean(json.dumps(_last_query_audit(), ensure_ascii=False))
    with pytest.raises(QueryError):
        run_query_system(f"SELECT * FROM nowhere WHERE x = '{someone['id_number']}'")
    assert_clean(json.dumps(_last_query_audit(), ensure_ascii=False))


def test_the_parking_data_check_leaves_no_clear_phone_or_plate_in_the_audit(hub: Hub) -> None:
    from shequ.parking.services import verification

    someone, car = hub_person(0), vehicle(0)
    verification.check(
        region_code=HOME,
        phone=someone["phone"],
        id_number=someone["id_number"],
        plates=[car["plate"]],
        purpose="parking application 1: residence and plate ownership",
    )
    events = AuditEvent.objects.filter(action__startswith="hub.query")
    assert events.count() >= 2
    for event in events:
        assert_clean(json.dumps(event.details, ensure_ascii=False))
    staff_view = api(hub.staff).get("/api/v1/audit?action=hub.query")
    if staff_view.status_code == 200:
        assert_clean(staff_view.content.decode())


# ---------------------------------------------------------------------------------------------
# Run errors are masked as quarantine files are
# ---------------------------------------------------------------------------------------------


def test_a_failed_runs_error_holds_no_clear_value(hub: Hub, tmp_path: Path) -> None:
    someone = hub_person(9)
    header = "person_id,name,id_number,phone,address,age,born,seen_at,active,region_code"
    good = hub_person(10)
    lines = [
        header,
        ",".join(str(good[c]) for c in header.split(",")),
        # One field too many: the reader quotes the whole line in its error.
        f"P9999,{someone['name']},{someone['id_number']},{someone['phone']},"
        f"{someone['address']},30,1990-05-17,2026-10-01 08:00:00,true,{HOME},extra",
    ]
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = ingest_file(hub["people"], path, mode="append")
    assert run.status == IngestRun.Status.FAILED
    assert run.error, "the run explains its failure"
    assert_clean(run.error)
    assert "1990-05-17" not in run.error
    listing = api(hub.staff).get("/api/v1/hub/runs")
    assert listing.status_code == 200
    assert_clean(listing.content.decode())
    page = web(hub.staff).get(f"/hub/runs/{run.pk}/")
    assert page.status_code == 200
    assert_clean(page.content.decode())


# ---------------------------------------------------------------------------------------------
# The request form: a birth date is personal, never pre-ticked, clear only with the ID number
# ---------------------------------------------------------------------------------------------


def test_the_request_form_marks_a_birth_date_personal_and_does_not_pre_tick_it(
    hub: Hub, settings: Any
) -> None:
    from shequ.hub.services.catalog import read_catalog

    schema = next(
        item["schema"]
        for cat in read_catalog()
        for item in cat["datasets"]
        if item["key"] == "household_registry"
    )
    dataset = Dataset.objects.create(
        key="household_registry",
        title="户籍人口信息",
        category=hub["people"].category,
        schema=TableSchema.from_dict(schema).to_dict(),
    )
    html = web(hub.staff).get(f"/hub/datasets/{dataset.key}/request/").content.decode()
    box = html.split('data-testid="column-birth_date"')[0].rsplit("<input", 1)[1]
    assert "checked" not in box
    assert 'data-testid="clear-birth_date"' in html
    row = html.split('data-testid="column-birth_date"')[1].split("</li>")[0]
    assert "hub-pii" in row
