"""A device's reporting interval over the API: changed by who watches its region, shown pending
until the device acknowledges it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from flood.factories import ELSEWHERE, VILLAGE
from shequ.flood.models import Device
from shequ.flood.services import downlink

pytestmark = pytest.mark.django_db


def test_staff_change_the_interval_and_see_it_acknowledged(
    gauge: Device, make_user: Callable[..., Any], client_for: Callable[[Any], Any]
) -> None:
    api = client_for(make_user("duty_officer", VILLAGE))
    url = f"/api/v1/flood/devices/{gauge.code}"
    answer = api.put(f"{url}/interval", {"interval_seconds": 120}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json() | {"acked_at": None} == {
        "device": gauge.code, "interval_seconds": 120, "version": 1, "state": "pending",
        "acked_version": 0, "acked_at": None,
    }  # fmt: skip
    downlink.acknowledge(gauge.code, {"version": 1})
    assert api.get(f"{url}/config").json()["state"] == "acknowledged"
    bad = api.put(f"{url}/interval", {"interval_seconds": 1}, content_type="application/json")
    assert bad.status_code == 422


def test_a_device_of_another_region_is_not_found(
    gauge: Device, make_user: Callable[..., Any], client_for: Callable[[Any], Any]
) -> None:
    api = client_for(make_user("duty_officer", ELSEWHERE))
    url = f"/api/v1/flood/devices/{gauge.code}"
    assert api.get(f"{url}/config").status_code == 404
    put = api.put(f"{url}/interval", {"interval_seconds": 120}, content_type="application/json")
    assert put.status_code == 404
    gauge.refresh_from_db()
    assert gauge.interval_seconds == 60
