"""Operator and staff pages: who may open what (a matrix), and what each action does."""

from __future__ import annotations

from typing import Any

import pytest

from parking.factories import GARAGE_PAGES, STAFF_PAGES, client_of, logged_in
from shequ.parking.models import (
    Garage,
    GateDevice,
    OccupancyCount,
    Pass,
    Product,
    Refund,
    SharingPlan,
    WaitingListEntry,
)
from shequ.parking.services import passes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", list(GARAGE_PAGES))
def test_garage_pages_open_to_its_operators_and_staff_only(
    people: dict[str, Any], garage: Garage, monthly: Product, who: str
) -> None:
    client = client_of(people[who])
    for suffix in ("", "plans/", "devices/"):
        answer = client.get(f"/parking/operator/{garage.pk}/{suffix}")
        assert answer.status_code == GARAGE_PAGES[who], (who, suffix)
    listed = client.get("/parking/operator/")
    if who != "anonymous":
        assert ("望湖大厦地下车库" in listed.content.decode()) == (GARAGE_PAGES[who] == 200)


@pytest.mark.parametrize("who", list(STAFF_PAGES))
def test_staff_pages_open_to_staff_only(people: dict[str, Any], who: str) -> None:
    client = client_of(people[who])
    for page in ("", "applications/", "orders/", "passes/", "waiting/", "refunds/", "violations/"):
        answer = client.get(f"/parking/staff/{page}")
        assert answer.status_code == STAFF_PAGES[who], (who, page)


def test_staff_see_only_their_regions(
    people: dict[str, Any], make_application: Any, sell: Any
) -> None:
    app = make_application(people["resident"], ["浙A55555"], status="in_review")
    pass_obj = sell(["浙A66666"])
    mine, theirs = logged_in(people["staff"]), logged_in(people["staff_elsewhere"])
    assert "浙A***55" in mine.get("/parking/staff/applications/").content.decode()
    assert "浙A***55" not in theirs.get("/parking/staff/applications/").content.decode()
    assert theirs.get(f"/parking/staff/applications/{app.pk}/").status_code == 404
    assert "浙A***66" in mine.get("/parking/staff/passes/").content.decode()
    assert "浙A***66" not in theirs.get("/parking/staff/passes/").content.decode()
    # Acting on another region's pass is refused by the service.
    answer = theirs.post(f"/parking/staff/passes/{pass_obj.pk}/suspend/", {"reason": "x"})
    assert answer.status_code == 403
    answer = theirs.post(f"/parking/staff/passes/{pass_obj.pk}/cancel/", {"reason": "x"})
    assert answer.status_code == 403
    pass_obj.refresh_from_db()
    assert pass_obj.status == Pass.Status.ACTIVE


def test_an_operator_cannot_act_on_another_garage(
    people: dict[str, Any], garage: Garage, monthly: Product
) -> None:
    client = logged_in(people["other_operator"])
    assert client.post(f"/parking/operator/{garage.pk}/", {"occupied": 5}).status_code == 403
    assert client.post(f"/parking/operator/{garage.pk}/devices/", {"gate": "x"}).status_code == 403
    assert not GateDevice.objects.exists() and not OccupancyCount.objects.exists()


def test_the_operator_declares_a_plan_and_sets_a_price(
    operator: Any, garage: Garage, sell: Any
) -> None:
    sell(["浙A12345"])  # the night plan has sold: a change starts next period
    client = logged_in(operator)
    url = f"/parking/operator/{garage.pk}/plans/"
    today_change = client.post(
        url,
        {
            "form": "plan",
            "code": "night",
            "name": "夜间",
            "capacity": 5,
            "hours": "Mo-Fr 19:00-07:30",
            "valid_from": "2000-01-01",
        },
    )
    assert 'data-testid="error-valid_from"' in today_change.content.decode()
    bad_hours = client.post(
        url, {"form": "plan", "code": "night", "name": "夜间", "capacity": 5, "hours": "nonsense"}
    )
    assert 'data-testid="error-hours"' in bad_hours.content.decode()
    done = client.post(
        url,
        {
            "form": "plan",
            "code": "night",
            "name": "夜间",
            "capacity": 5,
            "hours": "Mo-Fr 19:00-07:30",
        },
    )
    assert done.status_code == 302
    assert SharingPlan.objects.filter(garage=garage, capacity=5).get().valid_from.day == 1
    assert 'data-testid="plan-future"' in client.get(url).content.decode()
    client.post(
        url,
        {
            "form": "product",
            "plan_code": "night",
            "kind": "yearly",
            "price_yuan": "2999.50",
            "active": "on",
        },
    )
    assert Product.objects.get(kind="yearly").price_fen == 299950
    assert "¥2999.50" in client.get(url).content.decode()


