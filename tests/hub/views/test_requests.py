"""The request, grant and SQL console pages (/hub/requests/, …/grants/, /hub/query/).

Same cast as services/test_requests.py: a district analyst requests 望湖街道's ``people`` dataset
(real rows, ingested), street staff decide, community staff, another district and a resident
look on.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hub.factories import ingest, make_hub_dataset, rows_of
from shequ.core.models import AuditEvent, Department, InboxMessage, Role
from shequ.hub.models import DataRequest, Dataset, Grant
from shequ.hub.services import requests as svc

pytestmark = [pytest.mark.django_db]

DISTRICT = "990102000000"
STREET = "990102001000"
HOME = "990102001001"
OTHER_STREET = "990103001000"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(regions: dict[str, Any], tmp_path: Any) -> Dataset:
    police = Department.objects.create(
        region=regions[DISTRICT], code="police", name="公安分局", kind="police"
    )
    dataset = make_hub_dataset("people", region=regions[STREET], department=police)
    ingest(dataset, rows_of("people")[:30], tmp_path)
    return dataset


@pytest.fixture
def users(make_user: Any) -> dict[str, Any]:
    return {
        "analyst": make_user(Role.DEPARTMENT_ANALYST, DISTRICT, username="analyst"),
        "street": make_user(Role.STREET_STAFF, STREET, username="street"),
        "community": make_user(Role.COMMUNITY_STAFF, HOME, username="community"),
        "other": make_user(Role.STREET_STAFF, OTHER_STREET, username="other"),
        "resident": make_user(Role.RESIDENT, HOME, username="resident"),
    }


@pytest.fixture
def clients(users: dict[str, Any]) -> dict[str, Client]:
    made = {}
    for name, user in users.items():
        made[name] = Client(HTTP_ACCEPT_LANGUAGE="en")
        made[name].force_login(user)
    return made


def ask(user: Any, dataset: Dataset, **changes: Any) -> DataRequest:
    fields: dict[str, Any] = {
        "columns": ["person_id", "name", "region_code"],
        "clear_columns": ["name"],
        "purpose": "核查",
        "legal_basis": "法规",
        "period_from": timezone.localdate(),
        "period_until": timezone.localdate() + timedelta(days=10),
    }
    fields.update(changes)
    return svc.submit_request(user, dataset, **fields)


def form_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "columns": ["person_id", "name", "region_code"],
        "clear_columns": ["name"],
        "purpose": "核查独居老人",
        "legal_basis": "《老年人权益保障法》",
        "period_from": timezone.localdate().isoformat(),
        "period_until": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "department": "",
    }
    data.update(changes)
    return data


# --- who may open what -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("analyst", 200), ("community", 200), ("street", 200), ("other", 404), ("resident", 403)],
)
def test_the_request_form_and_grants_page_by_role(
    people: Dataset, clients: dict[str, Client], who: str, status: int
) -> None:
    assert clients[who].get("/hub/datasets/people/request/").status_code == status
    assert clients[who].get("/hub/datasets/people/grants/").status_code == status


@pytest.mark.parametrize(("who", "status"), [("analyst", 200), ("resident", 403)])
def test_the_lists_and_console_by_role(clients: dict[str, Client], who: str, status: int) -> None:
    assert clients[who].get("/hub/requests/").status_code == status
    assert clients[who].get("/hub/query/").status_code == status


def test_anonymous_visitors_are_sent_to_log_in(people: Dataset) -> None:
    for url in ("/hub/requests/", "/hub/query/", "/hub/datasets/people/request/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_a_request_page_is_for_the_requester_and_approvers(
    people: Dataset, users: dict[str, Any], clients: dict[str, Client]
) -> None:
    req = ask(users["analyst"], people)
    url = f"/hub/requests/{req.pk}/"
    for who, status in (("analyst", 200), ("street", 200), ("community", 404), ("other", 404)):
        assert clients[who].get(url).status_code == status, who


# --- requesting ------------------------------------------------------------------------------


def test_the_dataset_page_links_to_the_request_form(
    people: Dataset, clients: dict[str, Client]
) -> None:
    html = clients["analyst"].get("/hub/datasets/people/").content.decode()
    assert 'href="/hub/datasets/people/request/"' in html
    assert 'href="/hub/datasets/people/grants/"' in html


def test_requesting_through_the_form(people: Dataset, clients: dict[str, Client]) -> None:
    page = clients["analyst"].get("/hub/datasets/people/request/").content.decode()
    assert 'name="clear_columns" value="name"' in page
    assert 'name="clear_columns" value="person_id"' not in page  # not personal
    response = clients["analyst"].post("/hub/datasets/people/request/", form_data())
    req = DataRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/hub/requests/{req.pk}/"
    assert req.clear_columns == ["name"]
    page = clients["analyst"].get(response["Location"]).content.decode()
    assert "Awaiting approval" in page
    assert "Withdraw the request" in page
    assert "Approve and issue the grant" not in page


def test_the_form_shows_the_services_errors_next_to_the_fields(
    people: Dataset, clients: dict[str, Client]
) -> None:
    response = clients["analyst"].post(
        "/hub/datasets/people/request/",
        form_data(clear_columns=["phone"], period_until="2020-01-01", purpose=""),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="error-purpose"' in html
    response = clients["analyst"].post(
        "/hub/datasets/people/request/", form_data(clear_columns=["phone"])
    )
    assert 'data-testid="error-clear_columns"' in response.content.decode()
    assert not DataRequest.objects.exists()


def test_a_not_shared_dataset_has_no_form(people: Dataset, clients: dict[str, Client]) -> None:
    Dataset.objects.filter(pk=people.pk).update(sharing="not_shared")
    html = clients["analyst"].get("/hub/datasets/people/request/").content.decode()
    assert 'data-testid="not-shared"' in html and 'data-testid="request-form"' not in html
    response = clients["analyst"].post("/hub/datasets/people/request/", form_data())
    assert response.status_code == 200
    assert 'data-testid="not-shared"' in response.content.decode()
    assert not DataRequest.objects.exists()


# --- deciding --------------------------------------------------------------------------------


def test_the_lists_show_due_dates_and_overdue_requests(
    people: Dataset, users: dict[str, Any], clients: dict[str, Client]
) -> None:
    req = ask(users["analyst"], people)
    DataRequest.objects.filter(pk=req.pk).update(due_at=timezone.now() - timedelta(days=1))
    html = clients["street"].get("/hub/requests/").content.decode()
    assert 'data-testid="awaiting"' in html
    assert 'data-testid="request-overdue"' in html
    assert f'href="/hub/requests/{req.pk}/"' in html
    mine = clients["analyst"].get("/hub/requests/").content.decode()
    assert 'data-testid="awaiting"' not in mine
    assert f'href="/hub/requests/{req.pk}/"' in mine
    page = clients["street"].get(f"/hub/requests/{req.pk}/").content.decode()
    assert 'data-testid="overdue-note"' in page


def test_approving_on_the_page(
    people: Dataset, users: dict[str, Any], clients: dict[str, Client]
) -> None:
    req = ask(users["analyst"], people)
    url = f"/hub/requests/{req.pk}/"
    page = clients["street"].get(url).content.decode()
    assert 'data-testid="approve-clear-name"' in page
    response = clients["street"].post(url, {"action": "approve", "clear_columns": ["name"]})
    assert response.status_code == 302
    grant = Grant.objects.get()
    assert grant.clear_columns == ["name"] and grant.issued_by == users["street"]
    page = clients["analyst"].get(url).content.decode()
    assert 'data-testid="request-grant"' in page and "Active" in page
    assert InboxMessage.objects.filter(user=users["analyst"]).exists()


def test_a_refusal_without_a_reason_is_refused(
    people: Dataset, users: dict[str, Any], clients: dict[str, Client]
) -> None:
    req = ask(users["analyst"], people)
    url = f"/hub/requests/{req.pk}/"
    response = clients["street"].post(url, {"action": "refuse", "refuse-reason": ""})
    assert response.status_code == 200
    assert 'data-testid="error-reason"' in response.content.decode()
    response = clients["street"].post(url, {"action": "refuse", "refuse-reason": "用途不明确"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == "refused" and req.reason == "用途不明确"
    assert "用途不明确" in clients["analyst"].get(url).content.decode()


def test_outsiders_cannot_post_decisions(
    people: Dataset, users: dict[str, Any], clients: dict[str, Client]
) -> None:
    req = ask(users["analyst"], people)
    url = f"/hub/requests/{req.pk}/"
    assert clients["analyst"].post(url, {"action": "approve"}).status_code == 403
    assert clients["community"].post(url, {"action": "approve"}).status_code == 404
    assert clients["street"].post(url, {"action": "withdraw"}).status_code == 403
    assert not Grant.objects.exists()
    assert clients["analyst"].post(url, {"action": "withdraw"}).status_code == 302
    req.refresh_from_db()
    assert req.status == "withdrawn"


def test_revoking_on_the_grants_page(
    people: Dataset, users: dict[str, Any], clients: dict[str, Client]
) -> None:
    grant = svc.approve(users["street"], ask(users["analyst"], people))
    page = clients["analyst"].get("/hub/datasets/people/grants/").content.decode()
    assert f'id="grant-{grant.pk}"' in page and 'data-testid="revoke-form"' in page
    assert (
        'data-testid="grant"'
        not in clients["community"].get("/hub/datasets/people/grants/").content.decode()
    )
    url = "/hub/datasets/people/grants/"
    response = clients["street"].post(url, {"grant": grant.pk, "reason": ""})
    assert response.status_code == 200
    assert 'data-testid="error-reason"' in response.content.decode()
    assert clients["community"].post(url, {"grant": grant.pk, "reason": "x"}).status_code == 404
    assert clients["street"].post(url, {"grant": "x1", "reason": "x"}).status_code == 404
    response = clients["street"].post(url, {"grant": grant.pk, "reason": "核查完成"})
    assert response.status_code == 302
    page = clients["analyst"].get(url).content.decode()
    assert 'data-testid="revoked"' in page and "核查完成" in page
    assert 'data-testid="revoke-form"' not in page


# --- the SQL console -------------------------------------------------------------------------


def test_the_console_explains_a_missing_grant(people: Dataset, clients: dict[str, Client]) -> None:
    html = clients["analyst"].post("/hub/query/", {"sql": "SELECT * FROM people"}).content.decode()
    assert 'data-testid="query-error"' in html
    assert "No grant" in html
    assert 'href="/hub/datasets/people/request/"' in html


def test_the_console_shows_a_bad_query_clearly(clients: dict[str, Client]) -> None:
    html = clients["analyst"].post("/hub/query/", {"sql": "DROP TABLE people"}).content.decode()
    assert 'data-testid="query-error"' in html and "The query cannot run" in html


def test_the_console_pages_masked_and_clear_values(
    people: Dataset, users: dict[str, Any], clients: dict[str, Client]
) -> None:
    svc.approve(
        users["street"],
        ask(users["analyst"], people, columns=["person_id", "name", "phone", "region_code"]),
    )
    sql = "SELECT person_id, name, phone FROM people ORDER BY person_id"
    html = clients["analyst"].post("/hub/query/", {"sql": sql}).content.decode()
    assert 'data-testid="query-table"' in html
    assert html.count('data-testid="clear-flag"') == 1  # name, not phone
    assert 'data-testid="clear-note"' in html and "people.name" in html
    assert "****" in html  # phones masked
    assert 'data-testid="query-dataset"' in html
    assert 'data-testid="export-csv"' in html


def test_the_console_pages_through_the_rows(
    people: Dataset, users: dict[str, Any], clients: dict[str, Client], monkeypatch: Any
) -> None:
    svc.approve(users["street"], ask(users["analyst"], people, clear_columns=[]))
    monkeypatch.setattr("shequ.hub.views.query.PAGE_SIZE", 5)
    sql = "SELECT person_id FROM people ORDER BY person_id"
    first = clients["analyst"].post("/hub/query/", {"sql": sql}).content.decode()
    assert 'data-testid="query-next"' in first and 'data-testid="query-previous"' not in first
    second = clients["analyst"].post("/hub/query/", {"sql": sql, "page": 2}).content.decode()
    ids = [r["person_id"] for r in rows_of("people")[:30] if r["region_code"] < "990103"]
    assert ids[5] in second and ids[4] not in second and ids[10] not in second
    assert 'data-testid="query-previous"' in second


def test_the_console_exports_what_the_query_returns(
    people: Dataset, users: dict[str, Any], clients: dict[str, Client]
) -> None:
    svc.approve(users["street"], ask(users["analyst"], people))
    sql = "SELECT person_id, name FROM people ORDER BY person_id"
    response = clients["analyst"].post("/hub/query/export/", {"sql": sql, "format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert text.splitlines()[0] == "person_id,name"
    assert len(text.splitlines()) == 21  # 20 rows of the district (of 30), and the header
    refused = clients["community"].post("/hub/query/export/", {"sql": sql, "format": "csv"})
    assert refused.status_code == 302


def test_a_link_fills_the_console_in_but_never_runs_it(
    people: Dataset, users: dict[str, Any], clients: dict[str, Client]
) -> None:
    svc.approve(users["street"], ask(users["analyst"], people))
    sql = "SELECT person_id FROM people"
    html = clients["analyst"].get("/hub/query/", {"sql": sql}).content.decode()
    assert sql in html  # filled in
    assert 'data-testid="query-table"' not in html
    assert not AuditEvent.objects.filter(action__startswith="hub.query").exists()
    export = clients["analyst"].get("/hub/query/export/", {"sql": sql, "format": "csv"})
    assert export.status_code == 405
    assert not AuditEvent.objects.filter(action__startswith="hub.query").exists()


def test_running_and_exporting_need_the_csrf_token(people: Dataset, users: dict[str, Any]) -> None:
    svc.approve(users["street"], ask(users["analyst"], people))
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    strict.force_login(users["analyst"])
    sql = "SELECT person_id FROM people"
    assert strict.post("/hub/query/", {"sql": sql}).status_code == 403
    assert strict.post("/hub/query/export/", {"sql": sql, "format": "csv"}).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="hub.query").exists()
    page = strict.get("/hub/query/")
    token = page.cookies["csrftoken"].value
    ran = strict.post("/hub/query/", {"sql": sql, "csrfmiddlewaretoken": token})
    assert ran.status_code == 200 and 'data-testid="query-table"' in ran.content.decode()
