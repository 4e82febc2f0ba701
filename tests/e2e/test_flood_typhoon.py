"""The demo's typhoon in Chromium: after the storm's peak the duty officer's live map shows the
culvert red among the village's eight points and the alert inbox lists the alerts worst first
with their tasks under way; after the storm everything is quiet again. Phone and desktop,
Chinese and English; the screenshots show the alert flow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from browser_support import PASSWORD, assert_fits, log_in
from playwright.sync_api import Page, expect

from shequ.demo.build import build_regions, build_users
from shequ.flood import demo
from shequ.flood.models import Alert
from shequ.flood.typhoon import plan, replay

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]
WORDS = {
    "zh": ("铁路涵洞", "红色", "封闭道路", "无预警"),
    "en": ("Railway", "Red", "Close the road", "No warning"),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_typhoon_on_the_live_map_and_in_the_inbox(
    size: str, new_page: NewPage, snap: Snap
) -> None:
    build_regions()
    build_users(PASSWORD)
    replay.reserve()
    demo.build()
    replay.run(until=plan.PEAK)
    red = Alert.objects.get(point__code="culvert", rule__kind="threshold")
    assert red.level == 4

    for lang in ("zh", "en"):
        culvert, red_word, close_road, _quiet = WORDS[lang]
        page = new_page(size)
        log_in(page, "duty", lang=lang)
        page.goto("/flood/")
        live = page.get_by_test_id("flood-map")
        expect(live).to_have_attribute("data-map-ready", "9")  # 8 points, the village
        expect(live).to_have_attribute("data-levels", _levels_with("culvert:red"))
        expect(page.get_by_test_id("point-culvert")).to_contain_text(red_word)
        street = "Wanghu Sub-district" if lang == "en" else "望湖街道"
        expect(page.get_by_test_id("response-banner")).to_contain_text(street)
        assert_fits(page)
        snap(page, f"typhoon-map-peak-{size}-{lang}")

        page.goto("/flood/alerts/")
        card = page.get_by_test_id(f"alert-{red.pk}")
        expect(card).to_contain_text(culvert)
        expect(card.get_by_test_id("alert-tasks")).to_contain_text(close_road)
        first = page.locator("[data-testid^=alert-]").first
        expect(first).to_contain_text(red_word)  # worst first
        assert_fits(page)
        snap(page, f"typhoon-alerts-peak-{size}-{lang}")

    replay.run()  # the water falls
    page = new_page(size)
    log_in(page, "duty", lang="en")
    page.goto("/flood/")
    expect(page.get_by_test_id("flood-map")).to_have_attribute("data-map-ready", "9")
    expect(page.get_by_test_id("point-culvert")).to_contain_text(WORDS["en"][3])
    page.goto("/flood/alerts/")
    expect(page.get_by_test_id("no-alerts")).to_be_visible()
    snap(page, f"typhoon-alerts-after-{size}-en")


def _levels_with(culvert: str) -> Any:
    """The map's ``data-levels`` once the culvert is red (the other points as they are)."""
    import re

    return re.compile(rf"(^|,){re.escape(culvert)}(,|$)")
