"""Devices for staff, by who watches their region: a token issued (the old one revoked), the
reporting interval changed and sent down to the device."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema

from shequ.core.errors import NotFound
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import user_of
from shequ.flood.api.common import router
from shequ.flood.models import Device
from shequ.flood.services import access, devices, downlink


class TokenIssuedOut(Schema):
    device: str
    prefix: str
    token: str = Field(..., description="The clear token. Shown once; store it in the device.")


@router.post(
    "/devices/{code}/token",
    response={200: TokenIssuedOut, **errors(WRITE)},
    summary="Issue a device's token (the previous one stops working)",
)
def issue_token(request: HttpRequest, code: str) -> dict[str, Any]:
    user = user_of(request)
    device = Device.objects.select_related("point__region").filter(code=code).first()
    if device is None or not access.visible_points(user).filter(pk=device.point_id).exists():
        raise NotFound(_("No such device."), "flood_device_not_found")
    raw = devices.issue_token(user, device)
    return {"device": device.code, "prefix": device.prefix, "token": raw}


class IntervalIn(Schema):
    interval_seconds: int = Field(..., ge=10, le=86_400, description="How often it reports")


class DeviceConfigOut(Schema):
    device: str
    interval_seconds: int
    version: int = Field(..., description="The configuration's version; 0: never changed")
    state: str = Field(..., description="none, pending (not yet applied) or acknowledged")
    acked_version: int
    acked_at: datetime | None


def _visible_device(request: HttpRequest, code: str) -> Device:
    device = Device.objects.select_related("point__region").filter(code=code).first()
    if (
        device is None
        or not access.visible_points(user_of(request)).filter(pk=device.point_id).exists()
    ):
        raise NotFound(_("No such device."), "flood_device_not_found")
    return device


def _config(device: Device) -> dict[str, Any]:
    now = downlink.status(device)
    return {
        "device": device.code, "interval_seconds": device.interval_seconds,
        "version": now.version, "state": now.state, "acked_version": now.acked_version,
        "acked_at": now.acked_at,
    }  # fmt: skip


@router.get(
    "/devices/{code}/config",
    response={200: DeviceConfigOut, **errors(READ)},
    summary="A device's reporting interval and whether the device applied it",
)
def device_config(request: HttpRequest, code: str) -> dict[str, Any]:
    return _config(_visible_device(request, code))


@router.put(
    "/devices/{code}/interval",
    response={200: DeviceConfigOut, **errors(WRITE)},
    summary="Change a device's reporting interval (sent to it over MQTT, retained)",
)
def set_interval(request: HttpRequest, code: str, body: IntervalIn) -> dict[str, Any]:
    device = _visible_device(request, code)
    return _config(downlink.set_interval(user_of(request), device, body.interval_seconds))
