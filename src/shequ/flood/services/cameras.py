"""Camera events pushed by the vendor's AI: stored once per (camera, event id)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.errors import Invalid
from shequ.flood.models import CameraEvent, Device, DeviceKind, MonitoringPoint
from shequ.flood.services import images, judge


@dataclass(frozen=True)
class EventIn:
    event_id: str
    at: datetime
    type: str
    confidence: float
    boxes: list[Any] = field(default_factory=list)
    image_ref: str = ""
    image: bytes | None = None  # the snapshot itself (the API takes it as base64)
    thumbnail: bytes | None = None  # the vendor's own thumbnail, when it sends one


@dataclass(frozen=True)
class Recorded:
    event: CameraEvent
    replayed: bool


def record_event(device: Device, event: EventIn) -> Recorded:
    """Store the event; a repeat of its id returns the first one, unchanged."""
    if device.kind != DeviceKind.CAMERA:
        raise Invalid(_("Only a camera sends camera events."), fields={"device": []})
    first = CameraEvent.objects.filter(device=device, event_id=event.event_id).first()
    if first is not None:
        return Recorded(first, True)  # a retry: its images are not stored again
    if event.image:
        images.check(event.image, "image_base64")
    if event.thumbnail:
        images.check(event.thumbnail, "thumbnail_base64")
    # The vendor's thumbnail, else one made here from a snapshot larger than a thumbnail.
    thumb = event.thumbnail or (images.thumbnail(event.image) if event.image else None)
    kept = [
        images.store(data, name).name if data else ""
        for data, name in ((event.image, "image_base64"), (thumb, "thumbnail_base64"))
    ]
    try:
        with transaction.atomic():
            stored = CameraEvent.objects.create(
                device=device,
                event_id=event.event_id,
                at=event.at,
                type=event.type,
                confidence=event.confidence,
                boxes=event.boxes,
                image_ref=event.image_ref,
                image=kept[0],
                thumb=kept[1],
                received_at=timezone.now(),
            )
            judge.camera_event(device, event.type, event.confidence, event.at)
    except IntegrityError:  # the same event, posted twice at once
        _forget(kept)
        return Recorded(CameraEvent.objects.get(device=device, event_id=event.event_id), True)
    except BaseException:
        _forget(kept)
        raise
    return Recorded(stored, False)


def _forget(names: list[str]) -> None:
    for name in names:
        if name:
            images.remove(name)


def latest_snapshots(point: MonitoringPoint, limit: int = 6) -> list[CameraEvent]:
    """The newest events with a snapshot of the point's cameras, newest first."""
    return list(
        CameraEvent.objects.filter(device__point=point)
        .exclude(image="")
        .select_related("device")
        .order_by("-at", "-id")[:limit]
    )


def decode(value: str, field: str) -> bytes | None:
    """An image sent as base64 (a ``data:`` URL's prefix allowed); a 422 naming the field."""
    if not value:
        return None
    if value.startswith("data:") and "," in value:
        value = value.split(",", 1)[1]
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(
            _("%(field)s: not valid base64.") % {"field": field},
            fields={field: [_("Base64 of a JPEG, PNG or WebP image.")]},
        ) from exc
