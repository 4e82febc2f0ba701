"""Staff issue a visitor pass on their page, show it as a QR, revoke their regions' passes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from access.api.test_access import ROLES, SEES, _user
from access.factories import ELSEWHERE, HOME, add_point
from shequ.access.models import VisitorPass
from shequ.access.services import passes
from shequ.core.models import AuditEvent


def _login(user: Any, lang: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(user)
    return client


def _form(estate: str = f"{HOME}|锦绣花园", **more: Any) -> dict[str, Any]:
    start = timezone.localtime().replace(second=0, microsecond=0)
    return {
        "estate": estate,
        "visitor": "张三",
        "valid_from": start.strftime("%Y-%m-%dT%H:%M"),
        "valid_until": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "max_uses": 1,
    } | more


@pytest.fixture
def estates(regions: dict[str, Any]) -> dict[str, Any]:
    return {"home": add_point(regions[HOME]), "elsewhere": add_point(regions[ELSEWHERE])}


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_staff_issue_a_pass_and_see_its_qr(staff: Any, estates: Any, lang: str) -> None:
    client = _login(staff, lang)
    page = client.get("/access/passes/")
    assert page.status_code == 200 and f"{HOME}|锦绣花园" in page.content.decode()
    response = client.post("/access/passes/", _form())
    assert response.status_code == 302, response.context["form"].errors
    visitor_pass = VisitorPass.objects.get()
    assert visitor_pass.issued_by == staff and visitor_pass.region.code == HOME
    assert AuditEvent.objects.filter(action="access.pass.issue", actor=staff).exists()
    detail = client.get(response["Location"])
    assert detail.status_code == 200 and 'data-testid="share-qr"' in detail.content.decode()
    qr = client.get(f"/access/me/passes/{visitor_pass.pk}/qr.svg")
    assert qr.status_code == 200 and b"<svg" in qr.content


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"estate": f"{ELSEWHERE}|锦绣花园"}, "estate"),
        ({"estate": "锦绣花园"}, "estate"),
        ({"max_uses": 0}, "max_uses"),
        ({"max_uses": 21}, "max_uses"),
        ({"valid_until": "not a time"}, "valid_until"),
        ({"visitor": "x" * 51}, "visitor"),
    ],
)
def test_the_staff_form_names_the_field_in_error(
    staff: Any, estates: Any, change: dict[str, Any], field: str
) -> None:
    response = _login(staff, "en").post("/access/passes/", _form(**change))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert not VisitorPass.objects.exists()


def test_a_pass_of_an_hour_ago_is_refused_naming_the_end(staff: Any, estates: Any) -> None:
    start = timezone.localtime() - timedelta(hours=3)
    response = _login(staff, "en").post(
        "/access/passes/",
        _form(
            valid_from=start.strftime("%Y-%m-%dT%H:%M"),
            valid_until=(start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    assert "valid_until" in response.context["form"].errors and not VisitorPass.objects.exists()


def _pass_in(region: Any, issuer: Any) -> VisitorPass:
    now = timezone.now()
    return passes.issue(
        issuer,
        region,
        "锦绣花园",
        visitor="",
        valid_from=now,
        valid_until=now + timedelta(hours=1),
    )[0]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["home", "elsewhere"])
def test_revoking_from_the_staff_page_needs_staff_of_the_pass(
    role: str, target: str, admin: Any, estates: Any, make_user: Any
) -> None:
    visitor_pass = _pass_in(estates[target].region, admin)
    client = _login(_user(make_user, role))
    response = client.post(f"/access/passes/{visitor_pass.pk}/revoke/")
    visitor_pass.refresh_from_db()
    if target in SEES[role]:
        assert response.status_code == 302 and visitor_pass.revoked_at is not None
    else:
        assert response.status_code in (403, 404) and visitor_pass.revoked_at is None


@pytest.mark.parametrize("role", ROLES)
def test_the_staff_list_and_form_show_the_users_regions_only(
    role: str, admin: Any, estates: Any, make_user: Any
) -> None:
    made = {name: _pass_in(point.region, admin) for name, point in estates.items()}
    response = _login(_user(make_user, role)).get("/access/passes/")
    if not SEES[role]:
        assert response.status_code == 403
        return
    listed = {p.pk for p in response.context["passes"]}
    assert listed == {made[name].pk for name in SEES[role]}
    keys = set(response.context["estates"])
    assert keys == {f"{estates[name].region.code}|锦绣花园" for name in SEES[role]}


def test_revoking_twice_changes_nothing_more(staff: Any, estates: Any) -> None:
    visitor_pass = _pass_in(estates["home"].region, staff)
    client = _login(staff)
    client.post(f"/access/passes/{visitor_pass.pk}/revoke/")
    first = VisitorPass.objects.get().revoked_at
    assert client.post(f"/access/passes/{visitor_pass.pk}/revoke/").status_code == 302
    assert VisitorPass.objects.get().revoked_at == first
    assert AuditEvent.objects.filter(action="access.pass.revoke").count() == 1
