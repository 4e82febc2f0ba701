"""The time bank's staff and series pages against the real processes, over HTTP as a browser
posts them: community staff register a resident as a member (found by ID number, which no
answer repeats) and edit them; the report of requests nobody matches; a week of dinners
taken as a whole series and cancelled; a thank-you note reaching the volunteer; and the
demo's services in the hub, anonymised."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from system_support import SHEQU, Platform, api_headers, assert_clean, csrf_token

from shequ.core.pii import make_id_number

SHANGHAI = timezone(timedelta(hours=8))
COMMUNITY = "990102001001"  # 锦绣社区, the demo's time bank


def form_post(client: httpx.Client, url: str, data: dict[str, Any]) -> httpx.Response:
    """POST a page's form as the browser does: its CSRF token, the page as Referer."""
    page = client.get(url)
    assert page.status_code == 200, f"{url}: {page.status_code}"
    body = {"csrfmiddlewaretoken": csrf_token(page.text), **data}
    answer = client.post(url, data=body, headers={"Referer": f"{client.base_url}{url}"})
    assert_clean(answer, url)
    return answer


def api_post(client: httpx.Client, url: str, body: dict[str, Any]) -> httpx.Response:
    answer = client.post(url, json=body, headers=api_headers(client))
    assert_clean(answer, url)
    return answer


def test_staff_register_a_resident_as_a_member_and_edit_them(
    clients: dict[str, httpx.Client],
) -> None:
    staff = clients["community"]
    n = uuid.uuid4().int % 999
    id_number = make_id_number("990102", datetime(1950, 5, 17).date(), n)
    person = api_post(
        staff,
        "/api/v1/people",
        {"region_code": COMMUNITY, "name": "系统测试居民", "id_number": id_number},
    )
    assert person.status_code == 201, person.text[:500]
    masked = person.json()["name"]

    data = {
        "region": COMMUNITY,
        "who": id_number,
        "volunteer": "on",
        "requester": "on",
        "skills": ["visit", "phone_help"],
        "languages": "普通话，杭州话",
        "reach": "estate",
        "estate": "锦绣花园",
        "building": "12幢",
        "day0": "8-12",  # not a time range
    }
    wrong = form_post(staff, "/timebank/staff/members/new/", data)
    assert wrong.status_code == 200
    assert 'data-testid="error-day0"' in wrong.text and id_number not in wrong.text
    assert masked in wrong.text  # the person was found: the masked name, a signed reference
    token = re.search(r'name="person" value="([^"]+)"', wrong.text)
    assert token, "the form does not keep the person it found"
    fixed = data | {"who": "", "person": token.group(1), "day0": "08:00-12:00"}
    done = form_post(staff, "/timebank/staff/members/new/", fixed)
    assert done.status_code == 302 and done.headers["location"] == "/timebank/staff/members/"

    listed = staff.get("/api/v1/timebank/members").json()
    newest = max(listed, key=lambda m: m["id"])
    assert newest["name"] == masked and newest["is_volunteer"], newest
    assert newest["availability"] == {"0": ["08:00-12:00"]}, newest
    member_id = newest["id"]
    again = form_post(staff, "/timebank/staff/members/new/", data | {"day0": ""})
    assert 'role="alert"' in again.text  # a second registration is refused, said on the form

    edit = f"/timebank/staff/members/{member_id}/"
    edited = form_post(staff, edit, {**fixed, "volunteer": "", "active": "on"})
    assert edited.status_code == 302, edited.text[:1000]
    after = next(m for m in staff.get("/api/v1/timebank/members").json() if m["id"] == member_id)
    assert not after["is_volunteer"], after

    resident = clients["resident"]
    assert resident.get("/timebank/staff/members/new/").status_code == 403
    assert resident.get(edit).status_code == 403


def test_the_unmatched_report_is_for_staff(clients: dict[str, httpx.Client]) -> None:
    page = clients["community"].get("/timebank/staff/unmatched/")
    assert_clean(page)
    assert page.status_code == 200 and 'data-testid="tb-unmatched"' in page.text
    assert clients["resident"].get("/timebank/staff/unmatched/").status_code == 403


def _father(daughter: httpx.Client) -> int:
    page = daughter.get("/timebank/ask/")
    found = re.search(r'<select name="beneficiary"[^>]*>\s*<option value="(\d+)"', page.text)
    assert found, "the ask page offers nobody to post for"
    return int(found.group(1))


