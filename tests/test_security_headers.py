"""Every response carries a Content-Security-Policy without inline scripts and a
Permissions-Policy; no template has an inline script or handler; production sends HSTS."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.test import Client

import shequ

SRC = Path(shequ.__file__).parent
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
JS_URL = re.compile(r"(href|src|action)\s*=\s*[\"']\s*javascript:", re.IGNORECASE)


def _policy(response: Any) -> dict[str, str]:
    parts = [p.strip() for p in response["Content-Security-Policy"].split(";")]
    return {p.split(" ", 1)[0]: p.split(" ", 1)[1] if " " in p else "" for p in parts if p}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/api/v1/health", "/api/v1/nothing-here"])
def test_every_response_has_the_policies(path: str) -> None:
    response = Client().get(path)
    policy = _policy(response)
    assert policy["script-src"] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]


def test_no_template_has_an_inline_script_or_handler() -> None:
    found = []
    for template in SRC.rglob("templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, HANDLER, JS_URL):
            found += [f"{template.relative_to(SRC)}: {m[0]}" for m in pattern.finditer(text)]
    assert found == []


def _settings_in(tmp_path: Path, expr: str = "s.SECURE_HSTS_SECONDS", **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
    clean.update({"SHEQU_VAR_DIR": str(tmp_path / "var"), **env})
    code = f"import shequ.settings as s; print({expr})"
    result = subprocess.run(
        [sys.executable, "-c", code], env=clean, cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_sends_hsts_and_development_does_not(tmp_path: Path) -> None:
    key = "k" * 30 + "9f3#x!Lq2@Zr8&Wm4^Tb"
    production = _settings_in(
        tmp_path,
        SHEQU_ENV="production",
        SHEQU_DEBUG="false",
        SHEQU_SECRET_KEY=key,
        SHEQU_FERNET_KEYS=Fernet.generate_key().decode(),
        SHEQU_PII_HMAC_KEY=key,
        SHEQU_ALLOWED_HOSTS="shequ.example.gov.cn",
        SHEQU_TLS_PROXY_HEADER="X-Forwarded-Proto",
        SHEQU_TRUSTED_PROXIES="127.0.0.1",
    )
    assert int(production) >= 31_536_000
    assert _settings_in(tmp_path) == "0"


@pytest.mark.django_db
def test_an_https_request_in_production_gets_hsts(settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = Client().get("/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_configured_map_tiles_are_allowed_images(settings: Any) -> None:
    settings.MAP_TILE_URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    policy = _policy(Client().get("/login/"))
    assert policy["img-src"] == "'self' https://*.tile.example.org data: blob:"
    assert policy["script-src"] == "'self'"


# Headers, cookies, sessions and CSRF: what a browser is told, and what is refused.

STAFF_PASSWORD = "correct horse battery staple"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/api/v1/health"])
def test_every_response_forbids_sniffing_framing_and_cross_site_referrers(path: str) -> None:
    response = Client().get(path)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert _policy(response)["frame-ancestors"] == "'none'"


@pytest.mark.django_db
def test_behind_the_tls_proxy_a_forwarded_https_request_gets_hsts(settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = Client().get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert proxied["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in Client().get("/login/")


def test_production_cookies_are_secure_and_development_cookies_work_over_http(
    tmp_path: Path,
) -> None:
    key = "k" * 30 + "9f3#x!Lq2@Zr8&Wm4^Tb"
    expr = (
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER, "
        "s.SESSION_COOKIE_AGE"
    )
    production = _settings_in(
        tmp_path,
        expr,
        SHEQU_ENV="production",
        SHEQU_SECRET_KEY=key,
        SHEQU_FERNET_KEYS=Fernet.generate_key().decode(),
        SHEQU_PII_HMAC_KEY=key,
        SHEQU_ALLOWED_HOSTS="shequ.example.gov.cn",
        SHEQU_TLS_PROXY_HEADER="X-Forwarded-Proto",
        SHEQU_TRUSTED_PROXIES="127.0.0.1",
        SHEQU_SESSION_HOURS="8",
    )
    assert production == "True True ('HTTP_X_FORWARDED_PROTO', 'https') 28800"
    assert _settings_in(tmp_path, "s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_AGE") == (
        "False 43200"
    )


@pytest.mark.django_db
def test_session_and_csrf_cookies_carry_their_flags(settings: Any, make_user: Any) -> None:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    make_user(None, username="flags")
    client = Client()
    page = client.get("/login/", secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    # Readable by the page's script on purpose: it sends the value back as X-CSRFToken.
    assert not csrf["httponly"]
    answer = client.post("/login/", {"username": "flags", "password": STAFF_PASSWORD}, secure=True)
    assert answer.status_code == 302
    session = answer.cookies["sessionid"]
    assert session["httponly"] and session["secure"] and session["samesite"] == "Lax"
    assert int(session["max-age"]) == settings.SESSION_COOKIE_AGE == 12 * 3600


@pytest.mark.django_db
def test_an_expired_session_is_logged_out(settings: Any, make_user: Any) -> None:
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    make_user(None, username="expiry")
    client = Client()
    client.post("/login/", {"username": "expiry", "password": STAFF_PASSWORD})
    assert client.get("/").status_code == 200
    Session.objects.update(expire_date=timezone.now())
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_a_form_post_without_the_csrf_token_is_refused(settings: Any, make_user: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    make_user(None, username="csrf")
    strict = Client(enforce_csrf_checks=True)
    refused = strict.post("/login/", {"username": "csrf", "password": STAFF_PASSWORD})
    assert refused.status_code == 403
    token = strict.get("/login/").cookies["csrftoken"].value
    answer = strict.post(
        "/login/",
        {"username": "csrf", "password": STAFF_PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert answer.status_code == 302


@pytest.mark.django_db
def test_the_api_with_a_browser_session_needs_the_csrf_header(
    settings: Any, make_user: Any
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = make_user(None, username="apicsrf")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    body = {"name": "laptop"}
    refused = strict.post("/api/v1/tokens", body, content_type="application/json")
    assert refused.status_code == 403
    assert "X-CSRFToken" in refused.json()["error"]["message"]


@pytest.mark.django_db
def test_device_endpoints_need_their_token_and_no_csrf(regions: dict[str, Any]) -> None:
    import json

    from flood.factories import VILLAGE, add_gauge, add_point, body

    _gauge, token = add_gauge(add_point(regions[VILLAGE]))
    raw = json.dumps(body(3))
    url = "/api/v1/flood/readings"
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url, raw, content_type="application/json").status_code == 401
    device = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert device.post(url, raw, content_type="application/json").status_code == 200
