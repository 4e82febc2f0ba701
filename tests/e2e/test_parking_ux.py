"""What the first users hit (issue 13), in Chromium at phone and desktop size, zh and en.

On the demo's parking data (eight weeks of gate reads at five office garages beside 锦绣花园,
the indices published, every garage sharing at night): a resident logged in with a password
is recognised, sees no Buy button while a pass holds the plate, an approved application's
data check without "?", and a map of the garages; staff see the same shortfall and shared
spaces on the estates list and the indices, both maps drawn; the operator's plan form shows
the hours as days and times; the QR poster's code fills its box. Screenshots of each page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from browser_support import assert_fits, log_in
from playwright.sync_api import Page, expect
from test_parking_indices import HOME, demo

from parking.factories import hub, load
from parking_people import add_application, add_resident_account
from shequ.core.models import Role
from shequ.parking import indices
from shequ.parking.indices import published_nights
from shequ.parking.models import Garage, Product
from shequ.parking.services import garages as garage_svc
from shequ.parking.services import passes, payments

__all__ = ["demo", "hub", "load"]  # fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]
VIEWS = [("phone", "zh"), ("desktop", "zh"), ("phone", "en"), ("desktop", "en")]
PLATE = "浙A77777"


@pytest.fixture
def people(demo: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """A resident with a paid pass (password login), and G01's operator."""
    estate = demo["estate"]
    g01 = Garage.objects.get(code="G01")
    operator = make_user(Role.GARAGE_OPERATOR, HOME, username="g01_operator")
    g01.operators.add(operator)
    for garage in Garage.objects.all():
        Product.objects.create(garage=garage, plan_code="night", kind="monthly", price_fen=30000)
    resident = make_user(Role.RESIDENT, HOME, username="wu_resident", first_name="吴居民")
    add_resident_account(resident, estate, "13900007777")
    app = add_application(resident, estate, [PLATE], status="approved")
    app.verification = {"residence": "unavailable", "plates": {"浙A***77": "matched"}}
    app.save(update_fields=["verification"])
    order = passes.buy(resident, app, Product.objects.get(garage=g01))
    payments.confirm_offline(demo["staff"], order, reference="CASH-1", amount_fen=30000)
    return {"resident": resident, "application": app, "operator": operator, **demo}


def map_drawn(page: Page, testid: str) -> int:
    """How many GeoJSON features Leaflet drew into the map (and that the map has a size)."""
    box = page.get_by_test_id(testid)
    expect(box).to_have_attribute("data-map-ready", re.compile(r"[1-9]\d*"))
    drawn = box.evaluate(
        """el => ({width: el.getBoundingClientRect().width,
                  height: el.getBoundingClientRect().height,
                  shapes: el.querySelectorAll('.leaflet-overlay-pane path').length})"""
    )
    assert drawn["width"] > 300 and drawn["height"] > 250, drawn
    return int(drawn["shapes"])


def test_the_resident_pages(new_page: NewPage, snap: Snap, people: dict[str, Any]) -> None:
    app = people["application"]
    for size, lang in VIEWS:
        tag = f"{size}-{lang}"
        page = new_page(size)
        log_in(page, "wu_resident", lang)
        page.goto("/parking/")  # the module's entry: a password login is a resident too
        page.wait_for_url("**/parking/me/")
        page.goto(f"/parking/me/applications/{app.pk}/")
        expect(page.get_by_test_id("plates-held")).to_be_visible()
        expect(page.get_by_test_id("buy")).to_have_count(0)
        expect(page.get_by_test_id("checks")).not_to_contain_text("?")
        assert map_drawn(page, "offer-map") >= 1 + 5 + 1  # reach, 5 garages, the estate
        expect(page.get_by_test_id("walking").first).to_contain_text("米" if lang == "zh" else " m")
        assert_fits(page)
        snap(page, f"parking-ux-application-{tag}")

        page.goto("/parking/e/jinxiu/")
        assert map_drawn(page, "offer-map") >= 7
        assert_fits(page)
        snap(page, f"parking-ux-estate-landing-{tag}")


def test_the_staff_pages(new_page: NewPage, snap: Snap, people: dict[str, Any]) -> None:
    (e001,) = indices.estate_indices(published_nights(), estate="E001")
    assert e001.shared_spaces == sum(garage_svc.shared_spaces_by_garage().values()) == 10
    for size, lang in VIEWS:
        tag = f"{size}-{lang}"
        page = new_page(size)
        log_in(page, "jinxiu", lang)
        title = page.title()
        assert title.endswith("社区数智平台" if lang == "zh" else "Community platform"), title
        snap(page, f"parking-ux-home-{tag}")

        page.goto("/parking/staff/estates/")
        expect(page.get_by_test_id("estate-shortfall")).to_have_text(str(e001.shortfall))
        assert_fits(page)
        snap(page, f"parking-ux-estates-{tag}")

        page.goto("/parking/indices/")
        expect(page.get_by_test_id("shortfall-E001")).to_have_text(str(e001.shortfall))
        assert map_drawn(page, "indices-map") >= 6  # the estate and five garages
        assert_fits(page)
        snap(page, f"parking-ux-indices-map-{tag}")

        page.goto("/parking/indices/estates/E001/")
        expect(page.get_by_test_id("shortfall")).to_have_text(str(e001.shortfall))
        expect(page.get_by_test_id("shared-total")).to_have_text(str(e001.shared_spaces))
        assert_fits(page)
        snap(page, f"parking-ux-indices-estate-{tag}")

        page.goto("/parking/posters/estate/jinxiu/")
        fill = page.get_by_test_id("qr").evaluate(
            """el => { const svg = el.querySelector('svg').getBoundingClientRect();
                       const code = el.querySelector('path').getBoundingClientRect();
                       return {svg: svg.width, code: code.width}; }"""
        )
        assert fill["svg"] > 300 and fill["code"] > 0.8 * fill["svg"], fill
        snap(page, f"parking-ux-poster-{tag}")


def test_the_operator_plan_form(new_page: NewPage, snap: Snap, people: dict[str, Any]) -> None:
    g01 = Garage.objects.get(code="G01")
    for size, lang in VIEWS:
        tag = f"{size}-{lang}"
        page = new_page(size)
        log_in(page, "g01_operator", lang)
        page.goto(f"/parking/operator/{g01.pk}/plans/")
        form = page.get_by_test_id("plan-form")
        ticked = form.locator("input[name=span_days]:checked")
        expect(ticked).to_have_count(5)  # Mo-Fr 19:00-07:30
        expect(form.locator("input[name=full_days]:checked")).to_have_count(2)  # Sa, Su
        expect(form.locator("input[name=start]")).to_have_value("19:00")
        expect(form.locator("input[name=end]")).to_have_value("07:30")
        expect(form.locator("input[name=holidays][value=all_day]")).to_be_checked()
        expect(form).not_to_contain_text("姓名")
        assert_fits(page)
        snap(page, f"parking-ux-plan-form-{tag}")
