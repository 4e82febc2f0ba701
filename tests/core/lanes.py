"""A test client that takes the devices' lane for ``settings.DEVICE_PATHS`` as ``shequ serve``
does (``core.devicelane``): device tests then run through the middleware devices get."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client
from django.test.client import ClientHandler

from shequ.core.devicelane import DeviceMiddleware


class DeviceClientHandler(DeviceMiddleware, ClientHandler):
    pass


class LanesClientHandler(ClientHandler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.device = DeviceClientHandler(*args, **kwargs)

    def __call__(self, environ: dict[str, Any]) -> Any:
        if environ.get("PATH_INFO") in settings.DEVICE_PATHS:
            return self.device(environ)
        return super().__call__(environ)


class LanesClient(Client):
    def __init__(self, **defaults: Any) -> None:
        super().__init__(**defaults)
        self.handler = LanesClientHandler(enforce_csrf_checks=False)
