"""A resident's home page in Chromium on a phone, in Chinese: the entries to their community's
public figures and to "Rate a service", and where they lead. Screenshots are saved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from playwright.sync_api import Page, expect

from dashboard.factories import HOME
from shequ.core.models import Role
from shequ.dashboard.models import Feedback
from shequ.dashboard.services import refresh

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_a_resident_finds_the_community_figures_and_rates_a_service_from_home(
    new_page: Callable[[str], Page], snap: Any, make_user: Any
) -> None:
    make_user(Role.RESIDENT, HOME, username="wuju")
    refresh.run(force=True)

    page = new_page("phone")
    log_in(page, "wuju", "zh")
    page.goto("/")
    modules = page.get_by_test_id("modules")
    figures = modules.locator('[data-module="community_figures"]')
    rate = modules.locator('[data-module="rate_service"]')
    expect(figures).to_contain_text("社区指标")
    expect(figures).to_contain_text("锦绣社区")
    expect(rate).to_contain_text("评价服务")
    expect(modules.locator('[data-module="dashboard"]')).to_have_count(0)  # staff's dashboards
    assert_fits(page)
    snap(page, "resident-home-phone-zh")

    figures.click()
    page.wait_for_url("**/dashboard/phone/")
    expect(page.locator("h1")).to_have_text("锦绣社区")
    expect(page.get_by_test_id("phone-figures").locator(".dash-card").first).to_be_visible()
    assert_fits(page)
    snap(page, "resident-community-figures-phone-zh")

    page.goto("/")
    page.locator('[data-module="rate_service"]').click()
    page.wait_for_url("**/dashboard/feedback/rate/")
    form = page.get_by_test_id("rate-any-service")
    form.get_by_test_id("rate-service-choice").select_option("timebank")
    form.get_by_test_id("rate-4").click()
    form.get_by_test_id("rate-comment").fill("志愿者很准时")
    assert_fits(page)
    snap(page, "resident-rate-service-phone-zh")
    form.get_by_test_id("rate-send").click()
    page.wait_for_url("**/dashboard/feedback/mine/")
    expect(page.get_by_test_id("my-feedback")).to_contain_text("志愿者很准时")
    made = Feedback.objects.get()
    assert (made.service, made.rating, made.region.code) == ("timebank", 4, HOME)


def test_staff_do_not_get_the_residents_entries(
    new_page: Callable[[str], Page], make_user: Any
) -> None:
    make_user(Role.COMMUNITY_STAFF, HOME, username="lishe")
    page = new_page("phone")
    log_in(page, "lishe", "zh")
    page.goto("/")
    modules = page.get_by_test_id("modules")
    expect(modules.locator('[data-module="dashboard"]')).to_have_count(1)
    expect(modules.locator('[data-module="rate_service"]')).to_have_count(0)
    expect(modules.locator('[data-module="community_figures"]')).to_have_count(0)
