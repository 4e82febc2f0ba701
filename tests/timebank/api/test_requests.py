"""The API journey and its unhappy paths: typed answers, errors naming the field, retries."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shequ.core.models import Region
from shequ.timebank.models import HelpRequest, Member, Transfer
from timebank.factories import seed


def body(**fields: Any) -> dict[str, Any]:
    start = timezone.now() + timedelta(hours=1)
    values = {
        "category": "meals",
        "description": "父亲独居，想请人晚上送一份热饭。",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "estimated_minutes": 60,
        "address": "锦绣花园3幢2单元501室",
    }
    return values | fields


def send(client: Client, path: str, data: Any = None) -> Any:
    return client.post(
        f"/api/v1/timebank{path}", json.dumps(data or {}), content_type="application/json"
    )


def test_the_journey_through_the_api(
    client_for: Any, daughter: Any, father: Member, volunteer: Any, home: Region
) -> None:
    seed(home, 600)
    her, him = client_for(daughter), client_for(volunteer.user)
    posted = send(her, "/requests", body(beneficiary_id=father.pk, key="k-1"))
    assert posted.status_code == 201, posted.json()
    req = posted.json()
    assert req["status"] == "open" and req["address"].endswith("****")
    assert req["beneficiary"] == "张**"
    assert (
        send(her, "/requests", body(beneficiary_id=father.pk, key="k-1")).json()["id"] == req["id"]
    )
    hall = him.get("/api/v1/timebank/requests?status=open").json()
    assert [r["id"] for r in hall] == [req["id"]]
    taken = send(him, f"/requests/{req['id']}/take")
    assert taken.status_code == 201
    order = taken.json()
    address = him.get(f"/api/v1/timebank/requests/{req['id']}/address")
    assert address.json() == {"address": "锦绣花园3幢2单元501室"}
    HelpRequest.objects.filter(pk=req["id"]).update(starts_at=timezone.now() - timedelta(minutes=5))
    assert send(him, f"/orders/{order['id']}/check-in").json()["status"] == "in_service"
    out = send(him, f"/orders/{order['id']}/check-out", {"minutes": 50})
    assert out.json()["reported_minutes"] == 50
    confirmed = send(her, f"/orders/{order['id']}/confirm")
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["paid_minutes"] == 50
    again = send(her, f"/orders/{order['id']}/confirm")
    assert again.status_code == 200 and Transfer.objects.filter(kind="subsidy").count() == 1
    rated = send(her, f"/orders/{order['id']}/rating", {"score": 5, "text": "谢谢"})
    assert rated.status_code == 201
    detail = her.get(f"/api/v1/timebank/requests/{req['id']}").json()
    assert detail["status"] == "confirmed"
    assert [e["action"] for e in detail["events"]][:2] == ["post", "take"]
    mine = him.get("/api/v1/timebank/me").json()
    assert mine[0]["balance_minutes"] == 50


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "cooking"}, "category"),
        ({"estimated_minutes": 5}, "estimated_minutes"),
        ({"estimated_minutes": "lots"}, "estimated_minutes"),
        ({"volunteers_needed": 99}, "volunteers_needed"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"description": ""}, "description"),
        ({"address": "x" * 201}, "address"),
    ],
)
def test_a_malformed_request_is_a_422_naming_the_field_and_nothing_is_written(
    client_for: Any, daughter: Any, father: Member, change: dict[str, Any], field: str
) -> None:
    answer = send(client_for(daughter), "/requests", body(beneficiary_id=father.pk, **change))
    assert answer.status_code == 422, answer.json()
    assert field in answer.json()["error"]["fields"]
    assert not HelpRequest.objects.exists()


def test_the_window_must_end_after_it_starts(
    client_for: Any, daughter: Any, father: Member
) -> None:
    start = timezone.now() + timedelta(hours=3)
    bad = body(beneficiary_id=father.pk, starts_at=start.isoformat(), ends_at=start.isoformat())
    answer = send(client_for(daughter), "/requests", bad)
    assert answer.status_code == 422 and "ends_at" in answer.json()["error"]["fields"]


def test_errors_have_the_one_shape(
    client_for: Any, daughter: Any, father: Member, volunteer: Any
) -> None:
    her = client_for(daughter)
    assert her.get("/api/v1/timebank/requests/999").json()["error"]["code"] == "no_request"
    req = send(her, "/requests", body(beneficiary_id=father.pk)).json()
    own = send(her, f"/requests/{req['id']}/take")
    assert own.status_code == 403 and own.json()["error"]["code"] == "no_member"
    rating = send(her, "/orders/1/rating", {"score": 9})
    assert rating.status_code == 422 and "score" in rating.json()["error"]["fields"]
    assert Client().get("/api/v1/timebank/requests").status_code == 401


def test_posting_for_someone_you_do_not_care_for_is_not_found(
    client_for: Any, volunteer: Any, father: Member
) -> None:
    answer = send(client_for(volunteer.user), "/requests", body(beneficiary_id=father.pk))
    assert answer.status_code == 404
    assert "beneficiary_id" in answer.json()["error"]["fields"]


def test_indicators_are_for_staff(client_for: Any, tb_staff: Any, daughter: Any) -> None:
    ok = client_for(tb_staff).get("/api/v1/timebank/indicators?region=990102001001")
    assert ok.status_code == 200 and ok.json()["registered_volunteers"] == 0
    assert (
        client_for(daughter).get("/api/v1/timebank/indicators?region=990102001001").status_code
        == 403
    )
    bad = client_for(tb_staff).get("/api/v1/timebank/indicators?region=abc")
    assert bad.status_code == 422 and "region" in bad.json()["error"]["fields"]
