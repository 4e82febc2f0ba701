"""Request-wide guards: the size of a body, and the security headers of every response."""

from __future__ import annotations

from collections.abc import Callable

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
