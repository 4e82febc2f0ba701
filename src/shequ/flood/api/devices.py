"""A device's token for staff: issued (and the old one revoked) by who watches its region."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema

from shequ.core.errors import NotFound
from shequ.core.schemas import WRITE, errors
from shequ.core.types import user_of
from shequ.flood.api.common import router
from shequ.flood.models import Device
from shequ.flood.services import access, devices


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
