"""The time bank journey in Chromium at phone size (R4.1): a daughter posts a request for her
father who lives alone; a neighbour volunteer takes it in the order hall, sees the exact
address, checks in and out; the daughter confirms and rates; the hours move."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from playwright.sync_api import Page, expect

from shequ.core.models import Role
from shequ.timebank.models import Order, Rating
from timebank.factories import HOME, add_member, seed

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]


def test_the_daughter_posts_for_her_father_and_a_neighbour_serves(
    new_page: NewPage, snap: Snap, regions: dict[str, Any], make_user: Any
) -> None:
    home = regions[HOME]
    staff = make_user(Role.COMMUNITY_STAFF, HOME, username="tbstaff")
    daughter = make_user(Role.RESIDENT, HOME, username="daughter")
    neighbour = make_user(Role.VOLUNTEER, HOME, username="neighbour")
    father = add_member(staff, home, name="张建国", estate="锦绣花园", building="3幢")
    father.carers.add(daughter)
    add_member(staff, home, user=neighbour, volunteer=True, estate="锦绣花园", building="3幢")
    seed(home, 600)

    her = new_page("phone")
    log_in(her, "daughter")
    her.goto("/timebank/ask/")
    her.get_by_label("助餐").check()
    her.locator("textarea[name=description]").fill("父亲独居，今晚想请人送一份热饭。")
    her.locator("input[name=address]").fill("锦绣花园3幢2单元501室")
    assert_fits(her)
    snap(her, "timebank-ask-phone")
    her.get_by_test_id("tb-post").click()
    expect(her.get_by_test_id("tb-status")).to_have_text("待接单")
    snap(her, "timebank-posted-phone")

    him = new_page("phone")
    log_in(him, "neighbour")
    him.goto("/timebank/hall/")
    expect(him.get_by_test_id("tb-request")).to_have_count(1)
    assert_fits(him)
    snap(him, "timebank-hall-phone")
    him.get_by_test_id("tb-request").get_by_role("link").click()
    him.get_by_test_id("tb-take").click()
    expect(him.get_by_test_id("tb-address")).to_have_text("锦绣花园3幢2单元501室")
    snap(him, "timebank-taken-phone")
    him.get_by_test_id("tb-check-in").click()
    him.locator("input[name=minutes]").fill("45")
    him.get_by_test_id("tb-check-out").click()
    expect(him.get_by_test_id("tb-order-status")).to_have_text("已完成")

    her.reload()
    expect(her.get_by_test_id("tb-order")).to_contain_text("已完成")
    her.get_by_test_id("tb-confirm").click()
    expect(her.get_by_test_id("tb-order-status")).to_have_text("已确认")
    her.locator("[data-testid=tb-rate] input[value='5']").check()
    her.locator("[data-testid=tb-rate] input[name=text]").fill("饭还是热的，谢谢邻居")
    her.get_by_test_id("tb-rate").get_by_role("button").click()
    snap(her, "timebank-confirmed-phone")

    him.goto("/timebank/hours/")
    expect(him.get_by_test_id("tb-hours")).to_contain_text("0.75")
    snap(him, "timebank-hours-phone")
    him.get_by_test_id("tb-certificate").click()
    expect(him.get_by_test_id("tb-certificate-page")).to_contain_text("0.75")
    snap(him, "timebank-certificate-phone")
    order = Order.objects.get()
    assert order.status == "confirmed" and order.transfer is not None
    assert order.transfer.minutes == 45
    assert Rating.objects.get().score == 5
