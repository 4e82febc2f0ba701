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


def _settings_in(tmp_path: Path, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
    clean.update({"SHEQU_VAR_DIR": str(tmp_path / "var"), **env})
    code = "import shequ.settings as s; print(s.SECURE_HSTS_SECONDS)"
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
