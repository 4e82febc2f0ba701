"""Printable QR posters: who may print them, and what they carry."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from shequ.core.models import Role
from shequ.parking.models import Estate, Garage

pytestmark = pytest.mark.django_db


def logged_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_staff_print_the_estate_poster_with_its_qr_code(
    estate: Estate, staff_jinxiu: Any, make_user: Any
) -> None:
    page = logged_in(staff_jinxiu).get("/parking/posters/estate/jinxiu/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "<svg" in text and "锦绣花园" in text and "/parking/e/jinxiu/" in text
    svg = logged_in(staff_jinxiu).get("/parking/posters/estate/jinxiu/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml" and svg.content.startswith(b"<svg")
    outsider = make_user(Role.COMMUNITY_STAFF, "990103001001")
    assert logged_in(outsider).get("/parking/posters/estate/jinxiu/").status_code == 403
    assert Client().get("/parking/posters/estate/jinxiu/").status_code == 302  # to login


def test_operators_print_their_garage_poster_only(
    garage: Garage, operator: Any, make_user: Any
) -> None:
    page = logged_in(operator).get("/parking/posters/garage/G01/")
    assert page.status_code == 200 and "/parking/g/G01/" in page.content.decode()
    other = make_user(Role.GARAGE_OPERATOR, "990102001001")
    assert logged_in(other).get("/parking/posters/garage/G01/").status_code == 403
    index = logged_in(operator).get("/parking/posters/").content.decode()
    assert "望湖大厦地下车库" in index


@pytest.mark.parametrize(
    ("role", "page"),
    [
        (Role.STREET_STAFF, "/parking/staff/"),
        (Role.COMMUNITY_STAFF, "/parking/staff/"),
        (Role.GARAGE_OPERATOR, "/parking/operator/"),
        (Role.RESIDENT, "/parking/me/"),
    ],
)
def test_the_parking_home_leads_each_role_to_its_pages(
    make_user: Any, role: str, page: str
) -> None:
    client = Client()
    client.force_login(make_user(role, "990102001001"))
    response = client.get("/parking/")
    assert response.status_code == 302 and response["Location"] == page


def test_the_qr_code_scales_to_the_poster_and_the_file_prints_at_110_mm(
    estate: Estate, staff_jinxiu: Any
) -> None:
    """Issue 13: without a viewBox the code printed at its pixel size in a corner."""
    import re

    client = logged_in(staff_jinxiu)
    page = client.get("/parking/posters/estate/jinxiu/").content.decode()
    inline = re.search(r"<svg[^>]*>", page)
    assert inline and re.search(r'viewBox="0 0 (\d+) \1"', inline.group(0))
    assert "width=" not in inline.group(0)  # the poster's CSS gives the size
    head = client.get("/parking/posters/estate/jinxiu/qr.svg").content.decode().split(">")[0]
    assert 'viewBox="0 0 ' in head and 'width="110mm"' in head and 'height="110mm"' in head
    assert "onclick" not in page and "<style" not in page  # no inline code (CSP)


def test_the_print_button_works_from_a_static_script(estate: Estate, staff_jinxiu: Any) -> None:
    # The Content-Security-Policy runs no inline handler (onclick=…): the button is wired by
    # parking/poster.js, served from our static files.
    page = logged_in(staff_jinxiu).get("/parking/posters/estate/jinxiu/")
    text = page.content.decode()
    assert 'src="/static/parking/poster.js"' in text and "data-print" in text
    assert "onclick" not in text
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert Client().get("/static/parking/poster.js").status_code == 200
