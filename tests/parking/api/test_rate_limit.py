"""A gate camera past its token's rate limit gets 429 with Retry-After, nothing recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone

from shequ.core.services import ratelimit
from shequ.parking.models import Garage, GateEvent

pytestmark = pytest.mark.django_db


def test_a_gate_over_its_limit_is_429(
    settings: Any, garage: Garage, device: tuple[Any, Any]
) -> None:
    ratelimit._local.clear()
    settings.DEVICE_RATE_LIMIT = 2

    def event(n: int) -> Any:
        body = {
            "event_id": f"e{n}",
            "garage": garage.code,
            "direction": "in",
            "plate": "浙A12345",
            "time": timezone.localtime().isoformat(),
        }
        return device[1].post(
            "/api/v1/parking/gate-events", json.dumps(body), content_type="application/json"
        )

    assert [event(1).status_code, event(2).status_code] == [200, 200]
    refused = event(3)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert not GateEvent.objects.filter(event_id="e3").exists()
