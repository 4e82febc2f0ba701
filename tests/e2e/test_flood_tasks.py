"""The duty officer on a phone (and at a desk): the level I response tightens the culvert's
thresholds, the alert arrives, a road-closure task is made in two taps and closed with a
note and a photo; the staff pages for rules and the roster."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from django.utils import timezone
from playwright.sync_api import Page, expect

from flood.factories import STREET, VILLAGE, add_gauge, add_point, admin, png, threshold_rule
from shequ.core.models import Role
from shequ.flood.demo import BASEMAP
from shequ.flood.models import Alert, Task
from shequ.flood.services import basemap, ingest, response, roster
from shequ.flood.services.ingest import ReadingRow

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]
BOUNDARY = {
    "type": "Polygon",
    "coordinates": [[[120.1188, 30.2297], [120.1452, 30.2297], [120.1452, 30.2523],
                     [120.1188, 30.2523], [120.1188, 30.2297]]],
}  # fmt: skip


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_road_closure_task_from_the_alert_in_two_taps(
    size: str, regions: dict[str, Any], make_user: Any, new_page: NewPage, snap: Snap, tmp_path: Any
) -> None:
    duty = make_user(Role.DUTY_OFFICER, VILLAGE, username="duty", first_name="王值班")
    village = regions[VILLAGE]
    village.boundary = BOUNDARY
    village.save()
    now = timezone.now()
    roster.add_shift(admin(), village, duty, now - timedelta(hours=1), now + timedelta(hours=8))
    culvert = add_point(village, lat=30.2452, lon=120.1318)
    add_point(
        village, code="square", name="村委会前广场", kind="low_road", lat=30.2408, lon=120.1322
    )
    gauge, _token = add_gauge(culvert, interval_seconds=600)
    threshold_rule(gauge)
    response.set_level(admin(), regions[STREET], 4, "台风“海燕”红色预警，县防指启动Ⅰ级响应")
    ingest.ingest(gauge, [ReadingRow(time=now - timedelta(minutes=1), value=26.0)])  # red at I
    alert = Alert.objects.get()
    assert alert.level == 4

    basemap.write(BASEMAP)  # no tile server: the village's own roads, railway and creek

    page = new_page(size)
    log_in(page, "duty")
    page.goto("/flood/")
    expect(page.get_by_test_id("response-banner")).to_contain_text("Ⅰ级")
    expect(page.get_by_test_id("flood-map")).to_have_attribute("data-map-ready", "3")
    expect(page.get_by_test_id("flood-map")).to_have_attribute("data-basemap-ready", "6")
    assert_fits(page)
    snap(page, f"flood-response-map-{size}")

    page.goto("/flood/alerts/")
    card = page.get_by_test_id(f"alert-{alert.pk}")
    card.get_by_test_id("new-task-open").click()  # tap 1
    snap(page, f"flood-task-kinds-{size}")
    card.get_by_test_id("task-close_road").click()  # tap 2
    task = Task.objects.get()
    expect(page.get_by_test_id(f"task-{task.pk}")).to_contain_text("封闭道路")
    assert_fits(page)
    snap(page, f"flood-task-created-{size}")

    page.get_by_test_id(f"task-{task.pk}").get_by_role("link").click()
    page.get_by_test_id("task-start").click()
    expect(page.get_by_test_id("task-state")).to_have_text("处理中")
    photo = tmp_path / "closed.png"
    photo.write_bytes(png(64, 48, (40, 120, 200)))
    page.locator("#id_note").fill("涵洞两端已设置路障")
    page.locator("#id_photo").set_input_files(str(photo))
    page.get_by_test_id("task-done").click()
    expect(page.get_by_test_id("task-state")).to_have_text("已完成")
    expect(page.get_by_test_id("task-photo")).to_be_visible()
    assert_fits(page)
    snap(page, f"flood-task-done-{size}")
    task.refresh_from_db()
    assert task.state == "done" and task.closed_by == duty and task.photo

    page.goto("/flood/staff/")
    assert_fits(page)
    snap(page, f"flood-staff-devices-{size}")
    page.goto("/flood/staff/roster/")
    assert_fits(page)
    snap(page, f"flood-staff-roster-{size}")
