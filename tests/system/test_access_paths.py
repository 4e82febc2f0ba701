"""Access control in the served demo: a door device, issued on the staff page, checks faces
through a forked web worker (the status providers read the hub there), fetches and verifies
its signed allow-list, and staff see the demo week's alerts and the welfare check."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import httpx
from access_support import device_client, issue_device
from system_support import Platform, api_headers, assert_clean, json_items

from shequ.access.services import offline


def test_a_door_device_checks_faces_and_works_offline(
    platform: Platform, clients: dict[str, httpx.Client]
) -> None:
    device = device_client(platform.base, issue_device(clients["community"], "face"))
    now = datetime.now(UTC).isoformat()
    unknown = {"event_id": "sys-1", "method": "face", "value": "NOBODY", "time": now}
    first = device.post("/api/v1/access/check", json=unknown)
    assert_clean(first)
    assert first.json()["display"] == "未识别 请联系物业"
    assert device.post("/api/v1/access/check", json=unknown).json()["replayed"] is True
    greens = []
    for n in range(1, 21):  # the demo enrols its residents as DEMO-<household person id>
        body = {"event_id": f"sys-p{n}", "method": "face", "value": f"DEMO-P{n:07d}", "time": now}
        answer = device.post("/api/v1/access/check", json=body)
        assert_clean(answer)
        greens += [answer.json()] if answer.json()["colour"] == "green" else []
    assert greens and greens[0]["display"] == "绿码 请通行", greens
    assert "health_green" in greens[0]["reasons"]  # read from the hub in the web worker
    envelope = device.get("/api/v1/access/allowlist")
    assert_clean(envelope)
    key = device.get("/api/v1/access/allowlist/key").json()["public_key"]
    device_id = envelope.json()["payload"]["device"]
    payload = offline.verify(envelope.json(), key, device_id, datetime.now(UTC))
    assert payload["entries"] and payload["datasets"]["health_code_status"] is not None
    device.close()


def test_staff_see_the_demo_weeks_alerts_and_the_welfare_check(
    clients: dict[str, httpx.Client],
) -> None:
    alerts = clients["community"].get("/api/v1/access/alerts")
    assert_clean(alerts)
    assert {a["colour"] for a in alerts.json()} & {"red", "yellow"}, alerts.json()
    welfare = clients["community"].get("/access/welfare/")
    assert_clean(welfare)
    assert welfare.status_code == 200
    assert len(re.findall(r"/access/welfare/\d+/outcome/", welfare.text)) == 1  # 60 h unseen
    assert clients["resident"].get("/api/v1/access/alerts").json() == []


def test_staff_enrol_a_card_and_read_its_check_in_the_log(
    platform: Platform, clients: dict[str, httpx.Client]
) -> None:
    """Enrolment and the access-log API through the served processes: a card enrolled by the
    community's staff (a retry answers the same credential) is checked at a card reader, and
    the check is in the staff's log, masked, the read audited."""
    staff = clients["community"]
    people = staff.get("/api/v1/people", params={"region_code": "990102001001"})
    assert_clean(people)
    person = json_items(people.json())[0]
    card = f"SYS{uuid.uuid4().hex[:10].upper()}"
    body = {"person_id": person["id"], "kind": "card", "ref": card}
    first = staff.post("/api/v1/access/credentials", json=body, headers=api_headers(staff))
    assert_clean(first)
    assert first.status_code == 201, first.text
    again = staff.post("/api/v1/access/credentials", json=body, headers=api_headers(staff))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert card not in first.text and first.json()["ref"].startswith(card[:2])
    device = device_client(platform.base, issue_device(staff, "card"))
    event_id = f"sys-card-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).isoformat()
    check = {"event_id": event_id, "method": "card", "value": card, "time": now}
    answer = device.post("/api/v1/access/check", json=check)
    assert_clean(answer)
    assert "unknown_credential" not in answer.json()["reasons"], answer.json()
    device.close()
    log = staff.get("/api/v1/access/log", params={"page_size": 50})
    assert_clean(log)
    mine = [e for e in json_items(log.json()) if e["event_id"] == event_id]
    assert len(mine) == 1 and mine[0]["who"] == person["name"], mine
    assert staff.get("/api/v1/access/log", params={"decision": "maybe"}).status_code == 422
