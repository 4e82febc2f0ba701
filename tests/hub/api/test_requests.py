"""The request and grant endpoints (/api/v1/hub/requests, …/grants) from every side.

A district analyst requests 望湖街道's ``people`` dataset; street staff and a member of the
owning department decide; community staff, staff of another district and a resident may not.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shequ.core.services import tokens
from shequ.hub.models import DataRequest, Dataset, Grant

pytestmark = [pytest.mark.django_db]

BASE = "/api/v1/hub"
DISTRICT = "990102000000"
STREET = "990102001000"
HOME = "990102001001"
OTHER_STREET = "990103001000"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clients(users: dict[str, Any]) -> dict[str, Client]:
    made = {}
    for name, user in users.items():
        _token, raw = tokens.issue(user, "test")
        made[name] = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")
    return made


def post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(BASE + path, json.dumps(body or {}), content_type="application/json")


def body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "dataset": "people",
        "columns": ["person_id", "name", "region_code"],
        "clear_columns": ["name"],
        "purpose": "核查独居老人",
        "legal_basis": "《老年人权益保障法》",
        "period_from": timezone.localdate().isoformat(),
        "period_until": (timezone.localdate() + timedelta(days=30)).isoformat(),
    }
    data.update(changes)
    return data


@pytest.fixture
def pending(dataset: Dataset, clients: dict[str, Client]) -> dict[str, Any]:
    response = post(clients["analyst"], "/requests", body())
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_a_request_is_created_pending_with_its_deadline(pending: dict[str, Any]) -> None:
    assert pending["status"] == "pending"
    assert pending["requester"] == "analyst"
    assert pending["columns"] == ["person_id", "name", "region_code"]
    assert pending["clear_columns"] == ["name"]
    assert pending["due_at"] is not None
    assert pending["overdue"] is False
    assert pending["grant_id"] is None
    assert pending["can_withdraw"] is True and pending["can_decide"] is False


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"columns": ["salary"]}, "columns"),
        ({"clear_columns": ["person_id"]}, "clear_columns"),
        ({"purpose": ""}, "purpose"),
        ({"period_until": "2020-01-01", "period_from": "2019-01-01"}, "period_until"),
        ({"period_until": "not a date"}, "period_until"),
    ],
)
def test_bad_requests_get_422_naming_the_field(
    dataset: Dataset, clients: dict[str, Client], changes: dict[str, Any], field: str
) -> None:
    response = post(clients["analyst"], "/requests", body(**changes))
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]


def test_a_not_shared_dataset_cannot_be_requested(
    dataset: Dataset, clients: dict[str, Client]
) -> None:
    Dataset.objects.filter(pk=dataset.pk).update(sharing="not_shared")
    response = post(clients["analyst"], "/requests", body())
    assert response.status_code == 422
    assert "dataset" in response.json()["error"]["fields"]


@pytest.mark.parametrize(("who", "status"), [("resident", 403), ("other", 404)])
def test_outsiders_cannot_request(
    dataset: Dataset, clients: dict[str, Client], who: str, status: int
) -> None:
    response = post(clients[who], "/requests", body())
    assert response.status_code == status
    assert not DataRequest.objects.exists()


def test_lists_mine_and_awaiting(pending: dict[str, Any], clients: dict[str, Client]) -> None:
    mine = clients["analyst"].get(f"{BASE}/requests?mine=1").json()["items"]
    assert [r["id"] for r in mine] == [pending["id"]]
    assert clients["analyst"].get(f"{BASE}/requests?awaiting=1").json()["items"] == []
    for who in ("street", "officer"):
        awaiting = clients[who].get(f"{BASE}/requests?awaiting=1").json()["items"]
        assert [r["id"] for r in awaiting] == [pending["id"]], who
        assert awaiting[0]["can_decide"] is True
    for who in ("community", "other"):
        assert clients[who].get(f"{BASE}/requests?awaiting=1").json()["items"] == []
        assert clients[who].get(f"{BASE}/requests").json()["count"] == 0
    assert clients["resident"].get(f"{BASE}/requests").status_code == 403


def test_a_request_is_visible_to_its_requester_and_approvers_only(
    pending: dict[str, Any], clients: dict[str, Client]
) -> None:
    path = f"{BASE}/requests/{pending['id']}"
    for who in ("analyst", "street", "officer"):
        assert clients[who].get(path).status_code == 200, who
    for who, status in (("community", 404), ("other", 404), ("resident", 403)):
        response = clients[who].get(path)
        assert response.status_code == status, who
        assert response.json()["error"]["code"] in ("not_found", "forbidden")


@pytest.mark.parametrize(
    ("who", "status"),
    [("street", 200), ("officer", 200), ("analyst", 403), ("community", 404), ("other", 404)],
)
def test_who_may_approve(
    pending: dict[str, Any], clients: dict[str, Client], who: str, status: int
) -> None:
    response = post(clients[who], f"/requests/{pending['id']}/approve")
    assert response.status_code == status, response.content
    if status == 200:
        out = response.json()
        assert out["status"] == "approved"
        assert out["decided_by"] == who
        assert out["grant_id"] == Grant.objects.get().pk
    else:
        assert not Grant.objects.exists()


def test_approve_narrows_and_errors_are_shaped(
    pending: dict[str, Any], clients: dict[str, Client]
) -> None:
    path = f"/requests/{pending['id']}/approve"
    response = post(clients["street"], path, {"clear_columns": ["phone"]})
    assert response.status_code == 422
    assert "clear_columns" in response.json()["error"]["fields"]
    last = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = post(clients["street"], path, {"clear_columns": [], "valid_until": last})
    assert response.status_code == 200
    grant = Grant.objects.get()
    assert grant.clear_columns == []
    assert timezone.localtime(grant.valid_until).date().isoformat() == last
    again = post(clients["officer"], path)
    assert again.status_code == 422
    assert "no longer pending" in again.json()["error"]["message"]


def test_refuse_needs_a_reason(pending: dict[str, Any], clients: dict[str, Client]) -> None:
    path = f"/requests/{pending['id']}/refuse"
    response = post(clients["street"], path, {"reason": " "})
    assert response.status_code == 422
    assert "reason" in response.json()["error"]["fields"]
    assert post(clients["street"], path, {}).status_code == 422
    response = post(clients["street"], path, {"reason": "用途不明确"})
    assert response.status_code == 200
    assert response.json()["status"] == "refused"
    assert response.json()["reason"] == "用途不明确"


def test_withdraw_is_the_requesters(pending: dict[str, Any], clients: dict[str, Client]) -> None:
    path = f"/requests/{pending['id']}/withdraw"
    assert post(clients["street"], path).status_code == 403
    response = post(clients["analyst"], path)
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert post(clients["analyst"], path).status_code == 422


def test_grants_list_and_revoke(pending: dict[str, Any], clients: dict[str, Client]) -> None:
    post(clients["street"], f"/requests/{pending['id']}/approve")
    grant = Grant.objects.get()
    for who in ("street", "officer", "analyst"):
        listed = clients[who].get(f"{BASE}/datasets/people/grants").json()["items"]
        assert [g["id"] for g in listed] == [grant.pk], who
        assert listed[0]["state"] == "active"
        assert listed[0]["clear_columns"] == ["name"]
    assert clients["community"].get(f"{BASE}/datasets/people/grants").json()["count"] == 0
    assert clients["other"].get(f"{BASE}/datasets/people/grants").status_code == 404

    path = f"/grants/{grant.pk}/revoke"
    assert post(clients["community"], path, {"reason": "x"}).status_code == 404
    assert post(clients["officer"], path, {"reason": ""}).status_code == 422
    response = post(clients["officer"], path, {"reason": "核查完成"})
    assert response.status_code == 201, response.content
    revocation = response.json()
    assert revocation["kind"] == "revoke"
    assert revocation["revokes"] == grant.pk
    assert revocation["reason"] == "核查完成"
    twice = post(clients["analyst"], path, {"reason": "再撤"})
    assert twice.status_code == 422
    assert "already revoked" in twice.json()["error"]["message"]
    listed = clients["analyst"].get(f"{BASE}/datasets/people/grants").json()["items"]
    assert listed[0]["state"] == "revoked"
    assert listed[0]["revoked_by"] == revocation["id"]


def test_the_list_needs_a_bounded_number_of_queries(
    dataset: Dataset, users: dict[str, Any], clients: dict[str, Client]
) -> None:
    from shequ.hub.services import requests as svc

    def counted() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert clients["street"].get(f"{BASE}/requests?awaiting=1").status_code == 200
        return len(ctx.captured_queries)

    svc.submit_request(
        users["analyst"],
        dataset,
        columns=["name"],
        purpose="p",
        legal_basis="b",
        period_from=timezone.localdate(),
        period_until=timezone.localdate() + timedelta(days=1),
    )
    one = counted()
    svc.submit_request(
        users["community"],
        dataset,
        columns=["name"],
        purpose="p",
        legal_basis="b",
        period_from=timezone.localdate(),
        period_until=timezone.localdate() + timedelta(days=1),
    )
    # Each request costs a few look-ups (its grant, the caller's right to decide), not more.
    assert counted() - one <= 4
