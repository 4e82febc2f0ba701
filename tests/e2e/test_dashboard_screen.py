"""The big screen (大屏) at 1920×1080 with the demo's real data: every number on it matches a
query this test runs itself, on the platform's tables and the hub, not through the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from django.db.models import Max
from django.utils import formats, translation
from playwright.sync_api import Page, expect

from shequ.access.models import AccessEvent, WelfareCheck
from shequ.core.models import Region
from shequ.dashboard.models import Value
from shequ.dashboard.services import refresh
from shequ.demo.build import build_demo
from shequ.flood.models import OPEN_STATES, Alert, LatestReading, MonitoringPoint
from shequ.hub.models import DatasetVersion
from shequ.hub.query import run_query_system
from shequ.parking.models import Pass
from shequ.timebank.models import Member, Order

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

STREET = "990102001000"
NO_DATA = "暂无数据"


def _hub_as_of(at: datetime) -> dict[str, float]:
    """Datasets with data, their rows and their versions, as the hub stood at ``at``."""
    newest = (
        DatasetVersion.objects.filter(created__lte=at)
        .values("dataset_id")
        .annotate(v=Max("version"))
    )
    rows = 0
    for item in newest:
        version = DatasetVersion.objects.get(dataset_id=item["dataset_id"], version=item["v"])
        rows += version.row_count
    return {
        "hub.datasets": len(newest),
        "hub.records": rows,
        "hub.versions": DatasetVersion.objects.filter(created__lte=at).count(),
    }


def _online(prefix: str, at: datetime) -> float | None:
    points = MonitoringPoint.objects.filter(region__code__startswith=prefix)
    if not points.exists():
        return None
    online = set()
    for latest in LatestReading.objects.filter(device__point__in=points, device__revoked_at=None):
        if at - latest.received_at <= timedelta(seconds=3 * latest.device.interval_seconds):
            online.add(latest.device.point_id)
    return len(online)


def expected(key: str, prefix: str, at: datetime) -> float | None:
    """The figure, computed here from the source tables (or the hub) as of ``at``."""
    if key == "parking.idle_night_spaces":
        sql = (
            "SELECT coalesce(sum(idle_spaces), 0) AS n FROM idle_night_spaces "
            f"WHERE starts_with(region_code, '{prefix}')"
        )
        return float(run_query_system(sql).table.to_pylist()[0]["n"])
    if key == "parking.active_passes":
        return Pass.objects.filter(
            garage__region__code__startswith=prefix, status="active",
            starts_on__lte=at.date(), ends_on__gte=at.date(),
        ).count()  # fmt: skip
    if key == "flood.points_online":
        return _online(prefix, at)
    if key == "flood.open_alerts":
        return Alert.objects.filter(
            point__region__code__startswith=prefix, state__in=OPEN_STATES
        ).count()
    if key == "timebank.volunteers":
        return Member.objects.filter(
            region__code__startswith=prefix, is_volunteer=True, joined__lt=at
        ).count()
    if key == "timebank.services_30d":
        return Order.objects.filter(
            request__region__code__startswith=prefix,
            status__in=("completed", "confirmed", "disputed"),
            checked_out_at__gte=at - timedelta(days=30), checked_out_at__lt=at,
        ).count()  # fmt: skip
    if key == "access.refused_24h":
        return AccessEvent.objects.filter(
            region__code__startswith=prefix, allow=False, at__gte=at - timedelta(hours=24)
        ).count()
    if key == "access.welfare_open":
        return WelfareCheck.objects.filter(region__code__startswith=prefix, outcome="open").count()
    if key.startswith("hub."):
        return _hub_as_of(at)[key]
    raise AssertionError(f"the test has no independent query for {key}")


def shown(value: float | None) -> str:
    if value is None:
        return NO_DATA
    with translation.override("zh-hans"):
        return str(formats.number_format(round(value), 0, force_grouping=True))


@pytest.mark.django_db(transaction=True)
def test_the_big_screen_shows_the_demo_street_and_every_number_matches(
    new_page: Callable[[str], Page], snap: Callable[[Page, str], Any], browser: Any,
    live_server: Any,
) -> None:  # fmt: skip
    logins = build_demo(hub=True)
    password = logins[0]["password"]
    at = Value.objects.aggregate(at=Max("at"))["at"]
    assert Value.objects.filter(value__isnull=False).exists()

    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1920, "height": 1080},
        locale="zh-CN", timezone_id="Asia/Shanghai",
    )  # fmt: skip
    context.set_default_timeout(20_000)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    try:
        log_in(page, "street", password=password)
        page.goto("/dashboard/screen/?every=5")
        expect(page.locator("body")).to_have_attribute("data-polls", "1")  # refreshed by the API
        expect(page.get_by_test_id("screen-map")).to_have_attribute("data-map-ready", "3")
        page.wait_for_timeout(300)
        path = snap(page, "dashboard-big-screen-1920")
        assert path.exists()
        size = page.evaluate("() => [document.documentElement.scrollWidth, "
                             "document.documentElement.scrollHeight]")  # fmt: skip
        assert size == [1920, 1080], "the big screen fits the screen exactly"

        street = Region.objects.get(code=STREET)
        boxes = page.locator(".screen-figure")
        checked = 0
        for i in range(boxes.count()):
            box = boxes.nth(i)
            key = box.get_attribute("data-key") or ""
            text = box.locator("[data-value]").inner_text()
            assert text == shown(expected(key, street.prefix, at)), key
            checked += 1
        assert checked == 10

        for region in Region.objects.filter(parent=street).order_by("code"):
            row = page.locator(f'[data-community="{region.code}"]')
            cells = row.locator("td[data-key]")
            assert cells.count() == 8
            for i in range(cells.count()):
                key = cells.nth(i).get_attribute("data-key") or ""
                text = cells.nth(i).locator("[data-value]").inner_text()
                assert text == shown(expected(key, region.prefix, at)), (region.code, key)

        # The street's record count needs grouping: thousands separators in Chinese too.
        records = page.get_by_test_id("screen-hub.records").locator("[data-value]").inner_text()
        assert "," in records
        # The worker's next refresh reaches the screen without a reload: the open welfare
        # check is closed, the indicator computed again, and the next poll shows 0.
        page.evaluate("() => { window.notReloaded = true; }")
        WelfareCheck.objects.filter(outcome="open").update(outcome="fine")
        refresh.run(["access.welfare_open"], force=True)
        welfare = page.get_by_test_id("screen-access.welfare_open").locator("[data-value]")
        expect(welfare).to_have_text(shown(expected("access.welfare_open", street.prefix, at)))
        assert welfare.inner_text() == "0"
        assert page.evaluate("() => window.notReloaded === true")
    finally:
        context.close()
    assert refused == [], "refused by the Content-Security-Policy"

    # The other pages, looked at in the screenshots: overview and a module page at a desk,
    # the phone summary for the street's staff and for a resident of 锦绣社区.
    desk = new_page("desktop")
    log_in(desk, "street", password=password)
    desk.goto("/dashboard/")
    expect(desk.get_by_test_id("communities")).to_contain_text("锦绣社区")
    snap(desk, "dashboard-overview-desktop")
    desk.goto("/dashboard/?region=990102001001")
    expect(desk.get_by_test_id("estates")).to_be_visible()
    snap(desk, "dashboard-community-desktop")
    desk.goto("/dashboard/m/timebank/")
    expect(desk.locator("[data-dash-chart]").first).to_have_attribute("data-chart-ready", "15")
    snap(desk, "dashboard-timebank-desktop")
    for user in ("street", "resident"):
        phone = new_page("phone")
        log_in(phone, user, password=password)
        phone.goto("/dashboard/phone/")
        expect(phone.get_by_test_id("phone-figures")).to_be_visible()
        assert_fits(phone)
        snap(phone, f"dashboard-phone-{user}")
