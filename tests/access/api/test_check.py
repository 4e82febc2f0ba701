"""``POST /api/v1/access/check``: device tokens, answers, bad input named, idempotent retries."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from access.factories import HOME, add_resident, check_body, device_client, health_row
from shequ.access.api.devices import CheckOut
from shequ.access.models import AccessEvent, Alert
from shequ.access.services import devices

URL = "/api/v1/access/check"


def _post(client: Any, body: Any) -> Any:
    response = client.post(URL, body, content_type="application/json")
    if response.status_code == 200:  # the answer is written out: it keeps to its schema
        assert response["Content-Type"] == "application/json; charset=utf-8"
        CheckOut.model_validate_json(response.content, strict=True)
        assert set(response.json()) == set(CheckOut.model_fields)
    return response


def test_a_red_resident_is_refused_with_the_terminal_text(staff, regions, terminal, load) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "red")])
    response = _post(device_client(terminal[1]), check_body("e1", "V1"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["allow"] is False and body["colour"] == "red"
    assert body["display"] == "红码 请联系物业"
    assert "health_red" in body["reasons"] and body["replayed"] is False


def test_a_green_resident_passes(staff, regions, terminal, load) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "green")])
    body = _post(device_client(terminal[1]), check_body("e1", "V1")).json()
    assert (body["allow"], body["display"]) == (True, "绿码 请通行")


def test_a_retry_returns_the_first_answer_and_writes_nothing(
    staff, regions, terminal, load
) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "red")])
    client = device_client(terminal[1])
    first = _post(client, check_body("e1", "V1")).json()
    second = _post(client, check_body("e1", "V1")).json()
    assert second == first | {"replayed": True}
    assert AccessEvent.objects.count() == 1 and Alert.objects.get().attempts == 1


@pytest.mark.parametrize("token", ["", "door_wrong", "gate_something", "shq_user"])
def test_it_refuses_without_a_device_token(terminal, hub, token: str) -> None:
    response = _post(device_client(token), check_body("e1", "V1"))
    assert response.status_code == 401
    assert not AccessEvent.objects.exists()


def test_a_revoked_device_is_refused(staff, terminal, hub) -> None:
    devices.revoke_device(staff, terminal[0])
    assert _post(device_client(terminal[1]), check_body("e1", "V1")).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_id": ""}, "event_id"),
        ({"event_id": "x" * 65}, "event_id"),
        ({"method": "iris"}, "method"),
        ({"value": ""}, "value"),
        ({"value": "v" * 65}, "value"),
        ({"time": "yesterday"}, "time"),
        ({"time": "0001-01-01T00:00:00"}, "time"),
    ],
)
def test_bad_input_is_422_naming_the_field(terminal, hub, change: dict, field: str) -> None:
    body = check_body("e1", "V1") | change
    response = _post(device_client(terminal[1]), body)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert not AccessEvent.objects.exists()


def test_a_missing_field_is_named(terminal, hub) -> None:
    body = check_body("e1", "V1")
    del body["method"]
    response = _post(device_client(terminal[1]), body)
    assert response.status_code == 422 and "method" in response.json()["error"]["fields"]


def test_a_body_that_is_not_json_is_4xx(terminal, hub) -> None:
    response = device_client(terminal[1]).post(URL, "{nope", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert not AccessEvent.objects.exists()


def test_the_device_is_seen_online(terminal, hub) -> None:
    _post(device_client(terminal[1]), check_body("e1", "V1"))
    terminal[0].refresh_from_db()
    assert terminal[0].online and terminal[0].last_seen_at <= timezone.now()
