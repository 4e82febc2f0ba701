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


def _picture(width: int, height: int, fmt: str = "JPEG", exif: bytes | None = None) -> bytes:
    """A camera frame with some detail in it (a gradient), as the camera encodes it."""
    import io

    from PIL import Image

    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    img.save(out, fmt, **({"exif": exif} if exif else {}))
    return out.getvalue()


def _thumb_of(token: str, **fields: Any) -> tuple[CameraEvent, Any]:
    answer = post(token, event(**fields))
    assert answer.status_code == 200, answer.content
    stored = CameraEvent.objects.get()
    return stored, images.path_of(stored.thumb) if stored.thumb else None


def test_a_large_snapshot_gets_a_small_upright_thumbnail_without_its_metadata(
    token: str, culvert: MonitoringPoint, make_user: Any
) -> None:
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the frame is to be turned a quarter to stand upright
    exif[0x0131] = "VendorCam 3.2 serial 0042"
    frame = _picture(1920, 1080, exif=exif.tobytes())
    stored, path = _thumb_of(token, image_base64=base64.b64encode(frame).decode())
    assert path is not None and path.suffix == ".jpg"
    with Image.open(path) as thumb:
        assert thumb.format == "JPEG"
        assert thumb.size == (180, 320)  # upright: 1080 x 1920 scaled to 320 on its long side
        assert not thumb.getexif()  # neither the camera's serial nor anything else
    assert path.stat().st_size < len(frame) / 5
    assert images.path_of(stored.image).read_bytes() == frame  # type: ignore[union-attr]
    from shequ.core.models import Role

    watcher = make_user(Role.COMMUNITY_STAFF, culvert.region.code)
    client = Client()
    client.force_login(watcher)
    served = client.get(f"/flood/camera-events/{stored.pk}/thumb")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == path.read_bytes()  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_snapshots_get_a_jpeg_thumbnail(token: str, fmt: str) -> None:
    frame = base64.b64encode(_picture(640, 480, fmt)).decode()
    _stored, path = _thumb_of(token, image_base64=frame)
    assert path is not None and path.read_bytes()[:3] == b"\xff\xd8\xff"


def test_a_snapshot_already_small_is_its_own_thumbnail(token: str) -> None:
    stored, path = _thumb_of(token, image_base64=base64.b64encode(_picture(320, 240)).decode())
    assert path is None and stored.image


def test_a_snapshot_that_cannot_be_decoded_is_kept_and_the_alarm_stands(token: str) -> None:
    """The bytes start as a JPEG's do and then are not one: the event (an alarm) is stored
    with its snapshot as sent, without a thumbnail, and judged."""
    broken = _picture(1920, 1080)[:600] + b"\x00" * 4000
    stored, path = _thumb_of(token, image_base64=base64.b64encode(broken).decode())
    assert path is None
    assert images.path_of(stored.image).read_bytes() == broken  # type: ignore[union-attr]


def test_an_image_declaring_a_billion_pixels_is_not_decoded(token: str) -> None:
    """A PNG of a few hundred bytes whose header says 32,000 x 32,000 pixels (3 GB decoded)."""
    import struct
    import zlib

    bomb = bytearray(png(8, 6))
    bomb[16:24] = struct.pack(">II", 32_000, 32_000)
    bomb[29:33] = struct.pack(">I", zlib.crc32(bytes(bomb[12:29])))  # the IHDR's checksum
    stored, path = _thumb_of(token, image_base64=base64.b64encode(bytes(bomb)).decode())
    assert path is None and stored.image
