"""Door access with status checks against the real processes (issue 19), over HTTP.

Community staff issue tokens for a face terminal and a QR scanner at 锦绣花园's north gate (the
point's page shows each token once). A resident whom the hub's health code marks red is
refused at the face terminal with the right text on its screen; however often she tries, the
staff have exactly one alert for her that day, and exactly one message about it in their
inbox (delivered by `shequ worker`). A resident issues a visitor pass on her phone; its QR
code opens the gate once, and not a second time.

Who is red comes from the hub, as the property office would learn it: street staff ask for
the household registry and the health codes (clear identity numbers and statuses, to join
them), the platform administrator approves, and the query names the residents. The demo's
face terminals know a resident by ``DEMO-<person id in the household registry>``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from access_support import ESTATE, device_client, form_post, issue_device
from qr_read import read_qr
from system_support import Platform, api_headers, assert_clean, json_items, wait_until

SHANGHAI = timezone(timedelta(hours=8))
COMMUNITY = "990102001001"  # 锦绣社区
RED_TEXT = "红码 请联系物业"
VISITOR_TEXT = "访客 请通行"
PASS_INVALID_TEXT = "通行码无效 请联系物业"


def red_residents(street: httpx.Client, admin: httpx.Client) -> list[str]:
    """Person ids (household registry) of the community's red health codes, by person id."""
    today = date.today()
    wanted = [
        ("household_registry", ["person_id", "id_number", "region_code"], ["id_number"]),
        ("health_code_status", ["id_number", "status", "region_code"], ["id_number", "status"]),
    ]
    for dataset, columns, clear in wanted:
        asked = street.post(
            "/api/v1/hub/requests",
            json={
                "dataset": dataset,
                "columns": columns,
                "clear_columns": clear,
                "purpose": "门禁终端登记人员与健康码核对",
                "legal_basis": "突发公共卫生事件应急条例",
                "period_from": str(today),
                "period_until": str(today + timedelta(days=7)),
            },
            headers=api_headers(street),
        )
        assert asked.status_code == 201, asked.text[:500]
        approved = admin.post(
            f"/api/v1/hub/requests/{asked.json()['id']}/approve",
            json={},
            headers=api_headers(admin),
        )
        assert approved.status_code == 200, approved.text[:500]
    found = street.post(
        "/api/v1/hub/query",
        json={
            "sql": "SELECT r.person_id FROM household_registry r JOIN health_code_status h "
            f"ON h.id_number = r.id_number WHERE r.region_code = '{COMMUNITY}' "
            "AND h.status = 'red' ORDER BY r.person_id"
        },
        headers=api_headers(street),
    )
    assert found.status_code == 200, found.text[:500]
    return [str(row[0]) for row in found.json()["rows"]]


def check(door: httpx.Client, method: str, value: str, at: datetime) -> dict[str, Any]:
    event = f"system-{uuid.uuid4().hex[:16]}"
    answer = door.post(
        "/api/v1/access/check",
        json={"event_id": event, "method": method, "value": value, "time": at.isoformat()},
    )
    assert_clean(answer)
    assert answer.status_code == 200, answer.text[:500]
    body = dict(answer.json())
    assert body["event_id"] == event and body["replayed"] is False, body
    return body


def alerts(staff: httpx.Client) -> list[dict[str, Any]]:
    answer = staff.get("/api/v1/access/alerts")
    assert answer.status_code == 200, answer.text[:500]
    return list(answer.json())


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def doors(
    platform: Platform, clients: dict[str, httpx.Client]
) -> Iterator[dict[str, httpx.Client]]:
    """A face terminal and a QR scanner at the north gate, each with its own token."""
    made = {}
    for kind in ("face", "qr"):
        made[kind] = device_client(platform.base, issue_device(clients["community"], kind))
    yield made
    for client in made.values():
        client.close()


