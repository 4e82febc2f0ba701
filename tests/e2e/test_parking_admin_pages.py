"""The operator's and staff's parking admin pages in Chromium, phone and desktop, zh and en.

The operator of 望湖大厦 registers a tenant's plate and reveals a masked plate from the gate
events (with a reason); community staff add a public holiday, add and edit an estate, and
reveal a pass's plates; a resident's order page turns to "paid" by itself once staff confirm
the payment. Every page must fit a phone without sideways scrolling; screenshots are saved.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from parking.factories import HOME, add_estate, add_garage, add_gate_event, add_plan, add_product
from parking_people import add_application, add_resident_account
from shequ.core.models import Membership, Role
from shequ.parking.models import (
    Application,
    Estate,
    Order,
)
from shequ.parking.services import passes, payments, periods

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

VIEWS = [("phone", "zh"), ("desktop", "zh"), ("phone", "en"), ("desktop", "en")]

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]


def _resident(estate: Estate, phone: str, plate: str) -> tuple[Any, Application]:
    user = get_user_model().objects.create_user(username=f"r{phone}")
    add_resident_account(user, estate, phone)
    Membership.objects.create(user=user, region=estate.region, role=Role.RESIDENT)
    return user, add_application(user, estate, [plate])


@pytest.fixture
def place(regions: dict[str, Any], make_user: Any) -> dict[str, Any]:
    operator = make_user(Role.GARAGE_OPERATOR, HOME, username="wanghu", first_name="陈经理")
    staff = make_user(Role.COMMUNITY_STAFF, HOME, username="jinxiu", first_name="陈静")
    estate = add_estate(regions[HOME])
    garage = add_garage(regions[HOME], operator, entrances=["north"], normal_rule="tenant")
    add_plan(garage, capacity=5)
    product = add_product(garage)
    for n, plate in enumerate(["浙A12345", "浙B67890", "沪C24680"], start=1):
        at = timezone.now() - timedelta(minutes=10 * n)
        add_gate_event(garage, plate, n, at=at, confidence=0.95, decision="deny", open=False)
    user, app = _resident(estate, "13900002222", "浙A55555")
    order = passes.buy(user, app, product)
    payments.confirm_offline(staff, order, reference="CASH-1", amount_fen=order.amount_fen)
    return {"garage": garage, "estate": estate, "staff": staff, "product": product}


def test_operator_manages_tenant_plates_and_reveals_a_read(
    new_page: NewPage, snap: Snap, place: dict[str, Any]
) -> None:
    garage = place["garage"]
    for n, (size, lang) in enumerate(VIEWS):
        tag = f"{size}-{lang}"
        page = new_page(size)
        log_in(page, "wanghu", lang)
        page.goto(f"/parking/operator/{garage.pk}/")
        page.get_by_test_id("nav-tenants").click()
        page.wait_for_url("**/tenants/")
        page.locator("#id_plate").fill("浙A1234")
        page.get_by_test_id("tenant-submit").click()
        expect(page.get_by_test_id("error-plate")).to_be_visible()
        page.locator("#id_plate").fill(f"浙A8888{n}")
        page.get_by_test_id("tenant-submit").click()
        page.wait_for_url("**/tenants/")
        expect(page.get_by_test_id("tenant-row")).to_have_count(n + 1)
        expect(page.get_by_test_id("tenants")).not_to_contain_text(f"浙A8888{n}")
        assert_fits(page)
        snap(page, f"parking-admin-tenants-{tag}")

        page.goto(f"/parking/operator/{garage.pk}/")
        page.get_by_test_id("events").get_by_test_id("reveal-event").first.click()
        page.wait_for_url("**/operator/reveal/event/**")
        page.get_by_test_id("reveal-submit").click()
        expect(page.get_by_test_id("error-reason")).to_be_visible()
        page.locator("#id_reason").fill("居民申诉" if lang == "zh" else "resident appeal")
        page.get_by_test_id("reveal-submit").click()
        expect(page.get_by_test_id("clear-plate")).to_have_text("浙A12345")
        assert_fits(page)
        snap(page, f"parking-admin-reveal-{tag}")
        page.get_by_test_id("reveal-back").click()
        page.wait_for_url(f"**/parking/operator/{garage.pk}/")
        if size == "phone":
            assert_fits(page)
            snap(page, f"parking-admin-garage-{tag}")


def test_staff_manage_holidays_and_estates(
    new_page: NewPage, snap: Snap, place: dict[str, Any]
) -> None:
    for n, (size, lang) in enumerate(VIEWS):
        tag = f"{size}-{lang}"
        page = new_page(size)
        log_in(page, "jinxiu", lang)
        page.goto("/parking/staff/")
        page.get_by_test_id("nav-holidays").click()
        page.wait_for_url("**/parking/staff/holidays/")
        page.locator("#id_day").fill("2020-05-01")
        page.get_by_test_id("holiday-submit").click()
        expect(page.get_by_test_id("error-day")).to_be_visible()
        day = periods.today() + timedelta(days=20 + n)
        page.locator("#id_day").fill(day.isoformat())
        page.locator("#id_name").fill("社区文化节" if lang == "zh" else "Community day")
        page.get_by_test_id("holiday-submit").click()
        page.wait_for_url("**/parking/staff/holidays/")
        expect(page.get_by_test_id("holiday-row")).to_have_count(n + 1)
        assert_fits(page)
        snap(page, f"parking-admin-holidays-{tag}")

        page.get_by_test_id("nav-estates").click()
        page.wait_for_url("**/parking/staff/estates/")
        page.get_by_test_id("estate-new").click()
        page.locator("#id_code").fill(f"E10{n}")
        page.locator("#id_name").fill(f"和园{n}期")
        page.locator("#id_slug").fill("jinxiu")  # taken
        page.locator("#id_lat").fill("91")
        page.locator("#id_lon").fill("120.16")
        page.get_by_test_id("estate-submit").click()
        expect(page.get_by_test_id("error-lat")).to_be_visible()
        assert_fits(page)
        snap(page, f"parking-admin-estate-errors-{tag}")
        page.locator("#id_lat").fill("30.27")
        page.get_by_test_id("estate-submit").click()
        expect(page.get_by_test_id("error-slug")).to_be_visible()
        page.locator("#id_slug").fill(f"heyuan-{n}")
        page.get_by_test_id("estate-submit").click()
        page.wait_for_url("**/parking/staff/estates/")
        expect(page.get_by_test_id("estate-row")).to_have_count(n + 2)
        assert_fits(page)
        snap(page, f"parking-admin-estates-{tag}")
        page.get_by_test_id("estate-edit").first.click()
        page.locator("#id_shortfall").fill("210")
        page.get_by_test_id("estate-submit").click()
        page.wait_for_url("**/parking/staff/estates/")
        expect(page.get_by_test_id("estates")).to_contain_text("210")

        page.goto("/parking/staff/passes/")
        page.get_by_test_id("reveal-pass").first.click()
        page.locator("#id_reason").fill("核对车辆")
        page.get_by_test_id("reveal-submit").click()
        expect(page.get_by_test_id("clear-plate")).to_have_text("浙A55555")
        assert_fits(page)
        if size == "phone":
            snap(page, f"parking-admin-reveal-pass-{tag}")


def test_the_order_page_turns_paid_by_itself(
    new_page: NewPage, snap: Snap, place: dict[str, Any], live_server: Any
) -> None:
    for n, (size, lang) in enumerate((("phone", "zh"), ("desktop", "en"))):
        user, app = _resident(place["estate"], f"1390000333{n}", f"浙A7777{n}")
        order = passes.buy(user, app, place["product"])
        client = Client()
        client.force_login(user)
        page = new_page(size)
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                },
                {"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": live_server.url},
            ]
        )
        page.goto(f"/parking/me/orders/{order.number}/")
        expect(page.get_by_test_id("pay-instructions")).to_be_visible()
        expect(page.get_by_test_id("hours")).to_have_text(
            "周一至周五 18:30–次日 08:00；周六、周日及法定节假日 全天"
            if lang == "zh"
            else "Mon–Fri 18:30–08:00 next day; Sat, Sun and public holidays all day"
        )
        assert_fits(page)
        snap(page, f"parking-admin-order-pending-{size}-{lang}")
        payments.confirm_offline(
            place["staff"], order, reference=f"CASH-2{n}", amount_fen=order.amount_fen
        )
        expect(page.get_by_test_id("order-paid")).to_be_visible(timeout=8_000)  # no reload
        expect(page.get_by_test_id("order-live")).not_to_have_attribute("hx-trigger", "every 3s")
        assert Order.objects.get(pk=order.pk).status == "paid"
        snap(page, f"parking-admin-order-paid-{size}-{lang}")
