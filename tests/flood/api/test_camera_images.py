"""Camera events with their snapshot (base64 in the JSON): stored once, refused clearly."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from flood.factories import T0, add_gauge, png
from shequ.flood.models import CameraEvent, MonitoringPoint
from shequ.flood.services import images

pytestmark = pytest.mark.django_db


def post(token: str, payload: dict[str, Any]) -> Any:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.post("/api/v1/flood/camera-events", json.dumps(payload), "application/json")


def event(**fields: Any) -> dict[str, Any]:
    return {
        "event_id": "evt-1",
        "time": (T0 + timedelta(minutes=3)).isoformat(),
        "type": "vehicle_trapped",
        "confidence": 0.93,
        "image_base64": base64.b64encode(png(8, 6)).decode(),
    } | fields


def files() -> list[Any]:
    return [p for p in images.root().rglob("*") if p.is_file()] if images.root().exists() else []


@pytest.fixture
def token(culvert: MonitoringPoint) -> str:
    return add_gauge(culvert, "C01", "camera")[1]


def test_a_snapshot_and_its_thumbnail_are_stored_once(token: str) -> None:
    thumb = "data:image/png;base64," + base64.b64encode(png(2, 2)).decode()
    first = post(token, event(thumbnail_base64=thumb))
    assert first.status_code == 200, first.content
    assert first.json()["has_image"] is True
    stored = CameraEvent.objects.get()
    assert images.path_of(stored.image).read_bytes() == png(8, 6)  # type: ignore[union-attr]
    assert images.path_of(stored.thumb).read_bytes() == png(2, 2)  # type: ignore[union-attr]
    again = post(token, event())
    assert again.json()["replayed"] is True
    assert len(files()) == 2  # the retry stored nothing


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"image_base64": "not base64!"}, "image_base64"),
        ({"image_base64": base64.b64encode(b"<svg/>").decode()}, "image_base64"),
        ({"thumbnail_base64": "%%%"}, "thumbnail_base64"),
    ],
)
def test_a_bad_image_is_422_naming_the_field(
    token: str, fields: dict[str, Any], field: str
) -> None:
    answer = post(token, event(**fields))
    assert answer.status_code == 422
    assert field in answer.json()["error"]["fields"]
    assert not CameraEvent.objects.exists() and files() == []


def test_an_image_past_the_limit_is_413_naming_the_field(token: str, settings: Any) -> None:
    settings.FLOOD_IMAGE_MAX_BYTES = 60
    answer = post(token, event())
    assert answer.status_code == 413
    assert "image_base64" in answer.json()["error"]["fields"]
    assert not CameraEvent.objects.exists() and files() == []


def test_a_body_past_the_limit_is_413(token: str, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = base64.b64encode(png(8, 6) + b"\0" * 2000).decode()
    answer = post(token, event(image_base64=big))
    assert answer.status_code == 413 and "body" in answer.json()["error"]["fields"]
    assert not CameraEvent.objects.exists()


def test_a_vendor_url_is_kept_and_not_fetched(token: str) -> None:
    answer = post(token, event(image_base64="", image="http://127.0.0.1:9/never.jpg"))
    assert answer.status_code == 200 and answer.json()["has_image"] is False
    assert CameraEvent.objects.get().image_ref == "http://127.0.0.1:9/never.jpg"
