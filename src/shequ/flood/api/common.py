"""The one router of the flood endpoints, and the device's authentication."""

from django.http import HttpRequest
from ninja import Router
from ninja.security import HttpBearer

from shequ.core.services import ratelimit
from shequ.flood.models import Device
from shequ.flood.services import devices

router = Router(tags=["flood"])


class DeviceAuth(HttpBearer):
    """``Authorization: Bearer flood_…``: the token issued for one gauge or camera."""

    def authenticate(self, request: HttpRequest, token: str) -> Device | None:
        """The token's device; 429 past the device rate limit (core.services.ratelimit)."""
        device = devices.device_for_token(token)
        if device is not None:
            ratelimit.throttle_device(f"flood:{device.pk}")
        return device
