"""A gauge or camera past its token's rate limit gets 429 with Retry-After."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from flood.factories import body
from shequ.core.services import ratelimit
from shequ.flood.models import Device, Reading

pytestmark = pytest.mark.django_db


def test_a_gauge_over_its_limit_is_429_and_its_readings_are_not_stored(
    settings: Any, gauge_and_token: tuple[Device, str]
) -> None:
    ratelimit._local.clear()
    settings.DEVICE_RATE_LIMIT = 2
    client = Client(HTTP_AUTHORIZATION=f"Bearer {gauge_and_token[1]}")

    def post(*values: float) -> Any:
        raw = json.dumps(body(*values))
        return client.post("/api/v1/flood/readings", raw, content_type="application/json")

    assert [post(3).status_code, post(3, 4).status_code] == [200, 200]
    stored = Reading.objects.count()
    refused = post(3, 4, 5)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= settings.DEVICE_RATE_WINDOW
    assert refused.json()["error"]["code"] == "throttled"
    assert Reading.objects.count() == stored


def test_an_unknown_token_is_401_not_counted(settings: Any) -> None:
    ratelimit._local.clear()
    settings.DEVICE_RATE_LIMIT = 1
    client = Client(HTTP_AUTHORIZATION="Bearer flood_nothing")
    raw = json.dumps(body(3))
    statuses = {
        client.post("/api/v1/flood/readings", raw, content_type="application/json").status_code
        for _ in range(3)
    }
    assert statuses == {401}
