"""The weekly reports' archive in Chromium: street staff find last week's reports in the
dashboards' navigation, download the PDF, on a desk and on a phone, in Chinese and English."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from playwright.sync_api import Page, expect

from dashboard.factories import HOME, STREET, registered
from dashboard.report.support import indicator, store
from shequ.core.models import Role
from shequ.dashboard.services.report import weekly, weeks

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.mark.django_db(transaction=True)
def test_street_staff_download_last_weeks_report_from_the_archive(
    new_page: Callable[[str], Page], snap: Callable[[Page, str], Path], regions: Any,
    make_user: Any, tmp_path: Path,
) -> None:  # fmt: skip
    make_user(Role.STREET_STAFF, STREET, username="street")
    with registered(indicator("test.up", target=10, decimals=1)):
        for code in (STREET, HOME):
            store("test.up", regions[code], "2026-11-26 09:00", 8.0)
            store("test.up", regions[code], "2026-12-03 09:00", 12345.5)
        done = weekly.run(weeks.parse("2026-W49"), only=[regions[STREET], regions[HOME]])
    assert done.reports == 4 and done.failed == []

    desk = new_page("desktop")
    log_in(desk, "street")
    desk.goto("/dashboard/")
    desk.get_by_test_id("nav-reports").click()
    expect(desk.get_by_test_id("reports")).to_contain_text("锦绣社区")
    desk.goto("/dashboard/reports/")
    rows = desk.get_by_test_id("reports").locator("tbody tr")
    expect(rows).to_have_count(2)
    row = desk.get_by_test_id(f"report-{STREET}-2026-W49")
    expect(row).to_contain_text("2026-W49")
    expect(row).to_contain_text("望湖街道")
    snap(desk, "dashboard-reports-desktop")
    with desk.expect_download() as got:
        row.get_by_role("link", name="PDF").first.click()
    saved = tmp_path / "report.pdf"
    got.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    assert got.value.suggested_filename.endswith("2026-W49-zh-hans.pdf")

    phone = new_page("phone")
    log_in(phone, "street", lang="en")
    phone.goto(f"/dashboard/reports/?region={HOME}")
    expect(phone.get_by_test_id("reports")).to_contain_text("open problems")
    expect(phone.get_by_test_id("reports").locator("tbody tr")).to_have_count(1)
    assert_fits(phone)
    snap(phone, "dashboard-reports-phone-en")
