"""A camera's AI event with a full-size snapshot, posted to the served platform (issue 17).

The culvert's camera (C01, the demo's) gets a token from street staff and posts an event with
a 1280 x 720 JPEG and no thumbnail of its own; the server makes one. The duty officer sees the
snapshot on the point's page and loads its thumbnail: a JPEG of 320 pixels on its long side,
without the camera's metadata; someone who does not watch the point gets no picture.
"""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime

import httpx
from PIL import Image
from system_support import Platform, api_headers, assert_clean

CAMERA, POINT = "C01", "culvert"


def frame() -> bytes:
    """A camera's frame with detail in it, and EXIF naming the camera."""
    exif = Image.Exif()
    exif[0x0131] = "VendorCam 3.2 serial 0042"
    img = Image.linear_gradient("L").resize((1280, 720)).convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_full_size_snapshot_is_served_with_a_thumbnail_made_by_the_server(
    platform: Platform, clients: dict[str, httpx.Client]
) -> None:
    street, duty, resident = clients["street"], clients["duty"], clients["resident"]
    issued = street.post(f"/api/v1/flood/devices/{CAMERA}/token", headers=api_headers(street))
    assert_clean(issued)
    assert issued.status_code == 200, issued.text[:500]
    snapshot = frame()
    camera = httpx.Client(
        base_url=platform.base,
        timeout=30,
        headers={"Authorization": f"Bearer {issued.json()['token']}"},
    )
    with camera:
        # Below every rule's confidence: a picture, not an alarm, in the shared demo.
        posted = camera.post(
            "/api/v1/flood/camera-events",
            json={
                "event_id": f"served-{datetime.now(UTC):%H%M%S%f}",
                "time": datetime.now(UTC).isoformat(),
                "type": "water_on_road",
                "confidence": 0.05,
                "image_base64": base64.b64encode(snapshot).decode(),
            },
        )
    assert_clean(posted)
    assert posted.status_code == 200, posted.text[:500]
    assert posted.json()["has_image"] is True and posted.json()["replayed"] is False

    page = duty.get(f"/flood/points/{POINT}/")
    assert_clean(page)
    assert page.status_code == 200
    newest = max(int(n) for n in re.findall(r"/flood/camera-events/(\d+)/thumb", page.text))
    image = duty.get(f"/flood/camera-events/{newest}/image")
    assert image.status_code == 200 and image.content == snapshot
    thumb = duty.get(f"/flood/camera-events/{newest}/thumb")
    assert thumb.status_code == 200, thumb.text[:300]
    assert thumb.headers["content-type"] == "image/jpeg"
    assert "no-store" in thumb.headers["cache-control"]
    with Image.open(io.BytesIO(thumb.content)) as small:
        assert small.size == (320, 180)
        assert not small.getexif()
    assert len(thumb.content) < len(snapshot) / 5
    for path in ("thumb", "image"):
        refused = resident.get(f"/flood/camera-events/{newest}/{path}")
        assert refused.status_code in (403, 404), refused.status_code
        assert refused.content != thumb.content and refused.content != snapshot
