"""Residents' feedback over HTTP: the form's target, the pages by role, the API's answers."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory

from dashboard.factories import HOME, NEXT_DOOR
from shequ.core.models import Role
from shequ.dashboard.models import Feedback
from shequ.dashboard.services import feedback

pytestmark = pytest.mark.django_db

PAGES = ["/dashboard/feedback/mine/", "/dashboard/feedback/inbox/", "/dashboard/feedback/tasks/",
         "/dashboard/m/feedback/"]  # fmt: skip
# role -> status of each page above
EXPECTED = {
    Role.RESIDENT: [200, 403, 403, 200],
    Role.COMMUNITY_STAFF: [200, 200, 200, 200],
    Role.DEPARTMENT_ANALYST: [200, 403, 403, 200],
    Role.GARAGE_OPERATOR: [200, 403, 403, 403],
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_gets_the_feedback_pages_it_may(make_user: Any, role: str) -> None:
    client = Client()
    client.force_login(make_user(role, HOME))
    got = [client.get(page).status_code for page in PAGES]
    assert got == EXPECTED[role]


def test_the_form_posts_and_comes_back_to_the_service_page(make_user: Any) -> None:
    client = Client()
    client.force_login(make_user(Role.RESIDENT, HOME))
    data = {"service": "access", "rating": "3", "comment": "ok", "next": "/access/me/passes/"}
    answer = client.post("/dashboard/feedback/give/", data)
    assert (answer.status_code, answer["Location"]) == (302, "/access/me/passes/")
    outside = client.post("/dashboard/feedback/give/", data | {"next": "https://evil.example/"})
    assert outside["Location"] == "/dashboard/feedback/mine/"
    assert Feedback.objects.count() == 2


def test_the_rate_tag_shows_the_form_only_to_residents(make_user: Any) -> None:
    template = Template('{% load feedback %}{% rate_service "parking" ref=12 %}')
    for role, shown in ((Role.RESIDENT, True), (Role.COMMUNITY_STAFF, False)):
        request = RequestFactory().get("/parking/me/passes/12/")
        request.user = make_user(role, HOME)
        html = template.render(Context({"request": request}))
        assert ('data-testid="rate-service"' in html) is shown, role
        assert ('value="/parking/me/passes/12/"' in html) is shown


def test_the_api_answers_429_past_the_limit_and_masks_the_inbox(make_user: Any) -> None:
    resident, staff = Client(), Client()
    resident.force_login(make_user(Role.RESIDENT, HOME))
    staff.force_login(make_user(Role.COMMUNITY_STAFF, HOME))
    body = {"service": "parking", "rating": 2, "comment": "请回电13812345678"}
    for _ in range(feedback.PER_HOUR):
        made = resident.post("/api/v1/dashboard/feedback", body, content_type="application/json")
        assert made.status_code == 201, made.content
    refused = resident.post("/api/v1/dashboard/feedback", body, content_type="application/json")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    inbox = staff.get("/api/v1/dashboard/feedback/inbox?unanswered=true").json()
    assert len(inbox) == feedback.PER_HOUR
    assert all("13812345678" not in f["comment"] for f in inbox)
    first = inbox[0]["id"]
    other = Client()
    other.force_login(make_user(Role.COMMUNITY_STAFF, NEXT_DOOR))
    path = f"/api/v1/dashboard/feedback/{first}/reply"
    assert other.post(path, {"text": "x"}, content_type="application/json").status_code == 404
    answer = staff.post(path, {"text": "收到"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["reply"] == "收到"
    mine = resident.get("/api/v1/dashboard/feedback/mine").json()
    assert [f["reply"] for f in mine if f["id"] == first] == ["收到"]
    task = staff.post(
        f"/api/v1/dashboard/feedback/{first}/task",
        {"title": "回电"},
        content_type="application/json",
    )
    assert task.status_code == 201 and task.json()["status"] == "open"
