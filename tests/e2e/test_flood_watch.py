"""The duty officer's flood watch in Chromium, at phone and desktop size: the live map turns a
point's colour within 5 s of a reading, the point page draws its chart, the inbox acknowledges.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from django.utils import timezone
from playwright.sync_api import Page, expect

from flood.factories import VILLAGE, add_gauge, add_point, threshold_rule
from shequ.core.models import Role
from shequ.flood.models import Alert
from shequ.flood.services import ingest
from shequ.flood.services.ingest import ReadingRow

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_duty_officer_watches_the_culvert_rise_and_acknowledges(
    size: str, regions: dict[str, Any], make_user: Any, new_page: NewPage, snap: Snap
) -> None:
    make_user(Role.DUTY_OFFICER, VILLAGE, username="duty")
    culvert = add_point(regions[VILLAGE])
    add_point(regions[VILLAGE], code="square", name="村委会前广场", kind="low_road", lat=30.2408)
    gauge, _token = add_gauge(culvert, interval_seconds=600)
    threshold_rule(gauge)
    now = timezone.now()
    history = [(now - timedelta(minutes=10 * i), 2.0 + (12 - i) * 2.2) for i in range(12, 0, -1)]
    ingest.ingest(gauge, [ReadingRow(time=at, value=v) for at, v in history])  # up to 26 cm
    assert Alert.objects.get().level == 3

    page = new_page(size)
    log_in(page, "duty")
    page.goto("/flood/")
    live = page.get_by_test_id("flood-map")
    expect(live).to_have_attribute("data-map-ready", "2")
    expect(live).to_have_attribute("data-levels", "culvert:orange,square:none")
    assert_fits(page)
    snap(page, f"flood-map-orange-{size}")

    ingest.ingest(gauge, [ReadingRow(time=now, value=42.0)])  # red: over 40 cm
    expect(live).to_have_attribute("data-levels", "culvert:red,square:none", timeout=8_000)
    expect(page.get_by_test_id("point-culvert")).to_contain_text("红色", timeout=2_000)
    snap(page, f"flood-map-red-{size}")

    page.goto("/flood/points/culvert/")
    expect(page.get_by_test_id("chart-W01")).to_have_attribute("data-chart-ready", "13")
    assert_fits(page)
    snap(page, f"flood-point-{size}")

    page.goto("/flood/alerts/")
    alert = Alert.objects.get()
    card = page.get_by_test_id(f"alert-{alert.pk}")
    card.get_by_test_id("ack-comment").fill("已封路，巡查员到场")
    card.get_by_test_id("ack").click()
    expect(page.get_by_test_id(f"alert-{alert.pk}")).to_contain_text("已封路，巡查员到场")
    assert_fits(page)
    snap(page, f"flood-inbox-{size}")
    alert.refresh_from_db()
    assert (alert.state, alert.level) == ("acknowledged", 4)