def test_a_red_code_is_refused_and_the_staff_get_exactly_one_alert(
    clients: dict[str, httpx.Client], doors: dict[str, httpx.Client]
) -> None:
    staff = clients["community"]
    red = red_residents(clients["street"], clients["admin"])
    assert red, "the demo community has no red health code"
    before = {a["id"]: a for a in alerts(staff)}

    # The first red resident the gate knows (the demo enrolled a few of them).
    face = doors["face"]
    now = datetime.now(SHANGHAI).replace(microsecond=0)
    ref = ""
    first: dict[str, Any] = {}
    for person_id in red:
        first = check(face, "face", f"DEMO-{person_id}", now)
        if first["colour"] != "grey":  # grey: not enrolled at this estate
            ref = f"DEMO-{person_id}"
            break
    assert ref, f"none of the red residents {red} is enrolled at {ESTATE}"
    assert (first["allow"], first["colour"], first["display"]) == (False, "red", RED_TEXT), first
    assert "health_red" in first["reasons"], first

    # She tries again and again: refused each time, still one alert (its attempts count up).
    attempts = [now + timedelta(seconds=n) for n in (20, 40, 60)]
    for at in attempts:
        again = check(face, "face", ref, at)
        assert (again["allow"], again["colour"], again["display"]) == (False, "red", RED_TEXT)
    after = alerts(staff)
    mine = [a for a in after if when(a["last_at"]) == attempts[-1]]
    assert len(mine) == 1, mine
    alert = mine[0]
    assert (alert["colour"], alert["day"]) == ("red", str(now.date())), alert
    earlier = before.get(alert["id"], {}).get("attempts", 0)
    assert alert["attempts"] == earlier + 4, (before.get(alert["id"]), alert)
    assert len(after) == len(before) + (0 if alert["id"] in before else 1)

    # The repeat of a device's event is the first answer, and changes nothing.
    event = f"system-{uuid.uuid4().hex[:16]}"
    body = {"event_id": event, "method": "face", "value": ref, "time": now.isoformat()}
    once = face.post("/api/v1/access/check", json=body).json()
    twice = face.post("/api/v1/access/check", json=body).json()
    assert twice == {**once, "replayed": True}, (once, twice)
    counted = next(a for a in alerts(staff) if a["id"] == alert["id"])
    assert counted["attempts"] == alert["attempts"] + 1, counted

    # The staff's inbox holds exactly one message about this alert (the worker delivers it).
    url = f"/access/alerts/{alert['id']}/"

    def told() -> list[dict[str, Any]] | None:
        inbox = staff.get("/api/v1/inbox?page_size=200")
        assert inbox.status_code == 200, inbox.text[:300]
        found = [m for m in json_items(inbox.json()) if m.get("url") == url]
        return found or None

    assert len(wait_until(told, 60, f"the staff's inbox message for {url}")) == 1
    page = staff.get(url)
    assert_clean(page)
    assert page.status_code == 200

    acked = staff.post(
        f"/api/v1/access/alerts/{alert['id']}/acknowledge",
        json={"note": "已电话联系本人"},
        headers=api_headers(staff),
    )
    assert acked.status_code == 200, acked.text[:500]
    assert acked.json()["status"] == "acknowledged", acked.json()


def test_a_visitor_pass_opens_the_gate_once(
    clients: dict[str, httpx.Client], doors: dict[str, httpx.Client]
) -> None:
    resident = clients["resident"]
    now = datetime.now(SHANGHAI).replace(second=0, microsecond=0, tzinfo=None)
    issued = form_post(
        resident,
        "/access/me/passes/",
        {
            "estate": ESTATE,
            "visitor": "王五",
            "valid_from": now.strftime("%Y-%m-%dT%H:%M"),
            "valid_until": (now + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
            "max_uses": "1",
        },
    )
    assert issued.status_code == 302, issued.text[:2000]
    pass_url = issued.headers["location"]
    assert re.fullmatch(r"/access/me/passes/\d+/", pass_url), pass_url
    qr = resident.get(f"{pass_url}qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    token = read_qr(qr.text)
    assert token.startswith("vp_"), "the QR code does not hold a pass token"

    scanner = doors["qr"]
    at = datetime.now(SHANGHAI).replace(microsecond=0)
    opened = check(scanner, "qr", token, at)
    assert (opened["allow"], opened["colour"], opened["display"]) == (True, "green", VISITOR_TEXT)
    refused = check(scanner, "qr", token, at + timedelta(seconds=30))
    assert (refused["allow"], refused["display"]) == (False, PASS_INVALID_TEXT), refused
    assert "pass_used_up" in refused["reasons"], refused
    page = resident.get(pass_url)
    assert_clean(page)
    assert "1/1" in page.text
