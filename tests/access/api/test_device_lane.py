"""The door check through the devices' lane (``core.devicelane``): the answer, headers and
guards every response has, without the browsers' middleware; other paths keep the full list."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from access.factories import HOME, add_resident, check_body, device_client, health_row
from shequ.access.models import AccessEvent
from shequ.core.devicelane import DeviceHandler, lanes

URL = "/api/v1/access/check"
BROWSER_ONLY = {
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
}


def test_the_device_list_is_the_full_one_without_the_browsers_middleware() -> None:
    assert settings.DEVICE_PATHS == (URL,)
    in_order = [m for m in settings.MIDDLEWARE if m in settings.DEVICE_MIDDLEWARE]
    assert in_order == settings.DEVICE_MIDDLEWARE
    assert not BROWSER_ONLY & set(settings.DEVICE_MIDDLEWARE)
    for kept in ("ObservabilityMiddleware", "SecurityMiddleware", "BodySizeMiddleware"):
        assert any(m.endswith(kept) for m in settings.DEVICE_MIDDLEWARE), kept
    for kept in ("SecurityHeadersMiddleware", "LocaleMiddleware", "XFrameOptionsMiddleware"):
        assert any(m.endswith(kept) for m in settings.DEVICE_MIDDLEWARE), kept
    assert "django.middleware.common.CommonMiddleware" in settings.DEVICE_MIDDLEWARE


def test_only_the_exact_device_paths_take_the_lane() -> None:
    app = lanes(lambda e, s: "full", lambda e, s: "device", [URL])
    assert app({"PATH_INFO": URL}, None) == "device"
    for other in (URL + "/", "/api/v1/health", "/api/v1/access/removals", "/access/"):
        assert app({"PATH_INFO": other}, None) == "full"


def _wsgi(
    handler: Any, path: str, body: bytes, token: str, host: str = "testserver"
) -> tuple[str, dict[str, str], bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "HTTP_HOST": host,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
    }
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen.update(status=status, headers=dict(headers))

    # As Django's test client: the request's start and end must not close the test's
    # connection (on PostgreSQL it holds the test's transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = handler(environ, start_response)
        content = b"".join(result)
        result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return seen["status"], seen["headers"], content


def test_the_served_handler_answers_a_check_with_every_response_header(
    staff, regions, terminal, load
) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "red")])
    handler = DeviceHandler()
    assert settings.MIDDLEWARE != settings.DEVICE_MIDDLEWARE  # the full list left as it was
    body = b'{"event_id": "e1", "method": "face", "value": "V1", "time": "2026-10-01T08:00:00"}'
    status, headers, content = _wsgi(handler, URL, body, terminal[1])
    assert status.startswith("200"), content
    assert b'"allow":false' in content.replace(b" ", b"") and AccessEvent.objects.count() == 1
    assert "X-Request-ID" in headers and "Content-Security-Policy" in headers
    assert headers["X-Frame-Options"] == "DENY" and "Permissions-Policy" in headers
    assert "Content-Language" in headers and "Set-Cookie" not in headers
    assert headers["Content-Length"] == str(len(content))  # a plain client reads it whole
    status, _, content = _wsgi(handler, URL, body, "door_wrong")
    assert status.startswith("401") and b'"error"' in content
    status, _, _ = _wsgi(handler, URL, body.replace(b"e1", b"e2"), terminal[1], "evil.example")
    assert status.startswith("400") and AccessEvent.objects.count() == 1  # ALLOWED_HOSTS


def test_a_body_over_the_limit_is_413_on_the_lane(terminal, hub, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = device_client(terminal[1]).post(
        URL, check_body("e1", "V1" * 40), content_type="application/json"
    )
    assert response.status_code == 413 and not AccessEvent.objects.exists()


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_answers_speak_the_language_asked_for(terminal, hub, lang: str) -> None:
    client = device_client(terminal[1])
    response = client.post(
        URL, {"event_id": "e1"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE=lang
    )
    assert response.status_code == 422
    assert response["Content-Language"] == lang
