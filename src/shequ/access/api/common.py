"""The one router of the access endpoints, and the door devices' authentication."""

from django.http import HttpRequest
from ninja import Router
from ninja.security import HttpBearer

from shequ.access.models import Device
from shequ.access.services import devices

router = Router(tags=["access"])


class DeviceAuth(HttpBearer):
    """``Authorization: Bearer door_…``: the token issued for one door device."""

    def authenticate(self, request: HttpRequest, token: str) -> Device | None:
        device = devices.device_for_token(token)
        if device is not None:
            devices.seen(device)
        return device
