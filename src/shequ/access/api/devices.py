"""What door devices call: ``POST /check``, their removals to carry out and confirm."""

import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Schema

from shequ.access.api.common import DeviceAuth, router
from shequ.access.models import Device
from shequ.access.services import credentials, decide
from shequ.core.inputs import Id, LocalDatetime
from shequ.core.schemas import WRITE, errors


class CheckIn(Schema):
    event_id: str = Field(..., min_length=1, max_length=64, description="unique per device")
    method: Literal["face", "card", "qr"]
    value: str = Field(
        ...,
        min_length=1,
        max_length=64,
        description="the vendor's person reference, the card number or the QR token",
    )
    time: LocalDatetime = Field(..., description="device time, ISO 8601; without offset: local")


class CheckOut(Schema):
    event_id: str
    allow: bool
    colour: Literal["green", "yellow", "red", "grey"]
    display: str = Field(..., description="what the terminal shows (zh-Hans by default)")
    reasons: list[str]
    replayed: bool = Field(..., description="a repeated event id: the first answer")


@router.post(
    "/check",
    auth=DeviceAuth(),
    response={200: CheckOut, **errors(WRITE)},
    summary="A door device asks: open for this face, card or QR code?",
)
def check(request: HttpRequest, payload: CheckIn) -> HttpResponse:
    device: Device = request.auth  # type: ignore[attr-defined]
    item = decide.CheckIn(payload.event_id, payload.method, payload.value.strip(), payload.time)
    # Written out as ninja's renderer writes it: validating the decision's dict against
    # ``CheckOut`` again cost ~6 % of a check (cProfile); ``Decision`` has its fields and
    # types, and every answer of the tests is validated against it (tests/access/api).
    body = json.dumps(decide.check(device, item).as_dict())
    return HttpResponse(body, content_type=_JSON)


_JSON = "application/json; charset=utf-8"


class RemovalOut(Schema):
    id: int
    kind: str
    ref: str = Field(..., description="the enrolment to delete from this device")


@router.get(
    "/removals",
    auth=DeviceAuth(),
    response={200: list[RemovalOut], **errors(WRITE)},
    summary="Enrolments this device must delete (consent withdrawn)",
)
def removals(request: HttpRequest) -> list[dict[str, Any]]:
    device: Device = request.auth  # type: ignore[attr-defined]
    return [
        {"id": r.pk, "kind": r.credential.kind, "ref": ref}
        for r, ref in credentials.pending_removals(device)
    ]


class RemovalDoneOut(Schema):
    id: int
    confirmed_at: str


@router.post(
    "/removals/{removal_id}/done",
    auth=DeviceAuth(),
    response={200: RemovalDoneOut, **errors(WRITE)},
    summary="The device deleted the enrolment (a repeat answers the same)",
)
def removal_done(request: HttpRequest, removal_id: Id) -> dict[str, Any]:
    device: Device = request.auth  # type: ignore[attr-defined]
    removal = credentials.confirm_removal(device, removal_id)
    assert removal.confirmed_at is not None
    return {"id": removal.pk, "confirmed_at": removal.confirmed_at.isoformat()}
