"""Who sees which page: the map, a point's page, the alert inbox, acknowledging (roles × points)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from flood.access import SEES, make_people
from flood.factories import add_gauge, rows, threshold_rule
from shequ.flood.models import Alert, MonitoringPoint
from shequ.flood.services import ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(culvert: MonitoringPoint, far_point: MonitoringPoint) -> dict[str, Alert]:
    made = {}
    for point, code in ((culvert, "W01"), (far_point, "B01")):
        gauge, _token = add_gauge(point, code)
        threshold_rule(gauge)
        ingest.ingest(gauge, rows(20))
        made[point.code] = Alert.objects.get(point=point)
    return made


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", sorted(SEES))
def test_pages_by_role(name: str, make_user: Callable[..., Any], both: dict[str, Alert]) -> None:
    client = login(make_people(make_user)[name])
    seen = SEES[name]
    if seen is None:
        for url in ("/flood/", "/flood/alerts/", "/flood/points/culvert/", "/flood/map.json"):
            assert client.get(url).status_code == 403, url
        return
    page = client.get("/flood/").content.decode()
    data = client.get("/flood/map.json").json()
    assert {f["properties"]["code"] for f in data["features"] if "code" in f["properties"]} == seen
    inbox = client.get("/flood/alerts/").content.decode()
    for code, alert in both.items():
        assert (f'data-testid="point-{code}"' in page) == (code in seen)
        assert (f'data-testid="alert-{alert.pk}"' in inbox) == (code in seen)
        detail = client.get(f"/flood/points/{code}/")
        assert detail.status_code == (200 if code in seen else 404)
        acked = client.post(f"/flood/alerts/{alert.pk}/acknowledge/", {"comment": "收到"})
        assert acked.status_code == (302 if code in seen else 404)
        alert.refresh_from_db()
        assert (alert.state == "acknowledged") == (code in seen)


def test_anonymous_visitors_are_sent_to_log_in(both: dict[str, Alert]) -> None:
    answer = Client().get("/flood/")
    assert answer.status_code == 302 and "login" in answer["Location"]
