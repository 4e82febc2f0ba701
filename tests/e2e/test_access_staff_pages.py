"""Access pages added for enrolment, staff passes, the log and the welfare opt-out, in
Chromium at phone and desktop size, zh and en: each works, fits a phone, and is screenshot.

Staff enrol a resident's face with the consent first, issue a visitor pass and see its QR,
filter the access log; a resident living alone opts out of the welfare check and back in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from django.utils import timezone
from playwright.sync_api import Page, expect

from access.factories import (
    HOME,
    STREET,
    add_device,
    add_point,
    add_resident,
    health_row,
    id_number,
    ingest,
)
from shequ.access.models import Credential, WelfareOptOut
from shequ.access.providers import forget_snapshots
from shequ.access.services import decide
from shequ.access.services.decide import CheckIn
from shequ.core.models import Role
from shequ.core.services.people import create_person
from shequ.hub.services.catalog import load_catalog

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

VIEWS = [("phone", "zh"), ("desktop", "zh"), ("phone", "en"), ("desktop", "en")]


@pytest.fixture
def community(regions: dict[str, Any], make_user: Any, tmp_path: Path) -> dict[str, Any]:
    forget_snapshots()
    staff = make_user(Role.COMMUNITY_STAFF, HOME, username="jinxiu", first_name="陈静")
    resident = make_user(Role.RESIDENT, HOME, username="wufang")
    load_catalog(region=regions[STREET])
    ingest(tmp_path, "health_code_status", [health_row(1, "green"), health_row(2, "red")])
    device, _raw = add_device(staff, add_point(regions[HOME]))
    add_resident(staff, regions[HOME], 1, ref="V1", user=resident)
    add_resident(staff, regions[HOME], 2, ref="V2", name="李强")
    for n, ref in enumerate(["V1", "V2", "V1"]):
        decide.check(device, CheckIn(f"e{n}", "face", ref, timezone.now()))
    create_person(staff, regions[HOME], name="赵敏", id_number=id_number(3))
    forget_snapshots()
    return {"staff": staff, "resident": resident}


@pytest.mark.parametrize(("size", "lang"), VIEWS)
def test_staff_enrol_a_face_with_its_consent(
    new_page: Callable[[str], Page], snap: Any, community: Any, size: str, lang: str
) -> None:
    page = new_page(size)
    log_in(page, "jinxiu", lang)
    page.goto("/access/credentials/")
    form = page.get_by_test_id("enrol-form")
    page.locator("#id_id_number").fill(id_number(3))
    page.locator("#id_ref").fill("VND-3003")
    form.locator("button[type=submit]").click()  # a face without its consent
    expect(page.get_by_test_id("error-consent_given")).to_be_visible()
    expect(page.get_by_test_id("error-purpose")).to_be_visible()
    assert_fits(page)
    snap(page, f"access-enrol-errors-{size}-{lang}")
    page.locator("#id_id_number").fill(id_number(3))
    page.locator("#id_ref").fill("VND-3003")
    page.locator("#id_consent_given").check()
    page.locator("#id_purpose").fill("小区门禁人脸识别通行")
    page.locator("#id_given_on").fill(timezone.localdate().isoformat())
    page.get_by_test_id("enrol-form").locator("button[type=submit]").click()
    table = page.get_by_test_id("credentials")
    expect(table).to_contain_text("VN****03")
    expect(table).to_contain_text("赵*")
    assert "VND-3003" not in page.content() and "赵敏" not in page.content()
    assert_fits(page)
    snap(page, f"access-enrol-{size}-{lang}")
    assert Credential.objects.filter(kind="face", ref_masked="VN****03").count() == 1


@pytest.mark.parametrize(("size", "lang"), VIEWS)
def test_staff_issue_a_visitor_pass_and_read_the_log(
    new_page: Callable[[str], Page], snap: Any, community: Any, size: str, lang: str
) -> None:
    page = new_page(size)
    log_in(page, "jinxiu", lang)
    page.goto("/access/passes/")
    assert_fits(page)
    page.locator("#id_visitor").fill("张三")
    page.get_by_test_id("pass-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("pass-qr")).to_be_visible()
    page.wait_for_function(
        "() => { const img = document.querySelector('[data-testid=pass-qr]');"
        " return img.complete && img.naturalWidth > 0; }"
    )
    expect(page.get_by_test_id("share-qr")).to_be_visible()
    assert_fits(page)
    snap(page, f"access-staff-pass-{size}-{lang}")
    page.goto("/access/passes/")
    expect(page.get_by_test_id("passes").locator("tbody tr")).to_have_count(1)
    snap(page, f"access-staff-passes-{size}-{lang}")
    page.goto("/access/log/")
    expect(page.get_by_test_id("events").locator("tbody tr")).to_have_count(3)
    page.locator("#id_decision").select_option("refused")
    page.get_by_test_id("log-filter").locator("button[type=submit]").click()
    rows = page.get_by_test_id("events").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("李*")
    assert "李强" not in page.content()
    assert_fits(page)
    snap(page, f"access-log-{size}-{lang}")


@pytest.mark.parametrize(("size", "lang"), VIEWS)
def test_a_resident_opts_out_of_the_welfare_check_and_back_in(
    new_page: Callable[[str], Page], snap: Any, community: Any, size: str, lang: str
) -> None:
    page = new_page(size)
    log_in(page, "wufang", lang)
    page.goto("/access/me/welfare/")
    assert_fits(page)
    snap(page, f"access-my-welfare-{size}-{lang}")
    page.get_by_test_id("opt-out").click()
    expect(page.get_by_test_id("opt-in")).to_be_visible()
    assert WelfareOptOut.objects.count() == 1
    snap(page, f"access-my-welfare-out-{size}-{lang}")
    page.get_by_test_id("opt-in").click()
    expect(page.get_by_test_id("opt-out")).to_be_visible()
    assert not WelfareOptOut.objects.exists()


@pytest.mark.parametrize(("size", "lang"), [("phone", "zh"), ("desktop", "en")])
def test_staff_see_and_record_opt_outs(
    new_page: Callable[[str], Page], snap: Any, community: Any, size: str, lang: str
) -> None:
    page = new_page(size)
    log_in(page, "jinxiu", lang)
    page.goto("/access/welfare/opt-outs/")
    page.locator("#id_id_number").fill(id_number(2))
    page.locator("#id_confirm").check()
    page.get_by_test_id("opt-out-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("opt-outs").locator("tbody tr")).to_contain_text("李*")
    assert_fits(page)
    snap(page, f"access-opt-outs-{size}-{lang}")
