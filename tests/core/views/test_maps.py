"""Maps: GeoJSON offline by default; GCJ-02 coordinates only for tiles that need them."""

from __future__ import annotations

from typing import Any

import pytest

from shequ.parking.geo import LatLon, haversine_m
from shequ.web import maps

HANGZHOU = (30.2741, 120.1551)


def test_gcj02_shifts_points_in_china_by_a_few_hundred_metres() -> None:
    shifted = maps.wgs84_to_gcj02(*HANGZHOU)
    moved = haversine_m(LatLon(*HANGZHOU), LatLon(*shifted))
    assert 200 < moved < 800  # the published offset in eastern China is about 500 m
    assert shifted[1] > HANGZHOU[1]  # tiles are drawn east of the WGS-84 position there


@pytest.mark.parametrize("where", [(51.5, -0.12), (-33.9, 151.2), (60.0, 100.0)])
def test_gcj02_leaves_points_outside_china_alone(where: tuple[float, float]) -> None:
    assert maps.wgs84_to_gcj02(*where) == where


def test_without_tiles_the_page_gets_wgs84_and_no_tile_url(settings: Any) -> None:
    settings.MAP_TILE_URL, settings.MAP_TILE_CRS = "", "gcj02"
    drawn = maps.drawing([maps.point(*HANGZHOU, kind="estate")])
    assert drawn["tiles"].url == ""
    assert drawn["geojson"]["features"][0]["geometry"]["coordinates"] == [120.1551, 30.2741]


def test_gcj02_tiles_get_shifted_points_and_boundaries(settings: Any) -> None:
    settings.MAP_TILE_URL = "https://tiles.example.gov.cn/{z}/{x}/{y}.png"
    settings.MAP_TILE_CRS = "gcj02"
    lat, lon = maps.wgs84_to_gcj02(*HANGZHOU)
    point = maps.point(*HANGZHOU)
    assert point["geometry"]["coordinates"] == [round(lon, 7), round(lat, 7)]
    ring = [[120.15, 30.27], [120.16, 30.27], [120.16, 30.28], [120.15, 30.27]]
    area = maps.area({"type": "Polygon", "coordinates": [ring]}, kind="area")
    assert area is not None
    first = area["geometry"]["coordinates"][0][0]
    assert first != [120.15, 30.27] and len(area["geometry"]["coordinates"][0]) == 4
    assert maps.area({"type": "Point", "coordinates": [1, 2]}) is None
