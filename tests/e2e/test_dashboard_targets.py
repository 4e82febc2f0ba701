"""Changing an indicator's target in Chromium: community staff on a phone in Chinese, street
staff on a desktop in English; a bad value shows its error beside the field. Screenshots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from playwright.sync_api import Page, expect

from dashboard.factories import HOME, STREET
from shequ.core.models import Role
from shequ.dashboard.models import Target

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

KEY = "timebank.volunteers"


@pytest.mark.parametrize(
    ("size", "lang", "role", "region"),
    [("phone", "zh", Role.COMMUNITY_STAFF, HOME), ("desktop", "en", Role.STREET_STAFF, STREET)],
)
def test_staff_change_a_target_and_see_a_bad_value_refused(
    new_page: Callable[[str], Page], snap: Any, make_user: Any,
    size: str, lang: str, role: str, region: str,
) -> None:  # fmt: skip
    make_user(role, region, username="lishe")
    page = new_page(size)
    log_in(page, "lishe", lang)
    page.goto(f"/dashboard/?region={region}")
    page.get_by_test_id("nav-targets").click()
    row = page.get_by_test_id(f"target-{KEY}")
    row.locator("input[name=target]").fill("很多")
    row.get_by_test_id(f"save-{KEY}").click()
    error = page.get_by_test_id(f"target-{KEY}").get_by_test_id("target-error")
    expect(error).to_contain_text("数字" if lang == "zh" else "number")
    assert_fits(page)
    snap(page, f"dashboard-target-error-{size}-{lang}")
    row = page.get_by_test_id(f"target-{KEY}")
    row.locator("input[name=target]").fill("120")
    row.get_by_test_id(f"save-{KEY}").click()
    expect(page.locator(".messages")).to_be_visible()
    expect(page.get_by_test_id(f"target-{KEY}")).to_contain_text("120")
    assert_fits(page)
    snap(page, f"dashboard-targets-{size}-{lang}")
    assert Target.objects.get(indicator=KEY).region.code == region
