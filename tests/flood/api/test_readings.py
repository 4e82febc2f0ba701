"""``POST /api/v1/flood/readings`` and ``/camera-events`` with a device token."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from flood.factories import T0, add_gauge, admin, body
from shequ.flood.models import Alert, CameraEvent, Device, MonitoringPoint, Reading, Rule
from shequ.flood.services import devices

pytestmark = pytest.mark.django_db
URL = "/api/v1/flood/readings"


def post(token: str, data: Any, url: str = URL) -> Any:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    raw = data if isinstance(data, str) else json.dumps(data)
    return client.post(url, raw, content_type="application/json")


def test_a_gauge_posts_a_batch_and_an_alert_opens(
    gauge_and_token: tuple[Device, str], depth: Rule
) -> None:
    _gauge, token = gauge_and_token
    answer = post(token, body(3, 8, 16))
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"received": 3, "stored": 3, "duplicates": 0, "alerts_changed": 1}
    assert Alert.objects.get().level == 2


def test_a_retried_batch_answers_the_same_and_stores_nothing_twice(
    gauge_and_token: tuple[Device, str], depth: Rule
) -> None:
    _gauge, token = gauge_and_token
    post(token, body(3, 8, 16))
    again = post(token, body(3, 8, 16))
    assert again.json() == {"received": 3, "stored": 0, "duplicates": 3, "alerts_changed": 0}
    assert Reading.objects.count() == 3
    assert Alert.objects.count() == 1


def test_a_naive_time_is_a_422_naming_its_row_and_nothing_is_stored(
    gauge_and_token: tuple[Device, str],
) -> None:
    _gauge, token = gauge_and_token
    data = body(1, 2, 3)
    data["readings"][2]["time"] = "2026-07-01T08:02:00"
    answer = post(token, data)
    assert answer.status_code == 422
    assert list(answer.json()["error"]["fields"]) == ["readings.2.time"]
    assert "readings.2.time" in answer.json()["error"]["message"]
    assert not Reading.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"readings": [{"time": "2026-07-01T08:00:00Z", "value": "high"}]}, "readings.0.value"),
        ({"readings": [{"time": "yesterday", "value": 1}]}, "readings.0.time"),
        ({"readings": [{"time": "2026-07-01T08:00:00Z"}]}, "readings.0.value"),
        ({"readings": [{"time": "2026-07-01T08:00:00Z", "value": 1, "x": 2}]}, "readings.0.x"),
        ({"readings": []}, "readings"),
        ({}, "readings"),
    ],
)
def test_malformed_rows_are_422_naming_the_field(
    gauge_and_token: tuple[Device, str], data: dict[str, Any], field: str
) -> None:
    answer = post(gauge_and_token[1], data)
    assert answer.status_code == 422
    assert field in answer.json()["error"]["fields"]


def test_a_time_outside_the_plausible_years_names_its_row(
    gauge_and_token: tuple[Device, str],
) -> None:
    answer = post(gauge_and_token[1], {"readings": [{"time": "1900-01-01T00:00:00Z", "value": 1}]})
    assert answer.status_code == 422
    assert list(answer.json()["error"]["fields"]) == ["readings.0.time"]


def test_a_body_that_is_not_json_is_a_4xx(gauge_and_token: tuple[Device, str]) -> None:
    assert post(gauge_and_token[1], "{not json").status_code in (400, 422)


def test_a_batch_over_ten_thousand_is_refused(gauge_and_token: tuple[Device, str]) -> None:
    data = body(*[1.0] * 10_001)
    answer = post(gauge_and_token[1], data)
    assert answer.status_code in (413, 422)
    assert not Reading.objects.exists()


def test_ten_thousand_readings_are_one_batch(gauge_and_token: tuple[Device, str]) -> None:
    answer = post(gauge_and_token[1], body(*[1.0] * 10_000, step=1))
    assert answer.status_code == 200, answer.content[:300]
    assert Reading.objects.count() == 10_000


def test_an_unknown_or_revoked_token_is_401(gauge_and_token: tuple[Device, str]) -> None:
    gauge, token = gauge_and_token
    assert post("flood_guess", body(1)).status_code == 401
    devices.revoke_token(admin(), gauge)
    assert post(token, body(1)).status_code == 401
    assert not Reading.objects.exists()


def test_the_token_is_stored_only_as_its_digest(gauge_and_token: tuple[Device, str]) -> None:
    gauge, token = gauge_and_token
    gauge.refresh_from_db()
    assert token not in (gauge.digest, gauge.prefix) and len(gauge.digest) == 64


def camera_event(**fields: Any) -> dict[str, Any]:
    return {
        "event_id": "evt-1",
        "time": (T0 + timedelta(minutes=3)).isoformat(),
        "type": "vehicle_trapped",
        "confidence": 0.93,
        "boxes": [[0.1, 0.2, 0.3, 0.4]],
    } | fields


def test_a_camera_event_is_stored_once_and_a_repeat_answers_the_first(
    culvert: MonitoringPoint,
) -> None:
    _camera, token = add_gauge(culvert, "C01", "camera")
    first = post(token, camera_event(), "/api/v1/flood/camera-events")
    assert first.status_code == 200, first.content
    assert first.json()["replayed"] is False
    again = post(token, camera_event(confidence=0.2), "/api/v1/flood/camera-events")
    assert again.json() == {
        "event_id": "evt-1",
        "type": "vehicle_trapped",
        "confidence": 0.93,
        "replayed": True,
        "has_image": False,
    }
    assert CameraEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"time": "2026-07-01T08:00:00"}, "time"),
        ({"type": "ufo"}, "type"),
        ({"confidence": 1.5}, "confidence"),
        ({"event_id": ""}, "event_id"),
    ],
)
def test_malformed_camera_events_are_422_naming_the_field(
    culvert: MonitoringPoint, fields: dict[str, Any], field: str
) -> None:
    _camera, token = add_gauge(culvert, "C01", "camera")
    answer = post(token, camera_event(**fields), "/api/v1/flood/camera-events")
    assert answer.status_code == 422
    assert field in answer.json()["error"]["fields"]
    assert not CameraEvent.objects.exists()


def test_a_gauge_cannot_post_camera_events(gauge_and_token: tuple[Device, str]) -> None:
    answer = post(gauge_and_token[1], camera_event(), "/api/v1/flood/camera-events")
    assert answer.status_code == 422


def test_staff_of_the_region_issue_a_token_that_replaces_the_old_one(
    gauge_and_token: tuple[Device, str],
    make_user: Any,
    client_for: Any,
) -> None:
    from shequ.core.models import Role

    _gauge, old = gauge_and_token
    far = client_for(make_user(Role.DUTY_OFFICER, "990103001001"))
    assert far.post("/api/v1/flood/devices/W01/token").status_code == 404
    mine = client_for(make_user(Role.STREET_STAFF, "990102001000"))
    issued = mine.post("/api/v1/flood/devices/W01/token")
    assert issued.status_code == 200
    token = issued.json()["token"]
    assert post(old, body(1)).status_code == 401
    assert post(token, body(1)).status_code == 200
    assert mine.post("/api/v1/flood/devices/nothing/token").status_code == 404
