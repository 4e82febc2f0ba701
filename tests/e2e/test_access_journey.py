"""Access control in Chromium, phone and desktop, zh and en (R5).

A resident with a red health code tries the north gate three times; the community's staff
find exactly one alert in the inbox with its three attempts and the log around it, and
acknowledge it with a note. A resident issues a visitor pass and sees it as a QR code.
Every page must fit a phone without sideways scrolling; screenshots are saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from django.utils import timezone
from playwright.sync_api import Page, expect

from access.factories import HOME, STREET, add_device, add_point, add_resident, health_row, ingest
from shequ.access.models import Alert
from shequ.access.providers import forget_snapshots
from shequ.access.services import decide
from shequ.access.services.decide import CheckIn
from shequ.core.models import Role
from shequ.hub.services.catalog import load_catalog

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

VIEWS = [("phone", "zh"), ("desktop", "zh"), ("phone", "en"), ("desktop", "en")]


@pytest.fixture
def red_attempts(regions: dict[str, Any], make_user: Any, tmp_path: Path) -> Alert:
    forget_snapshots()
    staff = make_user(Role.COMMUNITY_STAFF, HOME, username="jinxiu", first_name="陈静")
    load_catalog(region=regions[STREET])
    ingest(tmp_path, "health_code_status", [health_row(1, "red")])
    device, _raw = add_device(staff, add_point(regions[HOME]))
    add_resident(staff, regions[HOME], 1, ref="V1")
    answers = [
        decide.check(device, CheckIn(f"e{n}", "face", "V1", timezone.now())) for n in range(3)
    ]
    assert [a.display for a in answers] == ["红码 请联系物业"] * 3
    forget_snapshots()
    return Alert.objects.get()


@pytest.mark.parametrize(("size", "lang"), VIEWS)
def test_staff_acknowledge_the_one_alert_of_repeated_attempts(
    new_page: Callable[[str], Page], snap: Any, red_attempts: Alert, size: str, lang: str
) -> None:
    page = new_page(size)
    log_in(page, "jinxiu", lang)
    page.goto("/access/alerts/")
    rows = page.get_by_test_id("alerts").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("3")
    assert_fits(page)
    snap(page, f"access-alerts-{size}-{lang}")
    rows.first.locator("a").click()
    expect(page.get_by_test_id("attempts")).to_have_text("3")
    expect(page.get_by_test_id("events").locator("tbody tr")).to_have_count(3)
    assert_fits(page)
    page.locator("#id_note").fill("已电话联系，居家观察")
    page.get_by_test_id("acknowledge").click()
    expect(page.get_by_test_id("alert-status")).to_contain_text(
        "已处理" if lang == "zh" else "Acknowledged"
    )
    snap(page, f"access-alert-{size}-{lang}")
    red_attempts.refresh_from_db()
    assert red_attempts.status == "acknowledged" and red_attempts.note == "已电话联系，居家观察"


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh"), ("phone", "en")])
def test_a_resident_issues_a_visitor_pass_and_shows_its_qr(
    new_page: Callable[[str], Page],
    snap: Any,
    regions: dict[str, Any],
    make_user: Any,
    size: str,
    lang: str,
) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, HOME, username="jinxiu")
    resident = make_user(Role.RESIDENT, HOME, username="wufang")
    add_point(regions[HOME])
    add_resident(staff, regions[HOME], 1, ref="V1", user=resident)
    page = new_page(size)
    log_in(page, "wufang", lang)
    page.goto("/access/me/passes/")
    assert_fits(page)
    page.locator("#id_visitor").fill("张三")
    page.locator("#id_max_uses").fill("2")
    page.get_by_test_id("pass-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("pass-qr")).to_be_visible()
    page.wait_for_function(  # the SVG loaded and drew (a broken image has no width)
        "() => { const img = document.querySelector('[data-testid=pass-qr]');"
        " return img.complete && img.naturalWidth > 0; }"
    )
    assert_fits(page)
    snap(page, f"access-pass-{size}-{lang}")
    page.get_by_test_id("revoke").click()
    revoked = re.compile("已吊销|已撤销" if lang == "zh" else "Revoked")
    expect(page.get_by_test_id("passes")).to_contain_text(revoked)
