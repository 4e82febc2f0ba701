"""Who sees which point and alert over the API, as a matrix of roles × objects."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from flood.access import SEES, make_people
from flood.factories import add_gauge, rows, threshold_rule
from shequ.flood.models import Alert, MonitoringPoint
from shequ.flood.services import ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts_at_both(culvert: MonitoringPoint, far_point: MonitoringPoint) -> dict[str, Alert]:
    made = {}
    for point, code in ((culvert, "W01"), (far_point, "B01")):
        gauge, _token = add_gauge(point, code)
        threshold_rule(gauge)
        ingest.ingest(gauge, rows(20))
        made[point.code] = Alert.objects.get(point=point)
    return made


@pytest.mark.parametrize("name", sorted(SEES))
def test_points_and_alerts_by_role(
    name: str,
    make_user: Callable[..., Any],
    client_for: Callable[[Any], Any],
    alerts_at_both: dict[str, Alert],
) -> None:
    client = client_for(make_people(make_user)[name])
    seen = SEES[name] or set()
    points = client.get("/api/v1/flood/points")
    assert points.status_code == 200
    assert {p["code"] for p in points.json()} == seen
    assert {a["point"] for a in client.get("/api/v1/flood/alerts").json()} == seen
    for code, alert in alerts_at_both.items():
        answer = client.post(
            f"/api/v1/flood/alerts/{alert.pk}/acknowledge",
            json.dumps({"comment": "收到"}),
            content_type="application/json",
        )
        assert answer.status_code == (200 if code in seen else 404), (code, answer.content)
        alert.refresh_from_db()
        assert (alert.state == "acknowledged") == (code in seen)


def test_anonymous_callers_are_refused(alerts_at_both: dict[str, Alert]) -> None:
    from django.test import Client

    assert Client().get("/api/v1/flood/points").status_code == 401
    assert Client().get("/api/v1/flood/alerts").status_code == 401


def test_acknowledging_a_resolved_alert_is_409(
    make_user: Callable[..., Any],
    client_for: Callable[[Any], Any],
    alerts_at_both: dict[str, Alert],
) -> None:
    alert = alerts_at_both["culvert"]
    alert.state = "resolved"
    alert.save()
    client = client_for(make_people(make_user)["village_officer"])
    answer = client.post(
        f"/api/v1/flood/alerts/{alert.pk}/acknowledge", "{}", content_type="application/json"
    )
    assert answer.status_code == 409


def test_a_device_token_is_no_user_token(
    alerts_at_both: dict[str, Alert], culvert: MonitoringPoint
) -> None:
    from django.test import Client

    _gauge, token = add_gauge(culvert, "W09")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/flood/points").status_code == 401


def test_resolving_over_the_api(
    make_user: Callable[..., Any],
    client_for: Callable[[Any], Any],
    alerts_at_both: dict[str, Alert],
) -> None:
    people = make_people(make_user)
    alert = alerts_at_both["culvert"]
    url = f"/api/v1/flood/alerts/{alert.pk}/resolve"
    body = json.dumps({"comment": "水已退"})
    far = client_for(people["far_officer"]).post(url, body, content_type="application/json")
    assert far.status_code == 404
    mine = client_for(people["village_officer"]).post(url, body, content_type="application/json")
    assert mine.status_code == 200 and mine.json()["state"] == "resolved"
    again = client_for(people["village_officer"]).post(url, body, content_type="application/json")
    assert again.status_code == 409


def test_silencing_a_point_over_the_api(
    make_user: Callable[..., Any], client_for: Callable[[Any], Any], culvert: MonitoringPoint
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    people = make_people(make_user)
    until = (timezone.now() + timedelta(hours=2)).isoformat()
    body = json.dumps({"until": until, "reason": "水位计检修"})
    url = "/api/v1/flood/points/culvert/silences"
    far = client_for(people["far_officer"]).post(url, body, content_type="application/json")
    assert far.status_code == 404
    mine = client_for(people["village_officer"]).post(url, body, content_type="application/json")
    assert mine.status_code == 200 and mine.json()["point"] == "culvert"
    naive = json.dumps({"until": until[:19], "reason": "x"})
    refused = client_for(people["village_officer"]).post(
        url, naive, content_type="application/json"
    )
    assert refused.status_code == 422 and "until" in refused.json()["error"]["fields"]
    past = json.dumps({"until": "2020-01-01T00:00:00+08:00", "reason": "x"})
    late = client_for(people["village_officer"]).post(url, past, content_type="application/json")
    assert late.status_code == 422 and "until" in late.json()["error"]["fields"]


@pytest.mark.parametrize("name", sorted(SEES))
def test_alert_history_and_past_alerts_by_role(
    name: str,
    make_user: Callable[..., Any],
    client_for: Callable[[Any], Any],
    alerts_at_both: dict[str, Alert],
) -> None:
    client = client_for(make_people(make_user)[name])
    seen = SEES[name] or set()
    everything = client.get("/api/v1/flood/alerts?state=all")
    assert everything.status_code == 200
    assert {a["point"] for a in everything.json()} == seen
    for code, alert in alerts_at_both.items():
        history = client.get(f"/api/v1/flood/alerts/{alert.pk}/events")
        assert history.status_code == (200 if code in seen else 404), (code, history.content)
        if code in seen:
            assert [e["kind"] for e in history.json()][:1] == ["fired"]
