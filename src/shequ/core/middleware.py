"""Request-wide guards: the size of a body, and the security headers of every response."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class BodySizeMiddleware:
    """Answer an API request whose declared body is over the limit with 413, unread.

    Django raises ``RequestDataTooBig`` only when the body is read, wherever that happens (a
    middleware reading a form, ninja parsing JSON), and answers it with an HTML 400; an API
    client gets the API's error shape and the limit instead. File uploads (multipart) have
    their own limit and are left alone. A body without a length is stopped when read (the
    API's handler of ``RequestDataTooBig``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.path.startswith("/api/") and not _multipart(request):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                from shequ.api import body_too_large

                return body_too_large(request)
        return self.get_response(request)


def _multipart(request: HttpRequest) -> bool:
    return str(request.META.get("CONTENT_TYPE", "")).startswith("multipart/")


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response.

    Scripts come only from the platform's own static files: no inline script, handler
    (``onclick=``) or ``eval`` runs, so injected markup cannot run code. Styles may be inline
    (the sign and poster pages, a bar's width, htmx's indicator style); they cannot run code.
    A view that needs another policy sets its own header, which is kept.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def content_security_policy() -> str:
    """The policy of the settings, with the map tiles' server among the image sources."""
    policy = str(settings.CONTENT_SECURITY_POLICY)
    tiles = tile_source(str(settings.MAP_TILE_URL or ""))
    return policy.replace("img-src 'self'", f"img-src 'self' {tiles}", 1) if tiles else policy


def tile_source(url: str) -> str:
    """``https://{s}.tile.example.org/{z}/{x}/{y}.png`` -> ``https://*.tile.example.org``."""
    parts = urlsplit(url.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"
