"""Street staff use the data hub at phone and desktop size, in Chinese and English.

Catalog → search "车辆" → the vehicle dataset → upload a CSV with one bad row → the run page
with its rejected row → the dataset again with masked sample rows and the new version → runs →
add a drop-folder source (a bad configuration first) → run it now.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from browser_support import PASSWORD, assert_fits
from django.utils import timezone
from playwright.sync_api import Page, expect

from shequ.core.models import Role
from shequ.hub.models import Dataset, Grant
from shequ.hub.services.catalog import load_catalog

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

STREET = "990102001000"
CARS = "vehicle_registrations"
# The h1 of each page, per language (zh from shequ's zh_Hans catalogue).
HEADINGS = {
    "catalog": {"zh": "数据目录", "en": "Data catalog"},
    "runs": {"zh": "归集任务", "en": "Ingest runs"},
    "sources": {"zh": "数据源", "en": "Sources"},
}
CARS_TITLE = {"zh": "机动车登记信息", "en": "Motor vehicle registrations"}

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]


def cars_csv() -> bytes:
    """25 good rows and one with an unknown vehicle type: 1 of 26 rejected, under the 5% limit."""
    lines = ["号牌号码,车辆类型,机动车所有人,联系电话,所属社区（村）区划代码"]
    for i in range(25):
        community = "990102001001" if i % 2 else "990102001002"
        lines.append(f"浙A{10000 + i},小型汽车,车主{i}号,138{10000000 + i},{community}")
    lines.append("浙B20000,飞行汽车,赵六,13612345678,990102001001")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_street_staff_search_open_upload_and_read_the_run(
    new_page: NewPage,
    snap: Snap,
    make_user: Any,
    regions: dict[str, Any],
    tmp_path: Path,
    immediate_worker: None,
    size: str,
    lang: str,
) -> None:
    load_catalog(region=regions[STREET])
    staff = make_user(Role.STREET_STAFF, STREET, username="jiedao", first_name="王晓")
    # A sample is a query: reading one needs a grant (masked: no clear columns).
    Grant.objects.create(
        dataset=Dataset.objects.get(key=CARS),
        grantee=staff,
        columns=[],
        clear_columns=[],
        valid_from=timezone.now() - timedelta(minutes=1),
    )
    page = new_page(size)
    page.goto("/login/")
    if lang == "en":
        page.get_by_test_id("lang-en").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_test_id("login-username").fill("jiedao")
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()

    # Home → the hub's catalog: ten categories.
    page.locator("[data-module=hub]").click()
    page.wait_for_url("**/hub/")
    expect(page.locator("h1")).to_have_text(HEADINGS["catalog"][lang])
    expect(page.locator(".hub-category")).to_have_count(10)
    assert_fits(page)
    snap(page, f"hub-catalog-{size}-{lang}")

    # Search in Chinese, whatever the page's language.
    page.get_by_test_id("hub-search").locator("input[name=q]").fill("车辆")
    page.get_by_test_id("hub-search").locator("input[name=q]").press("Enter")
    page.wait_for_url("**/hub/?q=*")
    link = page.locator(f"a[href='/hub/datasets/{CARS}/']")
    expect(link).to_have_text(CARS_TITLE[lang])
    assert_fits(page)
    snap(page, f"hub-search-{size}-{lang}")

    # The dataset: schema with grades and personal-information kinds, no rows yet.
    link.click()
    page.wait_for_url(f"**/hub/datasets/{CARS}/")
    expect(page.locator("h1")).to_have_text(CARS_TITLE[lang])
    expect(page.get_by_test_id("schema-table").locator("tbody tr")).to_have_count(12)
    assert_fits(page)
    snap(page, f"hub-dataset-{size}-{lang}")

    # Upload a CSV with Chinese headers and one bad row.
    form = page.get_by_test_id("upload-form")
    form.locator("input[type=file]").set_input_files(
        {"name": "机动车登记.csv", "mimeType": "text/csv", "buffer": cars_csv()}
    )
    form.get_by_test_id("upload-submit").click()
    page.wait_for_url("**/hub/runs/*/")
    expect(page.get_by_test_id("run-status")).to_have_attribute(
        "class", "hub-tag hub-status-succeeded"
    )
    expect(page.get_by_test_id("rows-written")).to_have_text("25")
    expect(page.get_by_test_id("rows-rejected")).to_have_text("1")
    table = page.get_by_test_id("quarantine-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("vehicle_type")
    expect(table).to_contain_text("飞行汽车")
    assert_fits(page)
    snap(page, f"hub-run-{size}-{lang}")

    # The quarantine file downloads.
    with page.expect_download() as download:
        page.get_by_test_id("quarantine-download").click()
    assert download.value.suggested_filename.endswith("-quarantine.csv")

    # Back on the dataset: a version with statistics, sample rows masked.
    page.get_by_test_id("run-version").click()
    page.wait_for_url(f"**/hub/datasets/{CARS}/#v0")
    expect(page.get_by_test_id("version")).to_have_count(1)
    sample = page.get_by_test_id("sample-table")
    expect(sample.locator("tbody tr")).to_have_count(10)
    expect(sample).to_contain_text("浙A***")
    expect(sample).to_contain_text("138****00")
    assert "浙A100" not in sample.inner_text() and "13810000" not in sample.inner_text()
    assert_fits(page)
    page.evaluate("window.scrollTo(0, 0)")
    snap(page, f"hub-dataset-loaded-{size}-{lang}")

    # Runs, reached from the hub's tabs.
    page.get_by_test_id("hub-nav-runs").click()
    page.wait_for_url("**/hub/runs/")
    expect(page.locator("h1")).to_have_text(HEADINGS["runs"][lang])
    expect(page.get_by_test_id("runs-table").locator("tbody tr")).to_have_count(1)
    assert_fits(page)
    snap(page, f"hub-runs-{size}-{lang}")

    # A drop folder as a source: a relative path is refused next to the configuration.
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "新增车辆.csv").write_text(
        "plate,vehicle_type,owner_name,region_code\n浙C30000,挂车,钱七,990102001002\n",
        encoding="utf-8",
    )
    page.get_by_test_id("hub-nav-sources").click()
    page.wait_for_url("**/hub/sources/")
    expect(page.locator("h1")).to_have_text(HEADINGS["sources"][lang])
    form = page.get_by_test_id("source-form")
    form.locator("input[name=name]").fill("望湖街道车辆投放目录")
    form.locator("select[name=dataset]").select_option(CARS)
    form.locator("select[name=connector]").select_option("folder")
    form.locator("textarea[name=config]").fill('{"path": "drop"}')
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("error-config")).to_contain_text("path")
    assert_fits(page)
    snap(page, f"hub-source-error-{size}-{lang}")

    config = {"path": str(drop), "pattern": "*.csv", "settle_seconds": 0}
    form = page.get_by_test_id("source-form")
    form.locator("textarea[name=config]").fill(json.dumps(config, ensure_ascii=False))
    form.locator("button[type=submit]").click()
    table = page.get_by_test_id("sources-table")
    expect(table).to_contain_text("望湖街道车辆投放目录")
    assert_fits(page)
    snap(page, f"hub-sources-{size}-{lang}")

    # Run now: the run reads the dropped file and appends its row.
    table.get_by_test_id("run-now").click()
    page.wait_for_url("**/hub/runs/*/")
    expect(page.get_by_test_id("run-status")).to_have_attribute(
        "class", "hub-tag hub-status-succeeded"
    )
    expect(page.get_by_test_id("rows-written")).to_have_text("1")
    assert_fits(page)
    snap(page, f"hub-source-run-{size}-{lang}")
