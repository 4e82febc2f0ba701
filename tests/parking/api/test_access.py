"""Who may do what, as a matrix of roles × objects over the parking API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from parking.factories import ELSEWHERE, HOME, SIBLING, STREET, client_for, get, post
from shequ.core.models import AuditEvent, Role
from shequ.parking.models import Garage, Pass

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(
    make_user: Callable[..., Any], garage: Garage, operator: Any, make_resident: Any
) -> dict[str, Any]:
    return {
        "operator": operator,
        "other_operator": make_user(Role.GARAGE_OPERATOR, HOME),
        "community": make_user(Role.COMMUNITY_STAFF, HOME),
        "sibling": make_user(Role.COMMUNITY_STAFF, SIBLING),
        "street": make_user(Role.STREET_STAFF, STREET),
        "elsewhere": make_user(Role.STREET_STAFF, "990103001000"),
        "admin": make_user(Role.PLATFORM_ADMIN, "990000000000"),
        "resident": make_resident(),
    }


# role -> may manage garage G01 (in 锦绣社区)
MANAGERS = {
    "operator": True,
    "other_operator": False,
    "community": True,
    "sibling": False,
    "street": True,
    "elsewhere": False,
    "admin": True,
    "resident": False,
}
# role -> is staff over 锦绣社区 (reviews, payments, passes)
STAFF = {**MANAGERS, "operator": False}


@pytest.mark.parametrize("role", sorted(MANAGERS))
def test_garage_endpoints(role: str, people: dict[str, Any], garage: Garage, plan: Any) -> None:
    client = client_for(people[role])
    allowed = MANAGERS[role]
    expected = 200 if allowed else 403
    assert get(client, f"/garages/{garage.pk}").status_code == expected
    assert get(client, f"/garages/{garage.pk}/occupancy").status_code == expected
    assert get(client, f"/garages/{garage.pk}/violations").status_code == expected
    declared = post(
        client,
        f"/garages/{garage.pk}/plans",
        {"code": "weekend", "name": "周末", "capacity": 5, "hours": "Sa,Su 00:00-24:00"},
    )
    assert declared.status_code == (201 if allowed else 403), declared.content
    listed = [g["code"] for g in get(client, "/garages").json()]
    assert listed == (["G01"] if allowed else [])


@pytest.mark.parametrize("role", sorted(STAFF))
def test_staff_endpoints(
    role: str,
    people: dict[str, Any],
    sell: Callable[..., Pass],
    make_resident: Any,
    make_application: Any,
    monthly: Any,
) -> None:
    from shequ.parking.services import passes

    sold = sell(["浙A12345"])
    buyer = make_resident()
    order = passes.buy(buyer, make_application(buyer, ["浙A54321"]), monthly)
    client = client_for(people[role])
    allowed = STAFF[role]
    confirmed = post(
        client, f"/orders/{order.number}/confirm", {"reference": "R9", "amount_fen": 30000}
    )
    assert confirmed.status_code == (200 if allowed else 403)
    suspended = post(client, f"/passes/{sold.pk}/suspend", {"reason": "test"})
    assert suspended.status_code == (200 if allowed else 403)
    passes_seen = {p["id"] for p in get(client, "/passes").json()}
    assert (sold.pk in passes_seen) is allowed


def test_unknown_objects_are_404_and_anonymous_401(people: dict[str, Any], garage: Garage) -> None:
    client = client_for(people["community"])
    assert get(client, "/garages/999999").status_code == 404
    assert get(Client(), f"/garages/{garage.pk}").status_code == 401
    assert post(Client(), "/applications", {}).status_code == 401


def test_plates_are_masked_for_operators_and_revealed_with_an_audit(
    people: dict[str, Any], sell: Callable[..., Pass], garage: Garage
) -> None:
    sold = sell(["浙A12345"])
    operator = client_for(people["operator"])
    listed = get(operator, f"/garages/{garage.pk}/passes").json()
    assert listed[0]["plates"] == ["浙A***45"]
    no_reason = post(operator, f"/passes/{sold.pk}/reveal", {"reason": ""})
    assert no_reason.status_code == 422
    revealed = post(operator, f"/passes/{sold.pk}/reveal", {"reason": "车主投诉"})
    assert revealed.json()["plates"] == ["浙A12345"]
    event = AuditEvent.objects.get(action="parking.pass.reveal")
    assert event.details["reason"] == "车主投诉" and event.actor == people["operator"]
    for role in ("other_operator", "sibling", "resident"):
        assert (
            post(client_for(people[role]), f"/passes/{sold.pk}/reveal", {"reason": "x"}).status_code
            == 403
        )


def test_residents_only_touch_their_own_passes(
    people: dict[str, Any], sell: Callable[..., Pass]
) -> None:
    sold = sell(["浙A12345"])
    other = client_for(people["resident"])
    assert post(other, f"/passes/{sold.pk}/cancel", {}).status_code == 404
    assert post(other, f"/passes/{sold.pk}/renew", {}).status_code == 404
    assert get(other, f"/orders/{sold.order.number}").status_code == 404
    owner = client_for(sold.resident)
    mine = get(owner, "/me/passes").json()
    assert [p["id"] for p in mine] == [sold.pk]
    cancelled = post(owner, f"/passes/{sold.pk}/cancel", {"reason": "搬家"})
    assert cancelled.status_code == 200
    assert cancelled.json()["pass"]["status"] == "cancelled"
    assert cancelled.json()["refunds"][0]["status"] == "requested"


def test_a_resident_buys_through_the_api_and_sees_the_sold_out_answer(
    make_resident: Any,
    make_application: Any,
    monthly: Any,
    sell: Callable[..., Pass],
    estate: Any,
    garage: Garage,
) -> None:
    resident = make_resident()
    app = make_application(resident, ["浙A99999"])
    client = client_for(resident)
    offer = get(client, "/estates/jinxiu").json()
    assert offer["garages"][0]["products"][0]["free"] == 2
    assert offer["garages"][0]["walking_m"] > 0
    bought = post(
        client, "/passes", {"application": app.pk, "product": monthly.pk, "provider": "generic"}
    )
    assert bought.status_code == 201, bought.content
    assert bought.json()["payment"]["callback"].endswith("/callback/generic")
    assert bought.json()["pass"]["status"] == "pending"
    sell(["浙A11111"])
    late = make_resident()
    late_app = make_application(late, ["浙A22222"])
    full = post(client_for(late), "/passes", {"application": late_app.pk, "product": monthly.pk})
    assert full.status_code == 409 and full.json()["error"]["code"] == "sold_out"
    joined = post(
        client_for(late),
        "/waiting-list",
        {"application": late_app.pk, "garage": garage.pk, "plan_code": "night"},
    )
    assert joined.status_code == 201 and joined.json()["rank"] == 1


def test_operator_registers_a_garage_with_clear_field_errors(people: dict[str, Any]) -> None:
    client = client_for(people["operator"])
    base = {
        "region": HOME,
        "code": "G09",
        "name": "新楼",
        "lat": 30.27,
        "lon": 120.15,
        "total_spaces": 80,
    }
    for bad, field in (
        ({"lat": 95}, "lat"),
        ({"region": "123"}, "region"),
        ({"region": ELSEWHERE}, None),
        ({"normal_rule": "maybe"}, "normal_rule"),
        ({"total_spaces": 0}, "total_spaces"),
    ):
        answer = post(client, "/garages", {**base, **bad})
        if field is None:
            assert answer.status_code == 403
        else:
            assert answer.status_code == 422 and field in answer.json()["error"]["fields"], (
                answer.content
            )
    assert not Garage.objects.filter(code="G09").exists()
    made = post(client, "/garages", base)
    assert made.status_code == 201
    garage = Garage.objects.get(code="G09")
    assert list(garage.operators.all()) == [people["operator"]]
    bad_hours = post(
        client,
        f"/garages/{garage.pk}/plans",
        {"code": "n", "name": "夜", "capacity": 5, "hours": "Mo-Fr 18:00"},
    )
    assert bad_hours.status_code == 422 and "hours" in bad_hours.json()["error"]["fields"]
    too_many = post(
        client,
        f"/garages/{garage.pk}/plans",
        {"code": "n", "name": "夜", "capacity": 81, "hours": "24/7"},
    )
    assert "capacity" in too_many.json()["error"]["fields"]
    device = post(client, f"/garages/{garage.pk}/devices", {"gate": "east"})
    assert device.status_code == 201 and device.json()["token"].startswith("gate_")
