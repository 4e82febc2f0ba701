"""Staff pages for places: the estates they register and the public holidays they set.

Each page is tried from a matrix of people: its own staff, staff of another region, the
garage operators, a resident and a stranger.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from parking.factories import (
    ELSEWHERE,
    HOME,
    STAFF_PAGES,
    audits,
    client_of,
    logged_in,
)
from shequ.core.models import Role
from shequ.parking.models import (
    Estate,
    Garage,
    PublicHoliday,
)
from shequ.parking.services import periods

pytestmark = pytest.mark.django_db


# Public holidays -----------------------------------------------------------------------------


def _future(days: int = 30) -> str:
    return (periods.today() + timedelta(days=days)).isoformat()


@pytest.mark.parametrize("who", list(STAFF_PAGES))
def test_the_holiday_page_opens_to_staff_only(people: dict[str, Any], who: str) -> None:
    assert client_of(people[who]).get("/parking/staff/holidays/").status_code == STAFF_PAGES[who]


def test_staff_add_and_remove_a_holiday_of_their_region(staff_jinxiu: Any) -> None:
    client = logged_in(staff_jinxiu)
    added = client.post(
        "/parking/staff/holidays/", {"day": _future(), "name": "社区日", "region": HOME}
    )
    assert added.status_code == 302
    holiday = PublicHoliday.objects.get()
    assert holiday.region is not None and holiday.region.code == HOME
    assert "社区日" in client.get("/parking/staff/holidays/").content.decode()
    assert audits("parking.holiday.set")[0].region_code == HOME
    assert client.post(f"/parking/staff/holidays/{holiday.pk}/remove/").status_code == 302
    assert not PublicHoliday.objects.exists() and audits("parking.holiday.remove")


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"day": "", "region": HOME}, "day"),
        ({"day": "2020-01-01", "region": HOME}, "day"),  # passed
        ({"day": "not a date", "region": HOME}, "day"),
        ({"region": "nationwide"}, "region"),  # platform administrators only
        ({"region": ELSEWHERE}, "region"),  # not this staff's region
    ],
)
def test_a_bad_holiday_names_the_field(staff_jinxiu: Any, form: dict[str, str], field: str) -> None:
    data = {"day": _future(), "name": "x"} | form
    answer = logged_in(staff_jinxiu).post("/parking/staff/holidays/", data)
    assert answer.status_code == 200
    assert f'data-testid="error-{field}"' in answer.content.decode()
    assert not PublicHoliday.objects.exists()


def test_platform_administrators_set_nationwide_holidays(make_user: Any, staff_jinxiu: Any) -> None:
    admin = make_user(Role.PLATFORM_ADMIN, "990000000000", username="admin")
    answer = logged_in(admin).post(
        "/parking/staff/holidays/", {"day": _future(), "name": "国庆节", "region": "nationwide"}
    )
    assert answer.status_code == 302
    holiday = PublicHoliday.objects.get(region__isnull=True)
    page = logged_in(staff_jinxiu).get("/parking/staff/holidays/").content.decode()
    assert "国庆节" in page and 'data-testid="holiday-remove"' not in page  # seen, not removable
    denied = logged_in(staff_jinxiu).post(f"/parking/staff/holidays/{holiday.pk}/remove/")
    assert denied.status_code == 403 and PublicHoliday.objects.exists()


def test_staff_elsewhere_neither_see_nor_remove_another_regions_holiday(
    people: dict[str, Any],
) -> None:
    logged_in(people["staff"]).post(
        "/parking/staff/holidays/", {"day": _future(), "name": "社区日", "region": HOME}
    )
    holiday = PublicHoliday.objects.get()
    other = logged_in(people["staff_elsewhere"])
    assert "社区日" not in other.get("/parking/staff/holidays/").content.decode()
    assert other.post(f"/parking/staff/holidays/{holiday.pk}/remove/").status_code == 404
    assert PublicHoliday.objects.exists()


# Estates -------------------------------------------------------------------------------------

ESTATE = {
    "region": HOME,
    "code": "E002",
    "name": "和园小区",
    "slug": "heyuan",
    "lat": "30.2750",
    "lon": "120.1560",
    "shortfall": "120",
}


@pytest.mark.parametrize("who", list(STAFF_PAGES))
def test_the_estate_pages_open_to_staff_only(people: dict[str, Any], who: str) -> None:
    client = client_of(people[who])
    for url in ("/parking/staff/estates/", "/parking/staff/estates/new/"):
        assert client.get(url).status_code == STAFF_PAGES[who], url


def test_staff_create_and_edit_an_estate(staff_jinxiu: Any, estate: Estate) -> None:
    client = logged_in(staff_jinxiu)
    created = client.post("/parking/staff/estates/new/", ESTATE)
    assert created["Location"] == "/parking/staff/estates/"
    made = Estate.objects.get(code="E002")
    assert (made.slug, made.spaces_shortfall, made.region.code) == ("heyuan", 120, HOME)
    assert audits("parking.estate.create")[0].object_id == str(made.pk)
    edit = {k: v for k, v in ESTATE.items() if k not in ("region", "code")}
    saved = client.post(f"/parking/staff/estates/{made.pk}/", edit | {"name": "和园新村"})
    assert saved.status_code == 302
    made.refresh_from_db()
    assert made.name == "和园新村" and made.code == "E002"
    (event,) = audits("parking.estate.update")
    assert event.details["fields"] == ["name"]
    assert "和园新村" in client.get("/parking/staff/estates/").content.decode()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": "91"}, "lat"),
        ({"lon": "east"}, "lon"),
        ({"name": ""}, "name"),
        ({"code": "E001"}, "code"),  # taken
        ({"slug": "jinxiu"}, "slug"),  # taken
        ({"slug": "!!!"}, "slug"),
        ({"shortfall": "-3"}, "shortfall"),
        ({"region": ELSEWHERE}, "region"),  # not this staff's region
    ],
)
def test_a_bad_estate_names_the_field_and_saves_nothing(
    staff_jinxiu: Any, estate: Estate, change: dict[str, str], field: str
) -> None:
    answer = logged_in(staff_jinxiu).post("/parking/staff/estates/new/", ESTATE | change)
    assert answer.status_code == 200
    assert f'data-testid="error-{field}"' in answer.content.decode()
    assert Estate.objects.count() == 1 and not audits("parking.estate.create")


def test_an_edit_may_not_take_another_estates_slug(staff_jinxiu: Any, estate: Estate) -> None:
    client = logged_in(staff_jinxiu)
    client.post("/parking/staff/estates/new/", ESTATE)
    made = Estate.objects.get(code="E002")
    edit = {k: v for k, v in ESTATE.items() if k not in ("region", "code")}
    answer = client.post(f"/parking/staff/estates/{made.pk}/", edit | {"slug": "jinxiu"})
    assert 'data-testid="error-slug"' in answer.content.decode()
    made.refresh_from_db()
    assert made.slug == "heyuan"


@pytest.mark.parametrize(
    ("who", "status"),
    [("staff", 200), ("street_staff", 200), ("staff_elsewhere", 404), ("operator", 403)],
)
def test_an_estate_is_edited_by_staff_of_its_region_only(
    people: dict[str, Any], estate: Estate, who: str, status: int
) -> None:
    client = logged_in(people[who])
    assert client.get(f"/parking/staff/estates/{estate.pk}/").status_code == status
    listed = client.get("/parking/staff/estates/")
    if listed.status_code == 200:
        assert ("锦绣花园" in listed.content.decode()) == (status == 200)


def test_the_nav_links_to_the_new_pages(operator: Any, staff_jinxiu: Any, garage: Garage) -> None:
    page = logged_in(operator).get(f"/parking/operator/{garage.pk}/").content.decode()
    assert f"/parking/operator/{garage.pk}/tenants/" in page
    staff = logged_in(staff_jinxiu).get("/parking/staff/").content.decode()
    assert "/parking/staff/estates/" in staff and "/parking/staff/holidays/" in staff
