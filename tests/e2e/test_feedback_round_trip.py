"""Residents' feedback in Chromium: a resident rates the visitor-pass service from its page,
the community's staff answer in the feedback inbox, the resident reads the reply. Phone in
Chinese, desktop in English; screenshots are saved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from playwright.sync_api import Page, expect

from dashboard.factories import HOME
from shequ.core.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh"), ("desktop", "en")])
def test_a_resident_comments_staff_reply_and_the_resident_sees_it(
    new_page: Callable[[str], Page], snap: Any, make_user: Any, size: str, lang: str
) -> None:
    make_user(Role.RESIDENT, HOME, username="wuju")
    make_user(Role.COMMUNITY_STAFF, HOME, username="lishe")

    resident = new_page(size)
    log_in(resident, "wuju", lang)
    resident.goto("/access/me/passes/")
    form = resident.get_by_test_id("rate-service")
    form.get_by_test_id("rate-2").click()
    form.get_by_test_id("rate-comment").fill("访客码扫不出来，请回电13812345678")
    assert_fits(resident)
    snap(resident, f"feedback-rate-{size}-{lang}")
    form.get_by_test_id("rate-send").click()
    resident.wait_for_url("**/access/me/passes/")
    expect(resident.locator(".messages")).to_be_visible()

    staff = new_page(size)
    log_in(staff, "lishe", lang)
    staff.goto("/dashboard/feedback/inbox/?unanswered=1")
    item = staff.get_by_test_id("inbox").locator("li.card")
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("comment")).not_to_contain_text("13812345678")
    item.get_by_test_id("reply-text").fill("已更换扫码器，谢谢反馈。")
    assert_fits(staff)
    snap(staff, f"feedback-inbox-{size}-{lang}")
    item.get_by_test_id("reply-send").click()
    staff.wait_for_load_state()
    expect(staff.get_by_test_id("inbox").locator("li.card")).to_have_count(0)

    resident.goto("/dashboard/feedback/mine/")
    expect(resident.get_by_test_id("reply")).to_contain_text("已更换扫码器")
    assert_fits(resident)
    snap(resident, f"feedback-mine-{size}-{lang}")
