"""Devices' hot paths through a middleware list of their own (``shequ.wsgi``).

A door asks ``POST /api/v1/access/check`` for every person at every door. Django's middleware
is one list for every request, and most of it serves browsers only: sessions, CSRF tokens,
the signed-in user, messages, static files. A device authenticates with its bearer token on
every request and uses none of them. ``settings.DEVICE_PATHS`` (exact paths)
are answered by a handler built from ``settings.DEVICE_MIDDLEWARE`` instead: the request id,
metrics, security headers, body limit, language, the host check against ``ALLOWED_HOSTS`` and
the Content-Length (``CommonMiddleware``) stay as for every answer. That saved
~0.3 ms of CPU a check (1.9 -> 1.6 ms in-process, interleaved runs; bench/access.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIHandler


class DeviceMiddleware(BaseHandler):
    """A handler whose chain is built from ``settings.DEVICE_MIDDLEWARE``."""

    def load_middleware(self, is_async: bool = False) -> None:
        full = settings.MIDDLEWARE
        # BaseHandler reads this one setting to build its chain, once, before any request.
        settings.MIDDLEWARE = settings.DEVICE_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


class DeviceHandler(DeviceMiddleware, WSGIHandler):
    """The project's WSGI handler with the devices' middleware."""


def lanes(full: Callable[..., Any], device: Callable[..., Any], paths: Iterable[str]) -> Any:
    """One WSGI application: a request for one of ``paths`` to ``device``, others to ``full``
    (a path with a trailing slash or anything else added is not a device path)."""
    exact = frozenset(paths)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        handler = device if environ.get("PATH_INFO") in exact else full
        return handler(environ, start_response)

    return application
