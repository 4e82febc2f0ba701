"""Residents' feedback against the real processes: a resident rates a service from its page,
the community's staff reply, the resident reads the reply, and the indicators move after
``shequ dashboard refresh``."""

from __future__ import annotations

import subprocess
from typing import Any

import httpx
from system_support import SHEQU, Platform, api_headers, assert_clean, csrf_token

STREET = "990102001000"
KEYS = ("feedback.satisfaction_access", "feedback.reply_hours_access")


def figures(client: httpx.Client) -> dict[str, Any]:
    answer = client.get("/api/v1/dashboard/indicators", params={"region": STREET})
    assert answer.status_code == 200, answer.text[:500]
    return {f["key"]: f["value"] for f in answer.json() if f["key"] in KEYS}


def refresh(platform: Platform) -> None:
    done = subprocess.run(
        [str(SHEQU), "dashboard", "refresh", "--all", *KEYS],
        cwd=platform.var_dir.parent,
        env=platform.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_a_comment_is_answered_and_the_indicators_move(
    platform: Platform, clients: dict[str, httpx.Client]
) -> None:
    resident, staff = clients["resident"], clients["community"]
    before = figures(clients["street"])
    assert before["feedback.satisfaction_access"] is not None  # the demo's feedback

    page = resident.get("/access/me/passes/")
    assert_clean(page)
    assert 'data-testid="rate-service"' in page.text
    answer = resident.post(
        "/dashboard/feedback/give/",
        data={
            "csrfmiddlewaretoken": csrf_token(page.text),
            "service": "access",
            "object_ref": "visitor-passes",
            "rating": "1",
            "comment": "门禁坏了三天，请回电13812345678",
            "next": "/access/me/passes/",
        },
        headers={"Referer": f"{resident.base_url}/access/me/passes/"},
    )
    assert answer.status_code == 302 and answer.headers["location"] == "/access/me/passes/"

    inbox = staff.get(
        "/api/v1/dashboard/feedback/inbox", params={"service": "access", "unanswered": True}
    ).json()
    mine = [f for f in inbox if "门禁坏了三天" in f["comment"]]
    assert len(mine) == 1 and "13812345678" not in mine[0]["comment"], inbox
    replied = staff.post(
        f"/api/v1/dashboard/feedback/{mine[0]['id']}/reply",
        json={"text": "维修师傅今天下午上门。"},
        headers=api_headers(staff),
    )
    assert replied.status_code == 200, replied.text[:500]

    seen = resident.get("/api/v1/dashboard/feedback/mine").json()
    assert [f["reply"] for f in seen if f["id"] == mine[0]["id"]] == ["维修师傅今天下午上门。"]
    page = resident.get("/dashboard/feedback/mine/")
    assert_clean(page)
    assert "维修师傅今天下午上门。" in page.text

    refresh(platform)
    after = figures(clients["street"])
    assert after["feedback.satisfaction_access"] < before["feedback.satisfaction_access"]
    assert after["feedback.reply_hours_access"] < before["feedback.reply_hours_access"]


def test_the_hourly_limit_answers_429_with_a_message(clients: dict[str, httpx.Client]) -> None:
    volunteer = clients["volunteer"]
    body = {"service": "timebank", "rating": 5, "comment": "好"}
    statuses = [
        volunteer.post(
            "/api/v1/dashboard/feedback", json=body, headers=api_headers(volunteer)
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [201] * 5
    refused = volunteer.post(
        "/api/v1/dashboard/feedback", json=body, headers=api_headers(volunteer)
    )
    assert refused.status_code == 429
    assert refused.json()["error"]["message"]
