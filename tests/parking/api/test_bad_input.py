"""Bad input to the parking API is a 422 naming the field, never a 500.

Integers past what a column holds were an ``OverflowError``; a time without an offset (local
time, as the docs allow) or in year 1 failed deep in the service.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from parking.factories import client_for
from shequ.parking.models import Garage, OccupancyCount

pytestmark = [pytest.mark.django_db]


def _send(client: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("value", [18446744073709551616, 2**31, -1])
def test_an_integer_out_of_range_is_422_naming_the_field(
    garage: Garage, operator: Any, value: int
) -> None:
    response = _send(
        client_for(operator),
        "patch",
        f"/api/v1/parking/garages/{garage.pk}",
        {"total_spaces": value},
    )
    assert response.status_code == 422, response.content
    assert "total_spaces" in response.json()["error"]["fields"]
    garage.refresh_from_db()
    assert garage.total_spaces < 2**31


def test_a_huge_id_in_the_path_is_422_not_500(operator: Any) -> None:
    response = client_for(operator).get("/api/v1/parking/garages/18446744073709551616")
    assert response.status_code == 422, response.content
    assert "garage_id" in response.json()["error"]["fields"]


def test_a_count_without_an_offset_is_local_time(garage: Garage, operator: Any) -> None:
    local = timezone.localtime() - timedelta(hours=1)
    naive = local.replace(tzinfo=None, microsecond=0)
    response = _send(
        client_for(operator),
        "post",
        f"/api/v1/parking/garages/{garage.pk}/counts",
        {"occupied": 3, "counted_at": naive.isoformat()},
    )
    assert response.status_code == 201, response.content
    entry = OccupancyCount.objects.get()
    assert timezone.localtime(entry.counted_at).replace(tzinfo=None) == naive


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-10:00"]
)
def test_a_count_out_of_range_is_422_naming_counted_at(
    garage: Garage, operator: Any, value: str
) -> None:
    response = _send(
        client_for(operator),
        "post",
        f"/api/v1/parking/garages/{garage.pk}/counts",
        {"occupied": 3, "counted_at": value},
    )
    assert response.status_code == 422, response.content
    assert "counted_at" in response.json()["error"]["fields"]
    assert not OccupancyCount.objects.exists()


@pytest.mark.parametrize(("field", "limit"), [("event_id", 64), ("gate", 40), ("plate", 20)])
def test_a_gate_event_over_a_stated_length_is_422(
    garage: Garage, operator: Any, field: str, limit: int
) -> None:
    from django.test import Client

    from shequ.parking.services import garages

    _device, raw = garages.issue_device(operator, garage, "north-in")
    gate = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = {
        "event_id": "e1",
        "garage": garage.code,
        "direction": "in",
        "plate": "浙A12345",
        "time": timezone.localtime().isoformat(),
        field: "x" * (limit + 1),
    }
    response = _send(gate, "post", "/api/v1/parking/gate-events", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
