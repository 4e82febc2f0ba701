"""The emergency response page, its banner on the flood pages and its colour on the map."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from flood.access import make_people
from flood.factories import STREET, VILLAGE, admin
from shequ.core.models import Region
from shequ.flood.models import MonitoringPoint
from shequ.flood.services import response

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_raising_on_the_page_shows_everywhere(
    make_user: Callable[..., Any], culvert: MonitoringPoint, regions: dict[str, Region]
) -> None:
    regions[VILLAGE].boundary = {
        "type": "Polygon",
        "coordinates": [[[120.11, 30.27], [120.13, 30.27], [120.13, 30.29], [120.11, 30.27]]],
    }
    regions[VILLAGE].save()
    people = make_people(make_user)
    client = login(people["village_officer"])
    page = client.get("/flood/response/")
    assert page.status_code == 200 and 'data-testid="no-response"' in page.content.decode()
    empty = client.post("/flood/response/", {"region": VILLAGE, "level": 4, "reason": ""})
    assert empty.status_code == 422 and 'data-testid="error-reason"' in empty.content.decode()
    other = client.post("/flood/response/", {"region": STREET, "level": 4, "reason": "x"})
    assert other.status_code == 422 and 'data-testid="error-region"' in other.content.decode()
    done = client.post(
        "/flood/response/", {"region": VILLAGE, "level": 4, "reason": "台风红色预警"}
    )
    assert done.status_code == 302
    for url in ("/flood/", "/flood/alerts/", "/flood/points/culvert/", "/flood/response/"):
        assert f'data-testid="response-{VILLAGE}"' in client.get(url).content.decode(), url
    areas = [
        f
        for f in client.get("/flood/map.json").json()["features"]
        if f["properties"]["kind"] == "area"
    ]
    assert [a["properties"]["response"] for a in areas] == ["I"]
    # Another district's officer sees no banner of it.
    far = login(people["far_officer"]).get("/flood/").content.decode()
    assert 'data-testid="response-banner"' not in far


def test_a_street_response_shows_to_the_village(
    make_user: Callable[..., Any], culvert: MonitoringPoint, regions: dict[str, Region]
) -> None:
    response.set_level(admin(), regions[STREET], 2, "街道三级响应")
    people = make_people(make_user)
    page = login(people["village_officer"]).get("/flood/points/culvert/").content.decode()
    assert f'data-testid="response-{STREET}"' in page
    assert login(people["resident"]).get("/flood/response/").status_code == 403