def test_a_week_of_dinners_is_taken_whole_and_cancelled(clients: dict[str, httpx.Client]) -> None:
    daughter, volunteer = clients["resident"], clients["volunteer"]
    posted = form_post(
        daughter,
        "/timebank/ask/",
        {
            "beneficiary": _father(daughter),
            "category": "meals",
            "description": "父亲独居，这周每天晚上送一份热饭。",
            "when": "tomorrow",
            "minutes": 60,
            "repeat": 7,
            "key": uuid.uuid4().hex,
        },
    )
    assert posted.status_code == 302, posted.text[:1000]
    series = posted.headers["location"]
    assert re.fullmatch(r"/timebank/series/\d+/", series), series
    page = volunteer.get(series)
    assert page.text.count('data-testid="tb-occurrence"') == 7
    assert 'data-testid="tb-take-series"' in page.text
    token = csrf_token(page.text)
    took = volunteer.post(
        f"{series}take/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{volunteer.base_url}{series}"},
    )
    assert_clean(took)
    assert took.status_code == 302
    mine = volunteer.get("/timebank/hall/orders/").text
    assert series in mine
    page = daughter.get(series)
    cancelled = daughter.post(
        f"{series}cancel/",
        data={"csrfmiddlewaretoken": csrf_token(page.text), "reason": "系统测试结束"},
        headers={"Referer": f"{daughter.base_url}{series}"},
    )
    assert cancelled.status_code == 302
    assert 'data-testid="tb-take-series"' not in volunteer.get(series).text


def test_a_thank_you_note_reaches_the_volunteer(clients: dict[str, httpx.Client]) -> None:
    daughter, volunteer = clients["resident"], clients["volunteer"]
    now = datetime.now(SHANGHAI).replace(microsecond=0)
    posted = api_post(
        daughter,
        "/api/v1/timebank/requests",
        {
            "beneficiary_id": _father(daughter),
            "category": "visit",
            "description": "父亲想有人来聊聊天。",
            "starts_at": (now + timedelta(minutes=20)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
            "estimated_minutes": 60,
            "key": uuid.uuid4().hex,
        },
    )
    assert posted.status_code == 201, posted.text[:500]
    rid = posted.json()["id"]
    order = api_post(volunteer, f"/api/v1/timebank/requests/{rid}/take", {})
    assert order.status_code == 201, order.text[:500]
    oid = order.json()["id"]
    assert api_post(volunteer, f"/api/v1/timebank/orders/{oid}/check-in", {}).status_code == 200
    out = api_post(volunteer, f"/api/v1/timebank/orders/{oid}/check-out", {"minutes": 40})
    assert out.status_code == 200, out.text[:500]

    note = f"谢谢你陪我父亲聊天 {uuid.uuid4().hex[:6]}"
    detail = f"/timebank/requests/{rid}/"
    page = daughter.get(detail)
    assert 'data-testid="tb-thank"' in page.text
    sent = daughter.post(
        f"/timebank/orders/{oid}/thank/",
        data={"csrfmiddlewaretoken": csrf_token(page.text), "text": note},
        headers={"Referer": f"{daughter.base_url}{detail}"},
    )
    assert_clean(sent)
    assert sent.status_code == 302
    assert note in volunteer.get("/timebank/hours/").text


def test_the_demo_services_reach_the_hub_anonymised(
    platform: Platform, clients: dict[str, httpx.Client]
) -> None:
    sql = "SELECT * FROM timebank_service_records"
    street = api_post(clients["street"], "/api/v1/hub/query", {"sql": sql})
    assert street.status_code == 403, street.text[:500]  # conditional sharing: a grant first
    counted = hub_query(
        platform,
        "SELECT count(*) AS n, count(DISTINCT volunteer_key) AS v, min(region_code) AS lo, "
        "max(region_code) AS hi, sum(confirmed_hours) AS h FROM timebank_service_records",
    )
    n, volunteers, low, high, total = counted["rows"][0]
    assert 1500 <= n <= 1800 and 200 <= volunteers <= 356, counted
    assert low == high == COMMUNITY and total > n / 4, counted
    columns = set(hub_query(platform, sql + " LIMIT 1")["columns"])
    assert not columns & {"name", "phone", "id_number", "address", "estate", "building"}
    assert columns >= {"volunteer_key", "region_code", "category", "service_date"}


def hub_query(platform: Platform, sql: str) -> dict[str, Any]:
    """``shequ hub query`` on the served var dir (a system query: every dataset)."""
    done = subprocess.run(
        [str(SHEQU), "hub", "query", sql, "--format", "json"],
        cwd=platform.var_dir.parent,
        env=platform.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return dict(json.loads(done.stdout))
