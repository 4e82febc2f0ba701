"""The whole resident journey in Chromium at phone size, from the QR link to the pass.

A resident of 锦绣花园 scans the estate's QR code, logs in with phone and one-time code (sent
through the SMS gateway's webhook channel, which the test reads), applies with a plate the
vehicle registrations know, buys a monthly pass and is told how to pay at the community office.
Community staff confirm the payment in a second browser; the resident sees the active pass.
The garage operator issues a gate device token in the browser; gate events for that plate open
the gate inside the sharing window and keep it closed outside. The guidance sign at 1920x1080
shows "no data" for a silent garage and the live number after a gate event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from playwright.sync_api import Page, expect

from fake_http import FakeServer
from parking.factories import HOME, add_estate, add_garage, add_plan, add_product, write_hub_data
from shequ.core.models import Role
from shequ.core.services.regions import create_channel
from shequ.parking.models import Garage, NormalRule, Product, SharingPlan
from shequ.parking.services import periods

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

STREET = "990102001000"
PHONE = "13900001111"
PLATE = "浙A12345"

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]


def switch_to_english(page: Page) -> None:
    page.get_by_test_id("lang-en").click()
    page.wait_for_load_state()


@pytest.fixture
def place(regions: dict[str, Any], make_user: Any, tmp_path: Path) -> dict[str, Any]:
    """An estate, an office garage sharing at night that keeps other cars out, its operator."""
    operator = make_user(Role.GARAGE_OPERATOR, HOME, username="wanghu", first_name="陈经理")
    estate = add_estate(regions[HOME])
    garage = add_garage(regions[HOME], operator, address="望湖路88号", normal_rule=NormalRule.DENY)
    add_plan(garage, capacity=20)
    add_product(garage)
    add_product(garage, kind="yearly", price_fen=300000)
    write_hub_data(regions, tmp_path, PHONE, [PLATE])
    return {"estate": estate, "garage": garage, "operator": operator}


@pytest.fixture
def sms_gateway(settings: Any, make_user: Any, server: FakeServer) -> FakeServer:
    """Login codes go through a webhook channel (the SMS gateway), here a local fake server."""
    channel = create_channel(
        make_user(Role.STREET_STAFF, STREET),
        region_code=STREET,
        name="短信网关",
        kind="webhook",
        config={"url": f"{server.url}/sms", "secret": "sms-secret-sms-secret"},
    )
    settings.PARKING_OTP_CHANNEL = channel.pk
    settings.PARKING_OTP_CONSOLE = False
    return server


def texted_code(server: FakeServer) -> str:
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", server.last.json()["body"])
    assert found, server.last.json()
    assert server.last.json()["title"] == PHONE  # the gateway needs the number
    return found.group(1)


def moment(day: date, hour: int) -> str:
    return datetime.combine(day, datetime.min.time()).replace(hour=hour).isoformat()


def next_day(start: date, weekdays: set[int]) -> date:
    day = start
    while day.weekday() not in weekdays:
        day += timedelta(days=1)
    return day


def post_gate(page: Page, token: str, event_id: str, at: str) -> dict[str, Any]:
    answer = page.request.post(
        "/api/v1/parking/gate-events",
        data=json.dumps(
            {
                "event_id": event_id,
                "garage": "G01",
                "gate": "north",
                "direction": "in",
                "plate": PLATE,
                "time": at,
                "confidence": 0.97,
            }
        ),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert answer.ok, answer.text()
    return dict(answer.json())


def test_resident_journey_from_qr_code_to_pass_and_gate(
    new_page: NewPage,
    snap: Snap,
    place: dict[str, Any],
    sms_gateway: FakeServer,
    make_user: Any,
) -> None:
    make_user(Role.COMMUNITY_STAFF, HOME, username="jinxiu", first_name="王晓")

    # The QR code on the estate's poster leads here.
    resident = new_page("phone")
    resident.goto("/parking/e/jinxiu/")
    expect(resident.get_by_test_id("estate-name")).to_have_text("锦绣花园")
    expect(resident.get_by_test_id("offer")).to_contain_text("望湖大厦地下车库")
    expect(resident.get_by_test_id("walking").first).to_contain_text("米")
    assert_fits(resident)
    snap(resident, "parking-01-estate-phone")

    # Phone and one-time code.
    resident.get_by_test_id("start").click()
    resident.wait_for_url("**/parking/login/**")
    resident.get_by_test_id("phone").fill("139 0000 1111")
    assert_fits(resident)
    snap(resident, "parking-02-login-phone")
    resident.get_by_test_id("send-code").click()
    expect(resident.get_by_test_id("code-sent")).to_contain_text("139****1111")
    code = texted_code(sms_gateway)
    resident.get_by_test_id("otp-code").fill("000000" if code != "000000" else "111111")
    resident.get_by_test_id("otp-submit").click()
    expect(resident.get_by_test_id("login-error")).to_be_visible()
    assert_fits(resident)
    snap(resident, "parking-03-login-wrong-code-phone")
    resident.get_by_test_id("otp-code").fill(code)
    resident.get_by_test_id("otp-submit").click()
    resident.wait_for_url("**/parking/e/jinxiu/apply/")

    # Apply with the plate: the vehicle registrations confirm it, no paper proof.
    resident.locator("input[name=plate1]").fill("浙a 12345")
    assert_fits(resident)
    snap(resident, "parking-04-apply-phone")
    resident.get_by_test_id("apply-submit").click()
    resident.wait_for_url("**/parking/me/applications/*/")
    expect(resident.get_by_test_id("application-status")).to_have_text("数据核验通过")
    expect(resident.get_by_test_id("checks")).to_contain_text("✓")
    expect(resident.get_by_test_id("buy").first).to_be_visible()
    assert_fits(resident)
    snap(resident, "parking-05-application-verified-phone")

    # Buy the monthly pass; pay at the community office.
    resident.get_by_test_id("product").filter(has_text="月").get_by_test_id("buy").click()
    resident.wait_for_url("**/parking/me/orders/*/")
    expect(resident.get_by_test_id("order-status")).to_have_text("待付款")
    expect(resident.get_by_test_id("pay-instructions")).to_contain_text("社区")
    expect(resident.get_by_test_id("order-amount")).to_have_text("¥300.00")
    number = resident.get_by_test_id("order-number").inner_text().strip()
    assert_fits(resident)
    snap(resident, "parking-06-order-phone")

    # Community staff confirm the cash payment (desktop, then phone size too).
    staff = new_page("desktop")
    log_in(staff, "jinxiu")
    staff.goto("/parking/staff/")
    staff.get_by_test_id("nav-orders").click()
    row = staff.locator(f"[data-order='{number}']")
    expect(row).to_contain_text("139****1111")
    expect(row).not_to_contain_text(PHONE)
    row.locator("input[name$=reference]").fill("XJ-20240601-01")
    assert_fits(staff)
    snap(staff, "parking-07-staff-confirm-desktop")
    row.get_by_test_id("confirm").click()
    staff.wait_for_url("**/parking/staff/orders/")
    expect(staff.locator(".messages")).to_contain_text(number)

    # The resident sees the active pass.
    resident.reload()
    expect(resident.get_by_test_id("order-status")).to_have_text("已付款")
    resident.get_by_test_id("see-pass").click()
    resident.wait_for_url("**/parking/me/passes/*/")
    expect(resident.get_by_test_id("pass-status")).to_have_text("有效")
    expect(resident.get_by_test_id("pass-plates")).to_have_text(PLATE)
    assert_fits(resident)
    snap(resident, "parking-08-pass-phone")
    resident.goto("/parking/me/")
    expect(resident.get_by_test_id("my-pass")).to_contain_text("望湖大厦地下车库")
    assert_fits(resident)
    snap(resident, "parking-09-my-parking-phone")

    # The operator issues a token for the north gate camera.
    operator = new_page("desktop")
    log_in(operator, "wanghu")
    operator.goto("/parking/operator/")
    operator.get_by_test_id("garage-link").click()
    operator.get_by_test_id("nav-devices").click()
    operator.locator("input[name=gate]").fill("north")
    operator.get_by_test_id("device-submit").click()
    token = operator.get_by_test_id("device-token").inner_text().strip()
    assert token.startswith("gate_")
    snap(operator, "parking-10-operator-device-desktop")

    # Gate events for the plate: closed on a weekday noon, open on a Saturday morning.
    today = periods.today()
    noon = moment(next_day(today + timedelta(days=1), {0, 1, 2, 3, 4}), 12)
    saturday = moment(next_day(today + timedelta(days=1), {5}), 10)
    closed = post_gate(resident, token, "ev-noon", noon)
    assert closed["open"] is False and closed["decision"] == "deny", closed
    opened = post_gate(resident, token, "ev-sat", saturday)
    assert opened["open"] is True and opened["decision"] == "shared", opened
    assert post_gate(resident, token, "ev-sat", saturday)["replayed"] is True
    operator.goto(f"/parking/operator/{place['garage'].pk}/")
    expect(operator.get_by_test_id("shared-inside")).to_contain_text("1")
    expect(operator.get_by_test_id("events")).to_contain_text("浙A***45")
    expect(operator.get_by_test_id("events")).not_to_contain_text(PLATE)
    assert_fits(operator)
    snap(operator, "parking-11-operator-live-desktop")
    operator_phone = new_page("phone")
    log_in(operator_phone, "wanghu")
    operator_phone.goto(f"/parking/operator/{place['garage'].pk}/")
    assert_fits(operator_phone)
    snap(operator_phone, "parking-12-operator-live-phone")

    # The same pages in English.
    switch_to_english(resident)
    expect(resident.get_by_test_id("my-pass")).to_contain_text("Active")
    assert_fits(resident)
    snap(resident, "parking-13-my-parking-phone-en")
    resident.goto("/parking/e/jinxiu/")
    assert_fits(resident)
    snap(resident, "parking-14-estate-phone-en")
    switch_to_english(staff)
    staff.goto("/parking/staff/")
    assert_fits(staff)
    snap(staff, "parking-15-staff-home-desktop-en")


def test_the_gate_sign_shows_no_data_then_the_live_number(
    browser: Any, live_server: Any, snap: Snap, place: dict[str, Any], settings: Any
) -> None:
    from shequ.parking.services import garages as garage_svc
    from shequ.parking.services import web_support

    web_support.forget_boards()
    garage = place["garage"]
    SharingPlan.objects.filter(garage=garage).update(hours="24/7")  # sharing now, whatever the hour
    other = Garage.objects.create(
        region=garage.region,
        code="G02",
        name="钱江商务中心车库",
        lat=30.2700,
        lon=120.1530,
        total_spaces=80,
    )
    SharingPlan.objects.create(
        garage=other,
        code="all",
        name="全天",
        capacity=12,
        hours="24/7",
        valid_from=date(2020, 1, 1),
    )
    Product.objects.create(garage=other, plan_code="all", kind="monthly", price_fen=20000)
    _device, token = garage_svc.issue_device(place["operator"], garage, "north")

    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1920, "height": 1080},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    try:
        page = context.new_page()
        page.goto("/parking/signs/jinxiu")
        lot = page.locator("[data-garage='G01']")
        expect(lot.get_by_test_id("sign-nodata")).to_have_text("无数据")
        snap(page, "parking-sign-nodata-1920")
        post_gate(page, token, "sign-1", datetime.now().isoformat())
        # The page polls its board every 2 s; the board is cached for 1 s.
        expect(lot.get_by_test_id("sign-free")).to_have_text("20", timeout=15_000)
        expect(page.locator("[data-garage='G02']").get_by_test_id("sign-nodata")).to_be_visible()
        size = page.evaluate("() => document.documentElement.scrollHeight")
        assert size <= 1080, "the sign must fit the screen without scrolling"
        snap(page, "parking-sign-live-1920")
    finally:
        context.close()
