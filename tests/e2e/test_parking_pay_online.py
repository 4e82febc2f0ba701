"""A resident pays a pass online at the demo cashier, in Chromium, phone and desktop, zh and en.

The order page offers "pay online" beside the office instructions; the demo cashier shows the
amount, a QR code, Pay and Cancel; paying sends the signed notification to the platform and
brings the resident back to the order page, now paid, with a link to the active pass. Staff
then refund part of it from the payments page (through the provider), and a cancelled
payment leaves the order payable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import Page, expect

from parking.factories import HOME, add_estate, add_garage, add_plan, add_product
from parking_people import add_application, add_resident_account
from shequ.core.models import AuditEvent, Membership, Role
from shequ.parking.models import (
    DemoTrade,
    Order,
    Pass,
    PaymentIntent,
    Refund,
)
from shequ.parking.providers import demo_cashier
from shequ.parking.providers.demo_cashier import HEADER
from shequ.parking.services import passes

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

VIEWS = [("phone", "zh"), ("desktop", "zh"), ("phone", "en"), ("desktop", "en")]
TEXT = {
    "zh": {"paid": "已付款", "pay": "在线支付", "demo": "不会收取真实款项"},
    "en": {"paid": "Paid", "pay": "Pay online", "demo": "no real money"},
}

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]


@pytest.fixture(autouse=True)
def _demo(settings: Any) -> None:
    settings.PAYMENT_PROVIDER = "demo"


@pytest.fixture
def place(regions: dict[str, Any], make_user: Any) -> dict[str, Any]:
    staff = make_user(Role.COMMUNITY_STAFF, HOME, username="jinxiu", first_name="陈静")
    estate = add_estate(regions[HOME])
    garage = add_garage(regions[HOME])
    add_plan(garage, capacity=10)
    product = add_product(garage)
    return {"estate": estate, "staff": staff, "product": product}


def _order(place: dict[str, Any], n: int) -> Order:
    user = get_user_model().objects.create_user(username=f"payer{n}")
    add_resident_account(user, place["estate"], f"1390000333{n}")
    Membership.objects.create(user=user, region=place["estate"].region, role=Role.RESIDENT)
    app = add_application(user, place["estate"], [f"浙A6660{n}"])
    return passes.buy(user, app, place["product"])


def _as(page: Page, user: Any, live_server: Any) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_resident_pays_online_at_the_demo_cashier(
    new_page: NewPage, snap: Snap, place: dict[str, Any], live_server: Any
) -> None:
    for n, (size, lang) in enumerate(VIEWS):
        tag = f"{size}-{lang}"
        order = _order(place, n)
        page = new_page(size)
        _as(page, order.resident, live_server)
        page.goto(f"/parking/me/orders/{order.number}/")
        if lang == "en":
            page.get_by_test_id("lang-en").click()
            page.wait_for_load_state()
        pay = page.get_by_test_id("pay-online")
        expect(pay).to_have_text(TEXT[lang]["pay"])
        expect(page.get_by_test_id("pay-office")).to_contain_text(order.number)
        assert_fits(page)
        snap(page, f"pay-order-{tag}")

        pay.click()
        page.wait_for_url("**/parking/pay/demo/**")
        expect(page.get_by_test_id("cashier-amount")).to_have_text("¥300.00")
        expect(page.get_by_test_id("demo-banner")).to_contain_text(TEXT[lang]["demo"])
        expect(page.locator(".cashier-qr svg")).to_be_visible()
        assert_fits(page)
        snap(page, f"pay-cashier-{tag}")

        page.get_by_test_id("cashier-pay").click()
        page.wait_for_url(f"**/parking/me/orders/{order.number}/")
        expect(page.get_by_test_id("order-status")).to_have_text(TEXT[lang]["paid"])
        expect(page.get_by_test_id("order-paid")).to_be_visible()
        expect(page.get_by_test_id("pay-online")).to_have_count(0)
        assert_fits(page)
        snap(page, f"pay-paid-{tag}")
        page.get_by_test_id("see-pass").click()
        page.wait_for_url("**/parking/me/passes/**")
        assert Pass.objects.get(pk=order.pass_obj_id).status == "active"
        intent = PaymentIntent.objects.get(order=order)
        assert intent.status == "paid" and intent.answer is not None
        page.context.close()


def test_a_cancelled_payment_leaves_the_order_payable(
    new_page: NewPage, snap: Snap, place: dict[str, Any], live_server: Any
) -> None:
    order = _order(place, 7)
    page = new_page("phone")
    _as(page, order.resident, live_server)
    page.goto(f"/parking/me/orders/{order.number}/")
    page.get_by_test_id("pay-online").click()
    page.wait_for_url("**/parking/pay/demo/**")
    page.get_by_test_id("cashier-cancel").click()
    page.wait_for_url(f"**/parking/me/orders/{order.number}/")
    expect(page.get_by_test_id("order-status")).to_have_text("待付款")
    expect(page.get_by_test_id("pay-online")).to_be_visible()
    snap(page, "pay-cancelled-phone-zh")
    page.get_by_test_id("pay-online").click()  # a second attempt, a new cashier trade
    page.wait_for_url("**/parking/pay/demo/**")
    assert DemoTrade.objects.count() == 2
    page.get_by_test_id("cashier-pay").click()
    page.wait_for_url(f"**/parking/me/orders/{order.number}/")
    expect(page.get_by_test_id("order-paid")).to_be_visible()


def test_staff_refund_part_of_an_online_payment_from_the_payments_page(
    new_page: NewPage, snap: Snap, place: dict[str, Any], live_server: Any
) -> None:
    for n, (size, lang) in enumerate([("desktop", "zh"), ("phone", "en")]):
        order = _order(place, 8 + n)
        page = new_page(size)
        _as(page, order.resident, live_server)
        page.goto(f"/parking/me/orders/{order.number}/")
        page.get_by_test_id("pay-online").click()
        page.get_by_test_id("cashier-pay").click()
        page.wait_for_url(f"**/parking/me/orders/{order.number}/")

        staff_page = new_page(size)
        log_in(staff_page, "jinxiu", lang)
        staff_page.goto(f"/parking/staff/orders/?q={order.number}")
        form = staff_page.get_by_test_id("refund-form")
        form.locator("input[name$='amount_yuan']").fill("100")
        form.locator("input[name$='reason']").fill(
            "少用一个月" if lang == "zh" else "one month unused"
        )
        form.get_by_test_id("refund").click()
        staff_page.wait_for_load_state()
        expect(staff_page.locator(".messages")).to_contain_text("100.00")
        expect(staff_page.get_by_test_id("refunded")).to_contain_text("100.00")
        assert_fits(staff_page)
        snap(staff_page, f"pay-staff-refund-{size}-{lang}")
        refund = Refund.objects.get(order=order)
        assert (refund.amount_fen, refund.status, refund.provider) == (10000, "completed", "demo")
    assert AuditEvent.objects.filter(action="parking.refund.provider").count() == 2


def test_a_notification_posted_over_http_turns_the_open_order_page_paid(
    new_page: NewPage, snap: Snap, place: dict[str, Any], live_server: Any
) -> None:
    """What a real provider does: its server posts the signed notification to the endpoint
    while the payer's order page is open; the page (polling) shows the payment by itself."""
    order = _order(place, 9)
    page = new_page("phone")
    _as(page, order.resident, live_server)
    page.goto(f"/parking/me/orders/{order.number}/")
    page.get_by_test_id("pay-online").click()
    page.wait_for_url("**/parking/pay/demo/**")
    page.goto(f"/parking/me/orders/{order.number}/")  # the payer pays in another app
    expect(page.get_by_test_id("order-status")).to_have_text("待付款")
    trade = demo_cashier.pay(DemoTrade.objects.get())
    body, headers = demo_cashier.notification(trade)
    path = "/api/v1/parking/payments/callback/demo"
    assert trade.notify_url == live_server.url + path
    forged = page.request.post(path, data=body, headers={**headers, HEADER: "0" * 64})
    assert forged.status == 403
    answer = page.request.post(path, data=body, headers=headers)
    assert answer.status == 200 and answer.json()["pass_status"] == "active"
    again = page.request.post(path, data=body, headers=headers)
    assert again.body() == answer.body()
    expect(page.get_by_test_id("order-status")).to_have_text("已付款", timeout=10_000)
    expect(page.get_by_test_id("see-pass")).to_be_visible()
    snap(page, "pay-notified-phone-zh")
