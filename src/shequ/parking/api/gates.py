"""``POST /gate-events`` from a garage's ANPR gate, and provider payment callbacks."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer

from shequ.parking.api.common import router
from shequ.parking.models import GateDevice
from shequ.parking.services import garages, gates, payments


class GateDeviceAuth(HttpBearer):
    """``Authorization: Bearer gate_…``: the token issued for one gate device."""

    def authenticate(self, request: HttpRequest, token: str) -> GateDevice | None:
        device = garages.device_for_token(token)
        if device is not None:
            request.gate_device = device  # type: ignore[attr-defined]
        return device


class GateEventIn(Schema):
    event_id: str = Field(..., min_length=1, max_length=64, description="unique per garage")
    garage: str = Field(..., description="the garage's code (must be the device's garage)")
    gate: str = Field("", max_length=40)
    direction: Literal["in", "out"]
    plate: str = Field("", max_length=20, description="as read; empty when nothing was read")
    time: datetime = Field(..., description="ISO 8601; without an offset, local time")
    confidence: float | None = Field(None, ge=0, le=1)
    image: str = Field("", max_length=300, description="optional reference to the image")


class GateDecisionOut(Schema):
    event_id: str
    decision: str
    open: bool
    display: str
    probable_match: bool
    pass_id: int | None
    replayed: bool


@router.post(
    "/gate-events",
    auth=GateDeviceAuth(),
    response=GateDecisionOut,
    summary="A gate's plate read: open or not, and what the gate screen shows",
)
def gate_event(request: HttpRequest, payload: GateEventIn) -> dict[str, Any]:
    device: GateDevice = request.auth  # type: ignore[attr-defined]
    if payload.garage != device.garage.code:
        raise HttpError(403, "This device belongs to another garage.")
    at = payload.time
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    event = gates.EventIn(
        event_id=payload.event_id,
        gate=payload.gate,
        direction=payload.direction,
        plate=payload.plate,
        at=at,
        confidence=payload.confidence,
        image_ref=payload.image,
    )
    return gates.handle(device, event).as_dict()


class CallbackOut(Schema):
    result: str
    order: str | None
    order_status: str | None
    new: bool


@router.post(
    "/payments/callback/{provider}",
    auth=None,
    response=CallbackOut,
    summary="A payment provider's signed notification (idempotent by transaction id)",
)
def payment_callback(request: HttpRequest, provider: str) -> dict[str, Any]:
    headers = {k: v for k, v in request.headers.items()}
    try:
        payment, new = payments.handle_callback(provider, request.body, headers)
    except payments.CallbackRejected as exc:
        raise HttpError(exc.status, exc.message) from exc
    if payment is None:
        return {"result": "ignored", "order": None, "order_status": None, "new": False}
    order = payment.order
    order.refresh_from_db()
    return {"result": "ok", "order": order.number, "order_status": order.status, "new": new}
