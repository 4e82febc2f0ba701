"""The live map's own background without tiles: boundaries under the user's regions and the
basemap file's roads, railway and creek."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from flood.access import make_people
from flood.factories import ELSEWHERE, VILLAGE
from shequ.core.models import Region
from shequ.flood.demo import BASEMAP
from shequ.flood.services import basemap

pytestmark = pytest.mark.django_db
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[120.11, 30.22], [120.15, 30.22], [120.15, 30.26], [120.11, 30.22]]],
}


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_basemap_is_the_users_boundaries_and_the_file(
    make_user: Callable[..., Any], regions: dict[str, Region]
) -> None:
    for code in (VILLAGE, ELSEWHERE):
        regions[code].boundary = SQUARE
        regions[code].save()
    basemap.write(BASEMAP)
    people = make_people(make_user)
    data = login(people["street_staff"]).get("/flood/basemap.json").json()
    kinds = [(f["properties"]["kind"], f["properties"]["label"]) for f in data["features"]]
    assert ("boundary", "石桥村") in kinds and ("boundary", "北山社区") not in kinds
    assert {k for k, _label in kinds} == {"boundary", "road", "railway", "water", "hill"}
    page = login(people["street_staff"]).get("/flood/").content.decode()
    assert 'data-basemap="/flood/basemap.json"' in page
    assert login(people["resident"]).get("/flood/basemap.json").status_code == 403


def test_a_broken_basemap_file_draws_the_boundaries_alone(
    make_user: Callable[..., Any], regions: dict[str, Region]
) -> None:
    regions[VILLAGE].boundary = SQUARE
    regions[VILLAGE].save()
    basemap.path().parent.mkdir(parents=True, exist_ok=True)
    basemap.path().write_text("{not json")
    data = login(make_people(make_user)["village_officer"]).get("/flood/basemap.json").json()
    assert [f["properties"]["kind"] for f in data["features"]] == ["boundary"]
