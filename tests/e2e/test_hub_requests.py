"""Request → approve → query → revoke → refused, in the browser, at phone and desktop size.

A department analyst of 临江区 asks for 望湖街道's conditionally shared population register with
the name column in clear; street staff of 望湖街道 approve it; the analyst reads clear names
in the SQL console; the street staff revoke the grant; the analyst's next query is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from playwright.sync_api import Page, expect

from hub.factories import ELSEWHERE, ingest, make_hub_dataset, rows_of
from shequ.core.models import Department, Role

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

DISTRICT = "990102000000"
STREET = "990102001000"
SQL = "SELECT person_id, name, age, region_code FROM people ORDER BY person_id"

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]


@pytest.fixture
def register(regions: dict[str, Any], tmp_path: Path) -> Any:
    police = Department.objects.create(
        region=regions[DISTRICT], code="police", name="临江区公安分局", kind="police"
    )
    dataset = make_hub_dataset("people", region=regions[STREET], department=police)
    dataset.title, dataset.title_en = "实有人口登记", "Population register"
    dataset.owner = "临江区公安分局"
    dataset.save()
    ingest(dataset, rows_of("people")[:60], tmp_path)
    return dataset


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_request_approve_query_revoke_refused(
    new_page: NewPage, snap: Snap, make_user: Any, register: Any, size: str
) -> None:
    make_user(Role.DEPARTMENT_ANALYST, DISTRICT, username="fenxi", first_name="李敏")
    make_user(Role.STREET_STAFF, STREET, username="jiedao", first_name="王晓")
    clear_name = next(r["name"] for r in rows_of("people") if r["region_code"] != ELSEWHERE)

    # The analyst asks for the register, with names in clear.
    analyst = new_page(size)
    log_in(analyst, "fenxi")
    analyst.goto("/hub/datasets/people/")
    assert_fits(analyst)
    snap(analyst, f"hub-dataset-access-{size}")
    analyst.get_by_test_id("request-access").click()
    analyst.wait_for_url("**/hub/datasets/people/request/")
    expect(analyst.locator("h1")).to_have_text("申请使用")
    form = analyst.get_by_test_id("request-form")
    form.get_by_test_id("column-name").check()
    form.get_by_test_id("clear-name").check()
    form.locator("textarea[name=purpose]").fill("核查辖区独居老人名单，开展上门走访")
    form.locator("input[name=legal_basis]").fill("《老年人权益保障法》第三十一条")
    assert_fits(analyst)
    snap(analyst, f"hub-request-form-{size}")
    form.get_by_test_id("request-submit").click()
    analyst.wait_for_url("**/hub/requests/*/")
    expect(analyst.get_by_test_id("request-status")).to_have_text("待审批")
    expect(analyst.get_by_test_id("request-due")).to_be_visible()
    expect(analyst.get_by_test_id("asked-clear")).to_have_count(1)
    assert_fits(analyst)
    snap(analyst, f"hub-request-pending-{size}")

    # Street staff find it awaiting their approval, and approve it with the name in clear.
    approver = new_page(size)
    log_in(approver, "jiedao")
    approver.goto("/hub/")
    approver.get_by_test_id("hub-nav-requests").click()
    approver.wait_for_url("**/hub/requests/")
    awaiting = approver.get_by_test_id("awaiting")
    expect(awaiting).to_contain_text("实有人口登记")
    expect(awaiting).to_contain_text("李敏")
    assert_fits(approver)
    snap(approver, f"hub-requests-awaiting-{size}")
    awaiting.get_by_test_id("awaiting-link").click()
    approver.wait_for_url("**/hub/requests/*/")
    expect(approver.get_by_test_id("approve-clear-name")).to_be_checked()
    assert_fits(approver)
    snap(approver, f"hub-request-decide-{size}")
    approver.get_by_test_id("approve").click()
    expect(approver.get_by_test_id("request-status")).to_have_text("已批准")
    expect(approver.get_by_test_id("request-grant")).to_be_visible()

    # The analyst queries in the console and reads the names in clear.
    analyst.goto("/hub/query/")
    analyst.locator("textarea[name=sql]").fill(SQL)
    analyst.get_by_test_id("query-run").click()
    table = analyst.get_by_test_id("query-table")
    expect(table).to_be_visible()
    expect(table.get_by_test_id("clear-flag")).to_have_count(1)
    expect(table).to_contain_text(clear_name)
    expect(analyst.get_by_test_id("clear-note")).to_contain_text("people.name")
    expect(analyst.get_by_test_id("query-dataset")).to_contain_text("people")
    assert_fits(analyst)
    snap(analyst, f"hub-console-clear-{size}")

    # The street staff revoke the grant.
    approver.goto("/hub/datasets/people/grants/")
    grant = approver.get_by_test_id("grant")
    expect(grant.get_by_test_id("grant-state")).to_have_text("有效")
    grant.get_by_test_id("revoke-open").click()
    grant.get_by_test_id("revoke-reason").fill("走访已完成，收回明文姓名")
    assert_fits(approver)
    snap(approver, f"hub-grants-revoke-{size}")
    grant.get_by_test_id("revoke").click()
    approver.wait_for_url("**/hub/datasets/people/grants/")
    expect(approver.get_by_test_id("grant-state")).to_have_text("已撤销")
    expect(approver.get_by_test_id("revoked")).to_be_visible()
    assert_fits(approver)
    snap(approver, f"hub-grants-revoked-{size}")

    # The same query is now refused, with a way to ask again.
    analyst.get_by_test_id("query-run").click()  # a POST: run again, not a reload
    expect(analyst.get_by_test_id("query-error")).to_contain_text("没有授权")
    expect(analyst.get_by_test_id("query-table")).to_have_count(0)
    expect(analyst.get_by_test_id("query-request-link")).to_be_visible()
    assert_fits(analyst)
    snap(analyst, f"hub-console-refused-{size}")

    # The analyst's list shows the request approved; their inbox tells of the revocation.
    analyst.get_by_test_id("hub-nav-requests").click()
    expect(analyst.get_by_test_id("mine")).to_contain_text("已批准")
    assert_fits(analyst)
    snap(analyst, f"hub-requests-mine-{size}")
