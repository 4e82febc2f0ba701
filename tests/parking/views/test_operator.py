"""Registering a garage and changing its settings on the operator's pages."""

from __future__ import annotations

from typing import Any

import pytest

from parking.factories import HOME, logged_in
from shequ.core.models import AuditEvent, Role
from shequ.parking.models import Garage

pytestmark = pytest.mark.django_db

FORM = {
    "region": HOME,
    "code": "G06",
    "name": "望湖国际地下车库",
    "address": "望湖路 8 号",
    "lat": "30.2733",
    "lon": "120.1533",
    "total_spaces": "240",
    "entrances": "北入口，南出口",
    "normal_rule": "visitor",
    "refund_rule": "pro_rata_days",
    "grace_minutes": "30",
    "escalate_minutes": "30",
    "suspend_after": "3",
    "suspend_window_days": "30",
}


def test_an_operator_registers_a_garage_and_becomes_its_operator(make_user: Any) -> None:
    operator = make_user(Role.GARAGE_OPERATOR, HOME)
    client = logged_in(operator)
    assert 'data-testid="garage-new"' in client.get("/parking/operator/").content.decode()
    response = client.post("/parking/operator/new/", FORM)
    garage = Garage.objects.get(code="G06")
    assert response.status_code == 302
    assert response["Location"] == f"/parking/operator/{garage.pk}/plans/"
    assert garage.entrances == ["北入口", "南出口"] and garage.total_spaces == 240
    assert list(garage.operators.all()) == [operator]
    assert AuditEvent.objects.filter(action="parking.garage.create").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": "91"}, "lat"),
        ({"total_spaces": "0"}, "total_spaces"),
        ({"normal_rule": "open"}, "normal_rule"),
        ({"region": "990103001001"}, "region"),  # not a region of this operator
        ({"code": ""}, "code"),
    ],
)
def test_a_bad_registration_names_the_field_and_saves_nothing(
    make_user: Any, change: dict[str, str], field: str
) -> None:
    client = logged_in(make_user(Role.GARAGE_OPERATOR, HOME))
    response = client.post("/parking/operator/new/", {**FORM, **change})
    assert response.status_code == 200
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert not Garage.objects.exists()


def test_a_taken_code_is_refused(make_user: Any) -> None:
    client = logged_in(make_user(Role.GARAGE_OPERATOR, HOME))
    client.post("/parking/operator/new/", FORM)
    again = client.post("/parking/operator/new/", {**FORM, "name": "另一个"})
    assert 'data-testid="error-code"' in again.content.decode()
    assert Garage.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "region", "status"),
    [
        (Role.GARAGE_OPERATOR, HOME, 200),
        (Role.COMMUNITY_STAFF, HOME, 200),
        (Role.RESIDENT, HOME, 403),
        (Role.DEPARTMENT_ANALYST, HOME, 403),
    ],
)
def test_who_may_register(make_user: Any, role: str, region: str, status: int) -> None:
    assert logged_in(make_user(role, region)).get("/parking/operator/new/").status_code == status


def test_settings_change_for_its_operators_only(make_user: Any) -> None:
    operator = make_user(Role.GARAGE_OPERATOR, HOME)
    logged_in(operator).post("/parking/operator/new/", FORM)
    garage = Garage.objects.get(code="G06")
    url = f"/parking/operator/{garage.pk}/settings/"
    changed = {k: v for k, v in FORM.items() if k not in ("region", "code")}
    changed |= {"grace_minutes": "45", "total_spaces": "250"}
    response = logged_in(operator).post(url, changed)
    assert response.status_code == 302
    garage.refresh_from_db()
    assert (garage.grace_minutes, garage.total_spaces, garage.code) == (45, 250, "G06")
    other = make_user(Role.GARAGE_OPERATOR, HOME)
    assert logged_in(other).get(url).status_code == 403
    assert logged_in(other).post(url, {**changed, "grace_minutes": "0"}).status_code == 403
    garage.refresh_from_db()
    assert garage.grace_minutes == 45
