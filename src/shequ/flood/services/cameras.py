"""Camera events pushed by the vendor's AI: stored once per (camera, event id)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.errors import Invalid
from shequ.core.services.writelock import sqlite_writer
from shequ.flood.models import CameraEvent, Device, DeviceKind
from shequ.flood.services import alerts


@dataclass(frozen=True)
class EventIn:
    event_id: str
    at: datetime
    type: str
    confidence: float
    boxes: list[Any] = field(default_factory=list)
    image_ref: str = ""


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
        return Recorded(first, True)
    try:
        with sqlite_writer(), transaction.atomic():
            stored = CameraEvent.objects.create(
                device=device,
                event_id=event.event_id,
                at=event.at,
                type=event.type,
                confidence=event.confidence,
                boxes=event.boxes,
                image_ref=event.image_ref,
                received_at=timezone.now(),
            )
            alerts.camera_event(device, event.type, event.confidence, event.at)
    except IntegrityError:  # the same event, posted twice at once
        return Recorded(CameraEvent.objects.get(device=device, event_id=event.event_id), True)
    return Recorded(stored, False)
