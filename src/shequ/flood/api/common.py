"""The one router of the flood endpoints, and the device's authentication."""

from django.http import HttpRequest
from ninja import Router
from ninja.security import HttpBearer

from shequ.flood.models import Device
from shequ.flood.services import devices

router = Router(tags=["flood"])


class DeviceAuth(HttpBearer):
    """``Authorization: Bearer flood_…``: the token issued for one gauge or camera."""

    def authenticate(self, request: HttpRequest, token: str) -> Device | None:
        return devices.device_for_token(token)
