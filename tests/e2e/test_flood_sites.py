"""A duty officer adds a monitoring point in Chromium by clicking on the village's offline map,
is told next to the field what is wrong, then adds its water gauge and copies the token shown
once; in English on a desktop, in Chinese on a phone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from playwright.sync_api import Page, expect

from flood.factories import VILLAGE
from shequ.core.models import Role
from shequ.flood.models import Device, MonitoringPoint, Rule
from shequ.flood.services import devices

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]
SAYS = {
    "en": ("This field is required.", "Monitoring point saved."),
    "zh": ("此项为必填项", "监测点已保存"),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("size", "lang"), [("desktop", "en"), ("phone", "zh")])
def test_a_point_placed_on_the_map_and_its_gauge_with_a_token(
    size: str, lang: str, regions: dict[str, Any], make_user: Any, new_page: NewPage, snap: Snap
) -> None:
    make_user(Role.DUTY_OFFICER, VILLAGE, username="duty")
    required, saved = SAYS[lang]
    page = new_page(size)
    log_in(page, "duty", lang=lang)
    page.goto("/flood/staff/")
    page.get_by_test_id("add-point").click()
    picker = page.get_by_test_id("point-picker")
    expect(picker).to_have_attribute("data-picker-ready", "1")
    box = picker.bounding_box()
    assert box is not None
    picker.click(position={"x": box["width"] * 0.7, "y": box["height"] * 0.3})
    expect(picker).to_have_attribute("data-picked", lambda_not_empty())
    lat = float(page.locator("#id_lat").input_value())
    lon = float(page.locator("#id_lon").input_value())
    page.locator("#id_code").fill("culvert-2")
    page.locator("#id_kind").select_option("underpass")
    page.get_by_test_id("point-save").click()  # no name yet
    expect(page.get_by_test_id("error-name")).to_contain_text(required)
    assert_fits(page)
    snap(page, f"flood-point-form-error-{size}-{lang}")

    page.locator("#id_name").fill("二号涵洞")
    page.locator("#id_responsible").fill("duty")
    page.get_by_test_id("point-save").click()
    expect(page.locator("body")).to_contain_text(saved)
    point = MonitoringPoint.objects.get(code="culvert-2")
    assert (round(point.lat, 6), round(point.lon, 6)) == (lat, lon)
    assert point.region.code == VILLAGE and point.responsible.get().username == "duty"

    page.get_by_test_id("add-device").last.click()
    page.locator("#id_code").fill("W21")
    page.locator("#id_kind").select_option("water_level")
    page.locator("#id_interval_seconds").fill("300")
    page.locator("#id_blue").fill("12")
    page.get_by_test_id("device-save").click()
    token = page.get_by_test_id("device-token").inner_text().strip()
    assert devices.device_for_token(token) == Device.objects.get(code="W21", point=point)
    assert Rule.objects.get(device__code="W21", kind="threshold").blue == 12
    assert_fits(page)
    snap(page, f"flood-device-token-{size}-{lang}")


def lambda_not_empty() -> Any:
    import re

    return re.compile(r"^-?\d+\.\d{6},-?\d+\.\d{6}$")
