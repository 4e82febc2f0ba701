"""The lists of points and alerts cost the same number of queries for 2 points or 12."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flood.factories import VILLAGE, add_gauge, add_point, rows, threshold_rule
from shequ.core.models import Region, Role
from shequ.flood.services import ingest

pytestmark = pytest.mark.django_db


def points_with_alerts(region: Region, start: int, count: int) -> None:
    for i in range(start, start + count):
        point = add_point(region, code=f"p{i}", name=f"点{i}")
        gauge, _token = add_gauge(point, f"W{i:02d}")
        threshold_rule(gauge)
        ingest.ingest(gauge, rows(20))


def queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url", ["/api/v1/flood/points", "/api/v1/flood/alerts", "/flood/map.json", "/flood/alerts/"]
)
def test_lists_do_not_grow_with_their_rows(
    url: str, regions: dict[str, Region], make_user: Callable[..., Any], client_for: Any
) -> None:
    officer = make_user(Role.DUTY_OFFICER, VILLAGE)
    if url.startswith("/api/"):
        client = client_for(officer)
    else:
        from django.test import Client

        client = Client()
        client.force_login(officer)
    points_with_alerts(regions[VILLAGE], 0, 2)
    client.get(url)  # the first call also notes the token's use
    few = queries(client, url)
    points_with_alerts(regions[VILLAGE], 2, 10)
    assert queries(client, url) == few
