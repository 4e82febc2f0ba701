"""Access control in the served demo: a door device, issued on the staff page, checks faces
through a forked web worker (the status providers read the hub there), fetches and verifies
its signed allow-list, and staff see the demo week's alerts and the welfare check."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from system_support import Platform, assert_clean, csrf_token

from shequ.access.services import offline


def _device_token(staff: httpx.Client) -> str:
    points = staff.get("/access/points/")
    assert_clean(points)
    found = re.search(r'href="/access/points/(\d+)/">北门<', points.text)
    assert found, "the demo's north gate of 锦绣花园 is not listed"
    url = f"/access/points/{found.group(1)}/"
    page = staff.post(
        url,
        data={
            "name": "system test",
            "kind": "face",
            "csrfmiddlewaretoken": csrf_token(points.text),
        },
        headers={"Referer": f"{staff.base_url}{url}"},
    )
    assert_clean(page)
    token = re.search(r"door_[A-Za-z0-9_-]+", page.text)
    assert token, page.text[:1000]
    return token.group(0)


def test_a_door_device_checks_faces_and_works_offline(
    platform: Platform, clients: dict[str, httpx.Client]
) -> None:
    token = _device_token(clients["community"])
    device = httpx.Client(
        base_url=platform.base, timeout=10, headers={"Authorization": f"Bearer {token}"}
    )
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
