"""Members registered by staff, donations, seed hours and reversals through the API."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from shequ.core.models import AuditEvent, Region
from shequ.timebank.models import Member, Transfer
from shequ.timebank.services import ledger
from timebank.factories import add_person, seed


def send(client: Client, path: str, data: Any) -> Any:
    return client.post(f"/api/v1/timebank{path}", json.dumps(data), content_type="application/json")


def test_staff_register_a_member_with_a_carer(
    client_for: Any, tb_staff: Any, far_staff: Any, daughter: Any, home: Region
) -> None:
    person = add_person(home, "李桂兰")
    body = {"person_id": person.pk, "carers": ["daughter"], "volunteer": False}
    assert send(client_for(far_staff), "/members", body).status_code == 404
    answer = send(client_for(tb_staff), "/members", body)
    assert answer.status_code == 201, answer.json()
    member = Member.objects.get(pk=answer.json()["id"])
    assert answer.json()["name"] == "李**" and list(member.carers.all()) == [daughter]
    again = send(client_for(tb_staff), "/members", body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_member"
    bad = send(client_for(tb_staff), "/members", {"person_id": person.pk, "skills": ["flying"]})
    assert bad.status_code in (409, 422)
    nobody = send(client_for(tb_staff), "/members", body | {"username": "ghost"})
    assert nobody.status_code == 404 and "username" in nobody.json()["error"]["fields"]
    listed = client_for(tb_staff).get("/api/v1/timebank/members").json()
    assert [m["id"] for m in listed] == [member.pk]
    assert client_for(far_staff).get("/api/v1/timebank/members").json() == []


def test_a_member_donates_to_the_pool_once_per_key_and_never_past_the_limit(
    client_for: Any, volunteer: Any, home: Region
) -> None:
    seed(home, 90, volunteer.account)
    him = client_for(volunteer.user)
    first = send(him, "/donations", {"minutes": 60, "key": "d1"})
    assert first.status_code == 201
    assert send(him, "/donations", {"minutes": 60, "key": "d1"}).json()["id"] == first.json()["id"]
    refused = send(him, "/donations", {"minutes": 60})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "insufficient_hours"
    assert ledger.pool_of(home).balance == 60
    assert AuditEvent.objects.filter(action="timebank.donate").count() == 1


def test_staff_seed_and_reverse_with_a_reason(
    client_for: Any, tb_staff: Any, far_staff: Any, volunteer: Any, home: Region
) -> None:
    staff = client_for(tb_staff)
    seeded = send(staff, "/seed", {"region": home.code, "minutes": 600, "key": "s1"})
    assert seeded.status_code == 201
    assert (
        send(client_for(volunteer.user), "/seed", {"region": home.code, "minutes": 1}).status_code
        == 403
    )
    t = seeded.json()["id"]
    assert (
        send(client_for(far_staff), f"/transfers/{t}/reverse", {"reason": "x"}).status_code == 404
    )
    no_reason = send(staff, f"/transfers/{t}/reverse", {"reason": ""})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["fields"]
    back = send(staff, f"/transfers/{t}/reverse", {"reason": "录错了"})
    assert back.status_code == 201 and back.json()["reverses"] == t
    assert send(staff, f"/transfers/{t}/reverse", {"reason": "again"}).status_code == 409
    assert Transfer.objects.count() == 2 and ledger.check().ok


def test_the_longest_keys_are_kept_apart_and_retry_safely(
    client_for: Any, tb_staff: Any, volunteer: Any, home: Region
) -> None:
    # The service scopes a key ("seed:", "donate:<user>:"), which once made a 100-character key
    # too long for the column: a 500 on PostgreSQL, a silently longer value on SQLite.
    staff = client_for(tb_staff)
    long_a, long_b = "a" * 100, "a" * 99 + "b"
    first = send(staff, "/seed", {"region": home.code, "minutes": 60, "key": long_a})
    assert first.status_code == 201, first.text
    again = send(staff, "/seed", {"region": home.code, "minutes": 60, "key": long_a})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    other = send(staff, "/seed", {"region": home.code, "minutes": 60, "key": long_b})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    seed(home, 90, volunteer.account)
    him = client_for(volunteer.user)
    gave = send(him, "/donations", {"minutes": 30, "key": long_a})
    assert gave.status_code == 201, gave.text
    assert send(him, "/donations", {"minutes": 30, "key": long_a}).json()["id"] == gave.json()["id"]
    assert ledger.pool_of(home).balance == 60 + 60 + 30
