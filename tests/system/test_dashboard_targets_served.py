"""Issue 20's last journeys against the real processes: community staff change a target on the
served page (and cannot change the street's), the API judges by it; a resident's home page leads
to their community's figures and to "Rate a service"; a staff reply lands in the resident's
inbox with a link and without the text."""

from __future__ import annotations

import re

import httpx
from system_support import api_headers, assert_clean, csrf_token

HOME = "990102001001"  # the demo's community of "community" and "resident"
STREET = "990102001000"
KEY = "timebank.volunteers"


def set_target(client: httpx.Client, region: str, target: str) -> httpx.Response:
    # The token of the user's own targets page: a region they may not see has no page.
    token = csrf_token(client.get("/dashboard/targets/").text)
    return client.post(
        f"/dashboard/targets/?region={region}",
        data={"csrfmiddlewaretoken": token, "indicator": KEY, "target": target,
              "direction": "higher"},
        headers={"Referer": f"{client.base_url}/dashboard/targets/?region={region}"},
    )  # fmt: skip


def test_community_staff_change_their_target_not_the_streets(
    clients: dict[str, httpx.Client],
) -> None:
    staff = clients["community"]
    bad = set_target(staff, HOME, "很多")
    assert bad.status_code == 422 and 'data-testid="target-error"' in bad.text
    saved = set_target(staff, HOME, "400")
    assert saved.status_code == 302, saved.text[:500]
    assert set_target(staff, STREET, "1").status_code == 404
    page = staff.get("/dashboard/targets/", params={"region": HOME})
    assert_clean(page)
    assert "400" in page.text
    figures = staff.get("/api/v1/dashboard/indicators", params={"region": HOME}).json()
    volunteers = next(f for f in figures if f["key"] == KEY)
    assert volunteers["target"] == 400.0
    assert volunteers["status"] in ("good", "bad") and volunteers["value"] is not None
    assert volunteers["status"] == ("good" if volunteers["value"] >= 400 else "bad")


def test_a_residents_home_leads_to_the_figures_and_the_rating_form(
    clients: dict[str, httpx.Client],
) -> None:
    resident = clients["resident"]
    home = resident.get("/")
    assert_clean(home)
    for href in ('href="/dashboard/phone/"', 'href="/dashboard/feedback/rate/"'):
        assert href in home.text
    for page in ("/dashboard/phone/", "/dashboard/feedback/rate/"):
        assert_clean(resident.get(page), page)


def test_a_reply_reaches_the_residents_inbox_without_the_text(
    clients: dict[str, httpx.Client],
) -> None:
    resident, staff = clients["resident"], clients["community"]
    given = resident.post(
        "/api/v1/dashboard/feedback",
        json={"service": "parking", "rating": 2, "comment": "车位被占，电话13900001111"},
        headers=api_headers(resident),
    )
    assert given.status_code == 201, given.text[:500]
    reply = "已通知车主挪车"
    answered = staff.post(
        f"/api/v1/dashboard/feedback/{given.json()['id']}/reply",
        json={"text": reply},
        headers=api_headers(staff),
    )
    assert answered.status_code == 200, answered.text[:500]
    inbox = resident.get("/inbox/")
    assert_clean(inbox)
    link = f"/dashboard/feedback/mine/#feedback-{given.json()['id']}"
    assert link in inbox.text
    assert reply not in inbox.text and "13900001111" not in inbox.text
    assert re.search(r"回复了您对.*的评价", inbox.text)
