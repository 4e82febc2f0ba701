"""Devices offline: the signed allow-list, its key, and uploading events decided offline."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema

from shequ.access.api.common import DeviceAuth, router
from shequ.access.api.devices import CheckIn
from shequ.access.models import Device
from shequ.access.services import decide, offline
from shequ.core.schemas import READ, WRITE, errors


class KeyOut(Schema):
    algorithm: str
    key_id: str
    public_key: str = Field(..., description="Ed25519, raw 32 bytes, base64")


@router.get(
    "/allowlist/key",
    auth=DeviceAuth(),
    response={200: KeyOut, **errors(READ)},
    summary="The key that verifies allow-lists",
)
def allowlist_key(request: HttpRequest) -> dict[str, Any]:
    public = offline.public_key()
    return {"algorithm": "Ed25519", "key_id": offline.key_id(public), "public_key": public}


class AllowListOut(Schema):
    payload: dict[str, Any] = Field(..., description="see docs/access.md")
    signature: str = Field(..., description="Ed25519 over the canonical JSON of payload, base64")
    key_id: str
    algorithm: str


@router.get(
    "/allowlist",
    auth=DeviceAuth(),
    response={200: AllowListOut, **errors(READ)},
    summary="This device's signed allow-list, for deciding while the platform is unreachable",
)
def allowlist(request: HttpRequest) -> dict[str, Any]:
    device: Device = request.auth  # type: ignore[attr-defined]
    return offline.build(device)


class OfflineEventIn(CheckIn):
    allow: bool = Field(..., description="what the device decided from its list")


class UploadIn(Schema):
    events: list[OfflineEventIn] = Field(..., min_length=1, max_length=offline.MAX_UPLOAD)


class UploadedOut(Schema):
    event_id: str
    status: str = Field(..., description="recorded, or duplicate (already uploaded)")


class UploadOut(Schema):
    recorded: int
    duplicates: int
    events: list[UploadedOut]


@router.post(
    "/events",
    auth=DeviceAuth(),
    response={200: UploadOut, **errors(WRITE)},
    summary="Upload events decided offline (de-duplicated by event id; a retry changes nothing)",
)
def upload(request: HttpRequest, payload: UploadIn) -> dict[str, Any]:
    device: Device = request.auth  # type: ignore[attr-defined]
    events = [
        offline.OfflineEvent(decide.CheckIn(e.event_id, e.method, e.value.strip(), e.time), e.allow)
        for e in payload.events
    ]
    results = offline.upload(device, events)
    recorded = sum(1 for r in results if r["status"] == "recorded")
    return {"recorded": recorded, "duplicates": len(results) - recorded, "events": results}