def test_a_device_token_is_shown_once(operator: Any, garage: Garage) -> None:
    client = logged_in(operator)
    url = f"/parking/operator/{garage.pk}/devices/"
    issued = client.post(url, {"gate": "north"}).content.decode()
    assert 'data-testid="device-token">gate_' in issued
    assert 'data-testid="device-token"' not in client.get(url).content.decode()
    device = GateDevice.objects.get()
    client.post(f"/parking/operator/devices/{device.pk}/revoke/")
    device.refresh_from_db()
    assert device.revoked_at is not None


def test_the_operator_records_a_count(operator: Any, garage: Garage) -> None:
    client = logged_in(operator)
    answer = client.post(f"/parking/operator/{garage.pk}/", {"occupied": 42, "note": "早班"})
    assert answer.status_code == 302
    garage.refresh_from_db()
    assert garage.occupied == 42 and garage.counted_at is not None
    page = client.get(f"/parking/operator/{garage.pk}/").content.decode()
    assert 'data-testid="occupied">42' in page


def test_staff_confirm_move_suspend_and_refund(
    staff_jinxiu: Any, make_resident: Any, make_application: Any, monthly: Product, sell: Any
) -> None:
    client = logged_in(staff_jinxiu)
    resident = make_resident()
    order = passes.buy(resident, make_application(resident, ["浙A10001"]), monthly)
    wrong = client.post(
        f"/parking/staff/orders/{order.number}/confirm/",
        {f"{order.number}-reference": "R1", f"{order.number}-amount_yuan": "1.00"},
        follow=True,
    )
    assert "not 100" in wrong.content.decode()
    order.refresh_from_db()
    assert order.status == "pending"
    # Two more residents wait for the full plan; staff put the second first.
    sell(["浙A10002"])
    waiting = []
    for plate in ("浙A10003", "浙A10004"):
        app = make_application(make_resident(), [plate])
        waiting.append(
            WaitingListEntry.objects.create(
                application=app, garage=monthly.garage, plan_code="night", rank=len(waiting) + 1
            )
        )
    assert "浙A***03" in client.get("/parking/staff/waiting/").content.decode()
    client.post(f"/parking/staff/waiting/{waiting[1].pk}/move/", {"rank": 1})
    waiting[0].refresh_from_db()
    assert waiting[0].rank == 2
    client.post(f"/parking/staff/waiting/{waiting[0].pk}/remove/")
    waiting[0].refresh_from_db()
    assert waiting[0].status == "removed"
    pass_obj = Pass.objects.get(status="active")
    client.post(f"/parking/staff/passes/{pass_obj.pk}/suspend/", {"reason": "三次超时"})
    pass_obj.refresh_from_db()
    assert pass_obj.status == "suspended"
    client.post(f"/parking/staff/passes/{pass_obj.pk}/reinstate/")
    client.post(f"/parking/staff/passes/{pass_obj.pk}/cancel/", {"reason": "搬家"})
    refund = Refund.objects.get()
    assert "¥" in client.get("/parking/staff/refunds/").content.decode()
    client.post(f"/parking/staff/refunds/{refund.pk}/complete/", {"reference": "BANK-77"})
    refund.refresh_from_db()
    assert refund.status == "completed"
