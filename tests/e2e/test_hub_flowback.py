"""Flowback in the browser: a community publishes its own dataset, a department follows it,
the next version is announced in the analyst's messages; at phone and desktop size, zh and en."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from django.utils import timezone
from playwright.sync_api import Page, expect

from shequ.core.models import Role
from shequ.hub.models import Category, Dataset, Grant

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

HOME = "990102001001"
STREET = "990102001000"
HEADER = "走访编号,老人姓名,联系电话,走访次数,区划代码\n"
FIRST = HEADER + "".join(f"V{i},王{i},1390000{i:04d},{i % 3 + 1},{HOME}\n" for i in range(1, 9))
SECOND = HEADER + "".join(f"V{i},王{i},1390000{i:04d},{i % 4 + 1},{HOME}\n" for i in range(1, 12))

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh"), ("desktop", "zh"), ("phone", "en")])
def test_publish_follow_and_hear_of_the_next_version(
    new_page: NewPage,
    snap: Snap,
    make_user: Any,
    regions: dict[str, Any],
    immediate_worker: None,
    tmp_path: Path,
    size: str,
    lang: str,
) -> None:
    Category.objects.create(key="civic", name="文明实践志愿服务类", name_en="Civic practice")
    make_user(Role.COMMUNITY_STAFF, HOME, username="shequ", first_name="陈静")
    analyst = make_user(Role.DEPARTMENT_ANALYST, STREET, username="minzheng", first_name="李敏")
    first, second = tmp_path / "visits.csv", tmp_path / "visits-2.csv"
    first.write_text(FIRST, encoding="utf-8")
    second.write_text(SECOND, encoding="utf-8")
    tag = f"{size}-{lang}"

    # Community staff publish their visit records from a file.
    staff = new_page(size)
    log_in(staff, "shequ", lang)
    staff.goto("/hub/subscriptions/")
    staff.get_by_test_id("publish-link").click()
    staff.wait_for_url("**/hub/publish/")
    publish = staff.get_by_test_id("publish-form")
    publish.locator("input[name=key]").fill("elder_visits")
    publish.locator("input[name=title]").fill("高龄老人走访记录")
    publish.locator("input[name=title_en]").fill("Visits to elderly residents")
    publish.locator("select[name=category]").select_option("civic")
    publish.locator("input[name=file]").set_input_files(str(first))
    assert_fits(staff)
    snap(staff, f"hub-publish-{tag}")
    publish.get_by_test_id("publish-submit").click(timeout=60_000)  # it ingests the file
    staff.wait_for_url("**/hub/datasets/elder_visits/", timeout=60_000)
    expect(staff.get_by_test_id("origin")).to_be_visible()
    expect(staff.get_by_test_id("dataset-rows")).to_have_text("8")

    # The civil-affairs analyst, granted the dataset, follows it.
    Grant.objects.create(
        dataset=Dataset.objects.get(key="elder_visits"),
        grantee=analyst,
        valid_from=timezone.now(),
        purpose="高龄津贴核对",
    )
    reader = new_page(size)
    log_in(reader, "minzheng", lang)
    reader.goto("/hub/datasets/elder_visits/")
    reader.get_by_test_id("follow").click()
    reader.wait_for_url("**/hub/datasets/elder_visits/")
    expect(reader.get_by_test_id("follow")).to_have_text("取消关注" if lang == "zh" else "Unfollow")
    assert_fits(reader)
    snap(reader, f"hub-dataset-following-{tag}")

    # The next version goes up; the analyst hears of it at once.
    upload = staff.get_by_test_id("upload-form")
    upload.locator("select[name=mode]").select_option("replace")
    upload.locator("input[name=file]").set_input_files(str(second))
    # The upload ingests the file before the page answers: under a loaded CI that took more
    # than the default 10 s once, so the click and the wait allow a minute.
    upload.get_by_test_id("upload-submit").click(timeout=60_000)
    staff.wait_for_url("**/hub/runs/*/", timeout=60_000)
    staff.goto("/hub/datasets/elder_visits/")
    expect(staff.get_by_test_id("subscribers")).to_contain_text("v1")
    assert_fits(staff)
    snap(staff, f"hub-dataset-publisher-{tag}")

    reader.goto("/inbox/")
    expect(reader.locator("body")).to_contain_text("高龄老人走访记录")
    expect(reader.locator("body")).to_contain_text("since=0&until=1")
    assert_fits(reader)
    snap(reader, f"hub-flowback-inbox-{tag}")
    reader.goto("/hub/subscriptions/")
    expect(reader.get_by_test_id("subscriptions")).to_contain_text("elder_visits")
    assert_fits(reader)
    snap(reader, f"hub-subscriptions-{tag}")
