"""Parking indices pages: who may open which (a matrix), and what the figures and charts show.

The hub holds two estates (甲小区 X1 in 锦绣社区, 乙小区 X2 in 和园社区) and two garages in
锦绣社区: GN 626 m walking from X1 (3 cars all week, one more on Tuesday daytime) and GF 876 m
(1 car), as in ``test_indices.py``; the worker has published one week of figures.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from parking.factories import (
    HOME,
    NEAR,
    SIBLING,
    STREET,
    Load,
    logged_in,
    small_hub,
    vehicle,
)
from shequ.core.models import Role
from shequ.parking import indices
from shequ.parking.models import Garage
from shequ.parking.services.indices import compute_and_publish_indices

# Three cars need a space in X1, one in X2.
CARS = [vehicle(f"浙A2000{i}", "X1") for i in range(3)] + [vehicle("浙A20009", "X2")]


@pytest.fixture
def published(load: Load) -> None:
    small_hub(load, CARS)
    compute_and_publish_indices(weeks=1)


@pytest.fixture
def people(make_user: Any, regions: dict[str, Any]) -> dict[str, Any]:
    operator = make_user(Role.GARAGE_OPERATOR, HOME, username="gn_operator")
    garage = Garage.objects.create(
        region=regions[HOME], code="GN", name="GN停车场", lat=NEAR[0], lon=NEAR[1], total_spaces=10
    )
    garage.operators.add(operator)
    return {
        "anonymous": None,
        "resident": make_user(Role.RESIDENT, HOME),
        "operator": operator,
        "other_operator": make_user(Role.GARAGE_OPERATOR, HOME, username="other_operator"),
        "analyst": make_user(Role.DEPARTMENT_ANALYST, STREET),
        "staff": make_user(Role.COMMUNITY_STAFF, HOME, username="jinxiu"),
        "staff_sibling": make_user(Role.COMMUNITY_STAFF, SIBLING, username="heyuan"),
        "street_staff": make_user(Role.STREET_STAFF, STREET, username="street"),
        "admin": make_user(Role.PLATFORM_ADMIN, "990000000000", username="admin"),
    }


def client_of(user: Any, lang: str = "en") -> Client:
    if user is None:
        return Client(HTTP_ACCEPT_LANGUAGE=lang)
    client = logged_in(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
    return client


PAGES = {
    "overview": "/parking/indices/",
    "estate": "/parking/indices/estates/X1/",
    "garage": "/parking/indices/garages/GN/",
    "formulas": "/parking/indices/formulas/",
}
# who -> expected status per page (overview, estate X1, garage GN, formulas)
MATRIX = {
    "anonymous": (302, 302, 302, 302),
    "resident": (403, 403, 403, 200),
    "operator": (200, 403, 200, 200),
    "other_operator": (403, 403, 403, 200),
    "analyst": (403, 403, 403, 200),
    "staff": (200, 200, 200, 200),
    "staff_sibling": (200, 403, 403, 200),
    "street_staff": (200, 200, 200, 200),
    "admin": (200, 200, 200, 200),
}


def test_who_may_open_which_indices_page(published: None, people: dict[str, Any]) -> None:
    got = {
        who: tuple(client_of(people[who]).get(url).status_code for url in PAGES.values())
        for who in MATRIX
    }
    assert got == MATRIX


def test_lists_hold_only_the_users_regions_and_garages(
    published: None, people: dict[str, Any]
) -> None:
    sibling = client_of(people["staff_sibling"]).get(PAGES["overview"]).content.decode()
    assert "乙小区" in sibling and "甲小区" not in sibling and "GN停车场" not in sibling
    street = client_of(people["street_staff"]).get(PAGES["overview"]).content.decode()
    assert "甲小区" in street and "乙小区" in street and "GF停车场" in street
    operator = client_of(people["operator"]).get(PAGES["overview"]).content.decode()
    assert "GN停车场" in operator and "GF停车场" not in operator
    assert 'data-testid="estates"' not in operator  # estate figures are for staff


def embedded(html: str, element_id: str) -> Any:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html)
    assert found, f"no #{element_id} on the page"
    return json.loads(found.group(1))


def test_the_estate_page_shows_the_index_the_idle_spaces_and_the_garage_charts(
    published: None, people: dict[str, Any]
) -> None:
    html = client_of(people["staff"]).get(PAGES["estate"]).content.decode()
    # 3 cars over 2 estate spaces + 1 shared by GN: index 1.00, no shortfall; GN idle 10 - 3.
    assert re.search(r'data-testid="parking-index">1\.00<', html)
    assert re.search(r'data-testid="shortfall">0<', html)
    assert re.search(r'data-testid="idle-total">7<', html)
    assert f'title="{escape(indices.FORMULAS["parking_index"])}"' in html
    assert 'href="/parking/indices/formulas/#idle_night_spaces"' in html
    bars = embedded(html, "garages-data")
    assert bars["categories"] == ["GN停车场"] and bars["series"][0]["data"] == [7]
    heat = embedded(html, "heatmap-GN")
    assert len(heat["cells"]) == 168 and len(heat["weekdays"]) == 7
    cell = {(c[0], c[1]): c for c in heat["cells"]}
    assert cell[(12, 1)][2] == 40.0  # Tuesday 12:00: 4 of 10 inside
    line = embedded(html, "line-GN")
    assert line["capacity"] == 10 and len(line["occupied"]) == 24 * 7
    assert line["occupied"][-1] == 3
    # Charts draw from the embedded JSON with the static script; no inline code.
    assert "parking/indices.js" in html and "vendor/echarts.min.js" in html
    assert not re.search(r"<script>(?!\s*</script>)", html)


def test_the_occupancy_line_shows_the_days_asked_for(
    published: None, people: dict[str, Any]
) -> None:
    client = client_of(people["operator"])
    html = client.get(PAGES["garage"] + "?days=7").content.decode()
    assert len(embedded(html, "line-GN")["occupied"]) == 168
    assert re.search(r'data-testid="garage-idle">7<', html)
    odd = client.get(PAGES["garage"] + "?days=x").content.decode()
    assert 'aria-current="page">14' in odd


def test_pages_speak_chinese_by_default(published: None, people: dict[str, Any]) -> None:
    html = client_of(people["staff"], "zh-hans").get(PAGES["estate"]).content.decode()
    assert "停车指数" in html and "夜间空余泊位" in html
    heat = embedded(html, "heatmap-GN")
    assert heat["weekdays"][0] == "星期一"


def test_before_the_worker_runs_the_pages_say_so(load: Load, people: dict[str, Any]) -> None:
    small_hub(load, CARS)
    client = client_of(people["staff"])
    html = client.get(PAGES["estate"]).content.decode()
    assert 'data-testid="indices-not-computed"' in html and "heatmap-GN" not in html
    assert client.get(PAGES["garage"]).status_code == 404
    assert client.get("/parking/indices/estates/NOPE/").status_code == 404


def test_the_staff_dashboard_links_to_the_indices_and_the_allocation(
    people: dict[str, Any],
) -> None:
    html = client_of(people["staff"]).get("/parking/staff/").content.decode()
    assert 'href="/parking/indices/"' in html and 'href="/parking/staff/allocation/"' in html


def test_the_api_is_mounted_under_parking_indices(published: None, people: dict[str, Any]) -> None:
    answer = client_of(people["staff"]).get("/api/v1/parking/indices/parking?estate=X1")
    assert answer.status_code == 200 and answer.json()["parking_index"] == 1.0


def test_the_shortfall_and_the_shared_spaces_are_the_same_on_every_page(
    published: None, people: dict[str, Any], load: Load
) -> None:
    """Issue 13: the estates list said 停车缺口 0 while the indices said 217, and the estate
    page said 夜间共享 0 while the garages shared 595. One function per figure, on every page."""
    from datetime import date

    from shequ.parking.indices import published_nights
    from shequ.parking.models import Estate, SharingPlan
    from shequ.parking.services import estates, garages

    load("vehicle_registrations", [vehicle(f"浙A3000{i}", "X1") for i in range(9)])
    gn = Garage.objects.get(code="GN")  # the hub's registry says GN shares 1 space
    SharingPlan.objects.create(
        garage=gn, code="night", name="夜间", capacity=4, hours="24/7", valid_from=date(2020, 1, 1)
    )
    Estate.objects.create(
        region=gn.region, code="X1", name="甲小区", slug="x1", lat=30.0, lon=120.0
    )  # the community's own count says 0, as in the demo
    (x1,) = indices.estate_indices(published_nights(), estate="X1")
    assert garages.shared_spaces_by_garage() == {"GN": 4}
    assert (x1.shared_spaces, x1.night_demand, x1.estate_spaces) == (4, 9, 2)
    assert x1.shortfall == 3
    client = client_of(people["staff"])
    page = client.get(PAGES["estate"]).content.decode()
    assert re.search(rf'data-testid="shortfall">{x1.shortfall}<', page)
    assert re.search(rf'data-testid="shared-total">{x1.shared_spaces}<', page)
    overview = client.get(PAGES["overview"]).content.decode()
    assert re.search(rf'data-testid="shortfall-X1">{x1.shortfall}<', overview)
    listed = client.get("/parking/staff/estates/").content.decode()
    assert re.search(rf'data-testid="estate-shortfall">{x1.shortfall}<', listed)
    (row,) = estates.with_shortfall(Estate.objects.all())
    assert (row.shortfall, row.from_indices) == (x1.shortfall, True)


def test_the_overview_maps_the_estates_and_the_garages(
    published: None, people: dict[str, Any]
) -> None:
    html = client_of(people["street_staff"]).get(PAGES["overview"]).content.decode()
    data = embedded(html, "indices-map")
    points = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert points["X1"]["kind"] == "estate" and points["X1"]["tone"] == "good"  # index 1.00
    assert points["GN"]["kind"] == "garage" and "7" in points["GN"]["label"]
    assert 'data-map data-source="indices-map"' in html
    assert not re.search(r"<script(?![^>]*(src=|application/json))[^>]*>", html)
