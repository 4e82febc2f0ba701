"""``POST /gate-events`` from a garage's ANPR gate, and provider payment callbacks."""

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer

from shequ.core.inputs import LocalDatetime
from shequ.core.schemas import PUBLIC_WRITE, WRITE, errors
from shequ.parking.api.common import router
from shequ.parking.models import GateDevice
from shequ.parking.providers import CallbackRejected
from shequ.parking.services import callbacks, garages, gates


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
    time: LocalDatetime = Field(..., description="ISO 8601; without an offset, local time")
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
    response={200: GateDecisionOut, **errors(WRITE)},
    summary="A gate's plate read: open or not, and what the gate screen shows",
)
def gate_event(request: HttpRequest, payload: GateEventIn) -> dict[str, Any]:
    device: GateDevice = request.auth  # type: ignore[attr-defined]
    event = gates.EventIn(
        event_id=payload.event_id,
        gate=payload.gate,
        direction=payload.direction,
        plate=payload.plate,
        at=payload.time,
        confidence=payload.confidence,
        image_ref=payload.image,
    )
    return gates.receive(device, payload.garage, event).as_dict()


class CallbackOut(Schema):
    result: str
    order: str | None = None
    order_status: str | None = None
    new: bool | None = Field(None, description="generic provider: whether this call paid")
    out_trade_no: str | None = Field(None, description="online providers: the payment attempt")
    pass_status: str | None = None
    refund_fen: int | None = Field(None, description="owed back (a late or second payment)")
    refund_no: str | None = Field(None, description="refund notifications: the refund")
    refund_status: str | None = None


@router.post(
    "/payments/callback/{provider}",
    auth=None,
    response={200: CallbackOut, **errors(PUBLIC_WRITE, 403)},
    exclude_none=True,
    summary="A payment provider's signed notification (a repeat gets the first answer)",
    description=(
        "Online providers (`demo`, and WeChat Pay or Alipay when added) sign the raw body; "
        "a wrong signature is 403, a malformed body 422 naming the field, an unknown payment "
        "404, a wrong amount 409, and none of them changes anything. See docs/payments.md."
    ),
)
def payment_callback(request: HttpRequest, provider: str) -> dict[str, Any]:
    headers = {k: v for k, v in request.headers.items()}
    try:
        return callbacks.receive(provider, request.body, headers)
    except CallbackRejected as exc:
        if exc.status == 422 and exc.field:
            raise ValidationError({exc.field: [exc.message]}) from exc
        raise HttpError(exc.status, exc.message) from exc
