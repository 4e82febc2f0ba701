"""``POST /camera-events``: what a camera's AI recognised, with the camera's device token."""

from typing import Any

from django.http import HttpRequest

from shequ.core.schemas import PUBLIC_WRITE, errors
from shequ.flood.api.common import DeviceAuth, router
from shequ.flood.api.schemas import CameraEventIn, CameraEventOut
from shequ.flood.services import cameras


@router.post(
    "/camera-events",
    auth=DeviceAuth(),
    response={200: CameraEventOut, **errors(PUBLIC_WRITE, 401)},
    summary="A camera's AI event (a repeated event id returns the first)",
)
def post_camera_event(request: HttpRequest, payload: CameraEventIn) -> dict[str, Any]:
    event = cameras.EventIn(
        event_id=payload.event_id,
        at=payload.time,
        type=payload.type,
        confidence=payload.confidence,
        boxes=payload.boxes,
        image_ref=payload.image,
        image=cameras.decode(payload.image_base64, "image_base64"),
        thumbnail=cameras.decode(payload.thumbnail_base64, "thumbnail_base64"),
    )
    done = cameras.record_event(request.auth, event)  # type: ignore[attr-defined]
    e = done.event
    return {
        "event_id": e.event_id,
        "type": e.type,
        "confidence": e.confidence,
        "replayed": done.replayed,
        "has_image": bool(e.image),
    }
