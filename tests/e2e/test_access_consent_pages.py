"""Consent and devices in Chromium, phone and desktop, zh and en (issue 19's views).

A resident withdraws her consent to face recognition on her phone; the staff's consent
records show the withdrawal and how many doors have confirmed deleting the enrolment (none,
then all once the door confirms over its API). Staff issue a device token on a door's page
and see it once. Every page fits a phone; screenshots are saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from playwright.sync_api import Page, expect

from access.factories import HOME, add_device, add_point, add_resident, device_client
from shequ.access.models import Consent, Device
from shequ.access.providers import forget_snapshots
from shequ.core.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.fixture
def enrolled(regions: dict[str, Any], make_user: Any) -> dict[str, Any]:
    forget_snapshots()
    staff = make_user(Role.COMMUNITY_STAFF, HOME, username="jinxiu", first_name="陈静")
    resident = make_user(Role.RESIDENT, HOME, username="wufang")
    point = add_point(regions[HOME])
    _device, raw = add_device(staff, point)
    credential = add_resident(staff, regions[HOME], 1, ref="V1", user=resident)
    return {"credential": credential, "raw": raw, "point": point}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_resident_withdraws_consent_and_staff_see_the_doors_confirm(
    new_page: Callable[[str], Page], snap: Any, enrolled: dict[str, Any], lang: str
) -> None:
    phone = new_page("phone")
    log_in(phone, "wufang", lang)
    phone.goto("/access/me/consent/")
    assert_fits(phone)
    snap(phone, f"access-my-consent-phone-{lang}")
    phone.get_by_test_id("withdraw").click()  # the box is not ticked: the browser says so
    expect(phone.get_by_test_id("withdrawn")).to_have_count(0)
    phone.locator("input[name=confirm]").check()
    phone.get_by_test_id("withdraw").click()
    expect(phone.get_by_test_id("withdrawn")).to_be_visible()
    assert_fits(phone)
    snap(phone, f"access-my-consent-withdrawn-phone-{lang}")
    consent = Consent.objects.get(credential=enrolled["credential"])
    assert consent.withdrawn_at is not None and consent.withdrawal_channel == "app"

    desk = new_page("desktop")
    log_in(desk, "jinxiu", lang)
    desk.goto("/access/consents/")
    none_yet = "已确认 0/1" if lang == "zh" else "0 of 1 confirmed"
    expect(desk.get_by_test_id("removals").first).to_have_text(none_yet)
    door = device_client(enrolled["raw"])
    pending = door.get("/api/v1/access/removals").json()
    assert [p["ref"] for p in pending] == ["V1"]
    assert door.post(f"/api/v1/access/removals/{pending[0]['id']}/done").status_code == 200
    desk.reload()
    expect(desk.get_by_test_id("removals").first).to_have_text(
        "已确认 1/1" if lang == "zh" else "1 of 1 confirmed"
    )
    snap(desk, f"access-consents-desktop-{lang}")


@pytest.mark.parametrize(
    ("size", "lang"), [("phone", "zh"), ("desktop", "zh"), ("phone", "en"), ("desktop", "en")]
)
def test_staff_issue_a_device_token_and_see_it_once(
    new_page: Callable[[str], Page], snap: Any, enrolled: dict[str, Any], size: str, lang: str
) -> None:
    page = new_page(size)
    log_in(page, "jinxiu", lang)
    page.goto("/access/points/")
    assert_fits(page)
    snap(page, f"access-points-{size}-{lang}")
    page.get_by_test_id("points").get_by_role("link", name="北门").click()
    page.locator("#id_name").fill("北门二维码")
    page.locator("#id_kind").select_option("qr")
    page.locator("form.form button[type=submit]").click()
    token = page.get_by_test_id("device-token")
    expect(token).to_contain_text(re.compile(r"door_\S+"))
    expect(page.get_by_test_id("devices")).to_contain_text("北门二维码")
    assert_fits(page)
    snap(page, f"access-point-token-{size}-{lang}")
    page.goto(page.url)  # shown once: not when the page is opened again
    expect(page.get_by_test_id("device-token")).to_have_count(0)
    assert Device.objects.filter(point=enrolled["point"], kind="qr").count() == 1
