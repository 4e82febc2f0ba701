"""The time bank against the real processes (issue 18), with the demo's own people, over HTTP.

The demo's `resident` is the daughter of an elder living alone (she is his family carer in
锦绣社区's time bank); the demo's `volunteer` is a neighbour. She posts a request for her
father; he takes it (a retried tap gives the same order, and the request leaves the hall),
sees the exact address, checks in and out; she confirms and rates; the hours move from her
father (or the community pool when his account may not go lower) to the volunteer, and
`shequ timebank check` finds the ledger whole afterwards.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from system_support import SHEQU, Platform, api_headers, assert_clean

SHANGHAI = timezone(timedelta(hours=8))
ADDRESS = "锦绣花园3幢2单元501室"
MINUTES = 45


def post(client: httpx.Client, url: str, body: dict[str, Any] | None = None) -> httpx.Response:
    answer = client.post(url, json=body or {}, headers=api_headers(client))
    assert_clean(answer, url)
    return answer


def father_of(daughter: httpx.Client) -> tuple[int, str]:
    """The member she may post for, as the ask page offers him: (member id, name shown)."""
    page = daughter.get("/timebank/ask/")
    assert_clean(page)
    assert page.status_code == 200, page.text[:500]
    select = re.search(r'<select name="beneficiary"[^>]*>(.*?)</select>', page.text, re.S)
    assert select, "the ask page has no choice of who needs help"
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', select.group(1))
    assert len(options) == 1, f"the demo daughter may post for {options}, not only her father"
    return int(options[0][0]), options[0][1]


def balance(members: list[dict[str, Any]], member_id: int) -> dict[str, Any]:
    return next(m for m in members if m["id"] == member_id)


def staff_members(staff: httpx.Client) -> list[dict[str, Any]]:
    answer = staff.get("/api/v1/timebank/members")
    assert answer.status_code == 200, answer.text[:500]
    return list(answer.json())


def volunteer_account(volunteer: httpx.Client) -> dict[str, Any]:
    answer = volunteer.get("/api/v1/timebank/me")
    assert answer.status_code == 200, answer.text[:500]
    mine = [m for m in answer.json() if m["is_volunteer"]]
    assert len(mine) == 1, answer.json()
    return dict(mine[0])


def test_the_daughter_posts_for_her_father_a_neighbour_serves_and_the_hours_move(
    platform: Platform, clients: dict[str, httpx.Client]
) -> None:
    daughter, volunteer, staff = clients["resident"], clients["volunteer"], clients["community"]
    father_id, _shown = father_of(daughter)
    father_before = balance(staff_members(staff), father_id)
    volunteer_before = volunteer_account(volunteer)

    # She posts for her father: a hot meal this evening.
    now = datetime.now(SHANGHAI).replace(microsecond=0)
    key = uuid.uuid4().hex
    body = {
        "beneficiary_id": father_id,
        "category": "meals",
        "description": "父亲独居，今晚想请人送一份热饭。",
        "starts_at": (now + timedelta(minutes=30)).isoformat(),
        "ends_at": (now + timedelta(hours=3)).isoformat(),
        "estimated_minutes": 60,
        "estate": "锦绣花园",
        "building": "3幢",
        "address": ADDRESS,
        "key": key,
    }
    posted = post(daughter, "/api/v1/timebank/requests", body)
    assert posted.status_code == 201, posted.text[:500]
    request = posted.json()
    assert request["status"] == "open", request
    assert ADDRESS not in posted.text  # the exact address only for the volunteer who takes it
    retried = post(daughter, "/api/v1/timebank/requests", body)
    assert retried.status_code in (200, 201) and retried.json()["id"] == request["id"], retried.text
    rid = request["id"]

    # The volunteer sees it in the order hall and takes it; the slot is then gone.
    hall = volunteer.get("/api/v1/timebank/requests", params={"status": "open"})
    assert hall.status_code == 200, hall.text[:500]
    assert rid in [r["id"] for r in hall.json()]
    taken = post(volunteer, f"/api/v1/timebank/requests/{rid}/take")
    assert taken.status_code == 201, taken.text[:500]
    order = taken.json()
    assert order["status"] == "taken", order
    again = post(volunteer, f"/api/v1/timebank/requests/{rid}/take")  # a retried tap
    assert again.status_code == 201 and again.json()["id"] == order["id"], again.text[:500]
    hall = volunteer.get("/api/v1/timebank/requests", params={"status": "open"})
    assert rid not in [r["id"] for r in hall.json()], "a taken request is still in the hall"
    address = volunteer.get(f"/api/v1/timebank/requests/{rid}/address")
    assert address.status_code == 200, address.text[:500]
    assert address.json()["address"] == ADDRESS

    # She sees who is coming; he checks in and out with the minutes served.
    seen = daughter.get(f"/api/v1/timebank/requests/{rid}")
    assert seen.status_code == 200, seen.text[:500]
    assert [o["id"] for o in seen.json()["orders"]] == [order["id"]]
    oid = order["id"]
    checked_in = post(volunteer, f"/api/v1/timebank/orders/{oid}/check-in")
    assert checked_in.status_code == 200, checked_in.text[:500]
    assert checked_in.json()["status"] == "in_service", checked_in.json()
    checked_out = post(volunteer, f"/api/v1/timebank/orders/{oid}/check-out", {"minutes": MINUTES})
    assert checked_out.status_code == 200, checked_out.text[:500]
    assert checked_out.json()["status"] == "completed", checked_out.json()
    assert checked_out.json()["reported_minutes"] == MINUTES

    # The volunteer cannot confirm his own service; she confirms it and rates it.
    own = post(volunteer, f"/api/v1/timebank/orders/{oid}/confirm")
    assert own.status_code == 403, own.text[:500]
    confirmed = post(daughter, f"/api/v1/timebank/orders/{oid}/confirm", {"note": "谢谢"})
    assert confirmed.status_code == 200, confirmed.text[:500]
    assert confirmed.json()["status"] == "confirmed", confirmed.json()
    assert confirmed.json()["paid_minutes"] == MINUTES
    twice = post(daughter, f"/api/v1/timebank/orders/{oid}/confirm", {"note": "谢谢"})
    assert twice.status_code == 200 and twice.json()["paid_minutes"] == MINUTES, twice.text
    rated = post(
        daughter, f"/api/v1/timebank/orders/{oid}/rating", {"score": 5, "text": "饭还是热的"}
    )
    assert rated.status_code == 201, rated.text[:500]
    assert rated.json()["score"] == 5

    done = daughter.get(f"/api/v1/timebank/requests/{rid}")
    assert done.json()["status"] == "confirmed", done.json()
    actions = [e["action"] for e in done.json()["events"]]
    for step in ("take", "check_in", "check_out", "confirm"):
        assert step in actions, actions

    # The hours moved once: to the volunteer, from her father unless his limit forbids it
    # (then the community pool pays).
    volunteer_after = volunteer_account(volunteer)
    assert volunteer_after["balance_minutes"] - volunteer_before["balance_minutes"] == MINUTES
    father_after = balance(staff_members(staff), father_id)
    lower = father_before["lower_limit_minutes"]
    father_pays = lower is None or father_before["balance_minutes"] - MINUTES >= lower
    expected = father_before["balance_minutes"] - (MINUTES if father_pays else 0)
    assert father_after["balance_minutes"] == expected, (father_before, father_after)

    # The ledger is whole: `shequ timebank check` on the served var dir.
    checked = subprocess.run(
        [str(SHEQU), "timebank", "check", "--json"],
        cwd=platform.var_dir.parent,
        env=platform.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
    assert '"ok": true' in checked.stdout, checked.stdout[-2000:]
