"""A door terminal past its token's limit gets 429; another terminal is not held back."""

from __future__ import annotations

from typing import Any

import pytest

from access.factories import add_device, check_body, device_client
from shequ.access.models import AccessPoint, Device
from shequ.core.services import ratelimit

pytestmark = pytest.mark.django_db
URL = "/api/v1/access/check"


def test_each_terminal_has_its_own_limit(
    settings: Any, staff: Any, point: AccessPoint, terminal: tuple[Device, str]
) -> None:
    ratelimit._local.clear()
    settings.DEVICE_RATE_LIMIT = 3
    busy, other = device_client(terminal[1]), device_client(add_device(staff, point, "qr")[1])

    def check(client: Any, event: str) -> Any:
        return client.post(URL, check_body(event, "V1"), content_type="application/json")

    statuses = [check(busy, f"e{i}").status_code for i in range(4)]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429
    refused = check(busy, "e9")
    assert int(refused["Retry-After"]) >= 1
    assert check(other, "o1").status_code == 200
