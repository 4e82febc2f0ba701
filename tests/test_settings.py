"""Configuration comes only from SHEQU_* variables; production refuses unsafe defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

GOOD_KEY = "k" * 30 + "9f3#x!Lq2@Zr8&Wm4^Tb"
# What a production server behind nginx on the same machine sets (docs/operations.md).
SAFE_PRODUCTION = {
    "SHEQU_ENV": "production",
    "SHEQU_SECRET_KEY": GOOD_KEY,
    "SHEQU_FERNET_KEYS": Fernet.generate_key().decode(),
    "SHEQU_PII_HMAC_KEY": GOOD_KEY,
    "SHEQU_ALLOWED_HOSTS": "shequ.example.gov.cn",
    "SHEQU_TLS_PROXY_HEADER": "X-Forwarded-Proto",
    "SHEQU_TRUSTED_PROXIES": "127.0.0.1",
}


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Import shequ.settings in a fresh interpreter with only the given SHEQU_* variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
    clean.update({"SHEQU_VAR_DIR": str(tmp_path / "var"), **env})
    code = (
        "import shequ.settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.TIME_ZONE, s.LANGUAGE_CODE)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, cwd=tmp_path, capture_output=True, text=True
    )


def test_the_embedded_default_is_sqlite_in_var_with_generated_keys(tmp_path: Path) -> None:
    result = load_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "shequ.core.sqlite",  # Django's, with writers taking turns
        "Asia/Shanghai",
        "zh-hans",
    ]
    var = tmp_path / "var"
    assert {"secret_key", "fernet_key", "pii_hmac_key"} <= {p.name for p in var.iterdir()}
    assert oct((var / "secret_key").stat().st_mode)[-3:] == "600"


def test_generated_keys_survive_a_restart(tmp_path: Path) -> None:
    load_settings(tmp_path)
    first = (tmp_path / "var" / "secret_key").read_text()
    load_settings(tmp_path)
    assert (tmp_path / "var" / "secret_key").read_text() == first


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"SHEQU_DEBUG": "true"}, "SHEQU_DEBUG must be off"),
        ({"SHEQU_DEBUG": "false"}, "SHEQU_SECRET_KEY is required"),
        ({"SHEQU_DEBUG": "false", "SHEQU_SECRET_KEY": "django-insecure-abc"}, "SHEQU_FERNET_KEYS"),
        (
            {"SHEQU_DEBUG": "false", "SHEQU_SECRET_KEY": "short", "SHEQU_FERNET_KEYS": "x"},
            "too short or a default",
        ),
    ],
)
def test_production_refuses_unsafe_settings(
    tmp_path: Path, env: dict[str, str], complaint: str
) -> None:
    result = load_settings(tmp_path, SHEQU_ENV="production", **env)
    assert result.returncode != 0
    assert complaint in result.stderr


def test_production_starts_with_real_keys_and_debug_off(tmp_path: Path) -> None:
    result = load_settings(tmp_path, SHEQU_DEBUG="false", **SAFE_PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False ")


def test_it_reads_database_time_zone_and_language_from_the_environment(tmp_path: Path) -> None:
    result = load_settings(
        tmp_path,
        SHEQU_DATABASE_URL="postgresql://u:p@db.example:5432/shequ",
        SHEQU_TIME_ZONE="UTC",
        SHEQU_LANGUAGE="en",
    )
    assert result.stdout.split()[1:] == ["django.db.backends.postgresql", "UTC", "en"]


def test_a_malformed_boolean_is_a_clear_error(tmp_path: Path) -> None:
    result = load_settings(tmp_path, SHEQU_DEBUG="maybe")
    assert "SHEQU_DEBUG must be true or false" in result.stderr


def test_a_dotenv_file_is_read_but_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SHEQU_TIME_ZONE=Asia/Urumqi\nSHEQU_LANGUAGE=en\n")
    result = load_settings(tmp_path, SHEQU_LANGUAGE="zh-hans")
    assert result.stdout.split()[2:] == ["Asia/Urumqi", "zh-hans"]


def _payment_provider(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
    clean.update({"SHEQU_VAR_DIR": str(tmp_path / "var"), **env})
    code = "import shequ.settings as s; print(repr(s.PAYMENT_PROVIDER))"
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, cwd=tmp_path, capture_output=True, text=True
    )


def test_the_demo_payment_provider_is_the_default_outside_production_only(
    tmp_path: Path,
) -> None:
    assert _payment_provider(tmp_path).stdout.strip() == "'demo'"
    assert (tmp_path / "var" / "payment_demo_secret").is_file()
    production = SAFE_PRODUCTION
    assert _payment_provider(tmp_path, **production).stdout.strip() == "''"
    refused = _payment_provider(tmp_path, SHEQU_PAYMENT_PROVIDER="demo", **production)
    assert refused.returncode != 0 and "SHEQU_PAYMENT_PROVIDER=demo" in refused.stderr


def test_production_reports_every_problem_at_once_one_line_each(tmp_path: Path) -> None:
    result = load_settings(
        tmp_path, SHEQU_ENV="production", SHEQU_DEBUG="true", SHEQU_ALLOWED_HOSTS="*"
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    for complaint in (
        "SHEQU_DEBUG must be off",
        "SHEQU_SECRET_KEY is required",
        "SHEQU_FERNET_KEYS is required",
        "SHEQU_PII_HMAC_KEY is required",
        "SHEQU_ALLOWED_HOSTS must not be '*'",
        "SHEQU_TLS_PROXY_HEADER is not set",
    ):
        assert sum(complaint in line for line in lines) == 1, (complaint, result.stderr)
    assert "(6 problems)" in result.stderr


def test_production_creates_no_key_files_before_refusing(tmp_path: Path) -> None:
    load_settings(tmp_path, SHEQU_ENV="production")
    assert not (tmp_path / "var" / "secret_key").exists()


def _shequ(tmp_path: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
    clean.update({"SHEQU_VAR_DIR": str(tmp_path / "var"), **env})
    shequ = Path(sys.executable).with_name("shequ")
    return subprocess.run(
        [str(shequ), *argv], env=clean, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("argv", [["serve", "--port", "1"], ["worker"], ["manage", "check"]])
def test_shequ_refuses_unsafe_production_without_a_traceback(
    tmp_path: Path, argv: list[str]
) -> None:
    unsafe = dict(SAFE_PRODUCTION, SHEQU_ALLOWED_HOSTS="*", SHEQU_SECURE_COOKIES="false")
    result = _shequ(tmp_path, *argv, **unsafe)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert "refuses to start (2 problems)" in result.stderr
    assert "SHEQU_ALLOWED_HOSTS must not be '*': list the server's public names" in result.stderr
    assert "SHEQU_SECURE_COOKIES is off: remove it" in result.stderr
    assert "serving" not in result.stdout


def test_production_on_sqlite_starts_with_a_warning_that_can_be_silenced(
    tmp_path: Path,
) -> None:
    result = _shequ(tmp_path, "manage", "check", **SAFE_PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "the platform database is SQLite" in result.stderr
    assert "SHEQU_ALLOW_SQLITE=true" in result.stderr
    quiet = _shequ(tmp_path, "manage", "check", SHEQU_ALLOW_SQLITE="true", **SAFE_PRODUCTION)
    assert quiet.returncode == 0, quiet.stderr
    assert "the platform database is SQLite" not in quiet.stderr
