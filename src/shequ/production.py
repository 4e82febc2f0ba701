"""What ``SHEQU_ENV=production`` refuses to start with, each problem with its fix.

Every check reads the SHEQU_* environment (the only configuration source) and says what to set;
all problems are gathered and reported together, one line each, so an operator fixes the
environment file once instead of restarting once per mistake. ``settings`` raises them as one
``ConfigError``; the ``shequ`` command prints it and exits with status 2, without a traceback.

Warnings (``warnings``) do not stop the server: Django's system checks print them on every start
(``shequ serve`` runs ``migrate``, which runs the checks) and ``shequ manage check --deploy``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

MIN_SECRET = 40
INSECURE_PREFIX = "django-insecure"
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def _get(environ: Mapping[str, str], name: str) -> str:
    return environ.get(f"SHEQU_{name}", "").strip()


def _items(environ: Mapping[str, str], name: str) -> list[str]:
    return [item.strip() for item in _get(environ, name).split(",") if item.strip()]


def _is_fernet_key(value: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value.encode())) == 32
    except (binascii.Error, ValueError):
        return False


def _secret(environ: Mapping[str, str], name: str, purpose: str) -> list[str]:
    value = _get(environ, name)
    if not value:
        return [f"SHEQU_{name} is required ({purpose}): set it to 50 random characters"]
    if len(value) < MIN_SECRET or value.startswith(INSECURE_PREFIX):
        return [f"SHEQU_{name} is too short or a default: use 50 random characters"]
    return []


def _keys(environ: Mapping[str, str]) -> list[str]:
    problems = _secret(environ, "SECRET_KEY", "signs sessions and CSRF tokens")
    fernet = _items(environ, "FERNET_KEYS")
    if not fernet:
        problems.append(
            "SHEQU_FERNET_KEYS is required (encrypts personal data): set it to the output of "
            '`python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"`'
        )
    elif bad := [i + 1 for i, key in enumerate(fernet) if not _is_fernet_key(key)]:
        problems.append(
            f"SHEQU_FERNET_KEYS holds a value that is not a Fernet key (position {bad[0]}): "
            "each comma-separated key is 32 url-safe base64-encoded bytes (Fernet.generate_key())"
        )
    problems += _secret(environ, "PII_HMAC_KEY", "look-up hashes of personal data")
    return problems


def _hosts(environ: Mapping[str, str]) -> list[str]:
    hosts = _items(environ, "ALLOWED_HOSTS")
    if not hosts:
        return ["SHEQU_ALLOWED_HOSTS is not set: set it to the server's public names"]
    if "*" in hosts:
        return ["SHEQU_ALLOWED_HOSTS must not be '*': list the server's public names"]
    return []


def _https(environ: Mapping[str, str]) -> list[str]:
    problems = []
    if not _get(environ, "TLS_PROXY_HEADER"):
        problems.append(
            "SHEQU_TLS_PROXY_HEADER is not set: set it to the header the HTTPS proxy sets to "
            "'https' (X-Forwarded-Proto), or Django takes every request for plain HTTP"
        )
    elif not _items(environ, "TRUSTED_PROXIES"):
        problems.append(
            "SHEQU_TRUSTED_PROXIES is not set: set it to the proxy's addresses (127.0.0.1 for "
            "nginx on the same server), or login limits and the audit log see only the proxy"
        )
    if _get(environ, "SECURE_COOKIES").lower() in FALSE:
        problems.append(
            "SHEQU_SECURE_COOKIES is off: remove it, so session and CSRF cookies go over HTTPS only"
        )
    hsts = _get(environ, "HSTS_SECONDS")
    if hsts and (not hsts.isdigit() or int(hsts) == 0):
        problems.append(
            "SHEQU_HSTS_SECONDS must be a positive number of seconds: remove it (a year) "
            "or set at least 86400 while trying HTTPS out"
        )
    if http := [o for o in _items(environ, "CSRF_TRUSTED_ORIGINS") if not o.startswith("https://")]:
        problems.append(
            f"SHEQU_CSRF_TRUSTED_ORIGINS must list https:// origins only, not {http[0]!r}: "
            "write https://<name>"
        )
    return problems


def _other(environ: Mapping[str, str]) -> list[str]:
    problems = []
    if _get(environ, "DEBUG").lower() in TRUE:
        problems.append("SHEQU_DEBUG must be off when SHEQU_ENV=production: remove SHEQU_DEBUG")
    if _get(environ, "PAYMENT_PROVIDER") == "demo":
        problems.append(
            "SHEQU_PAYMENT_PROVIDER=demo takes no real money; "
            "set a real provider, or leave it empty for office payments only"
        )
    return problems


def problems(environ: Mapping[str, str]) -> list[str]:
    """Every reason not to serve production with this environment, each with its fix."""
    return _other(environ) + _keys(environ) + _hosts(environ) + _https(environ)


def warnings(environ: Mapping[str, str]) -> list[str]:
    """What production may run with, but should not without knowing it."""
    found = []
    url = _get(environ, "DATABASE_URL")
    if (not url or url.startswith("sqlite")) and _get(environ, "ALLOW_SQLITE").lower() not in TRUE:
        found.append(
            "the platform database is SQLite: one server with a few processes can run on it, "
            "but production is meant for PostgreSQL (SHEQU_DATABASE_URL=postgresql://...); "
            "set SHEQU_ALLOW_SQLITE=true to keep SQLite and silence this"
        )
    if not _get(environ, "REDIS_URL"):
        found.append(
            "SHEQU_REDIS_URL is not set: each server process counts device rate limits on its "
            "own, and jobs queue in SQLite; set it to share both (redis://127.0.0.1:6379/0)"
        )
    return found


def report(found: list[str]) -> str:
    lines = "\n".join(f"  - {problem}" for problem in found)
    return f"SHEQU_ENV=production refuses to start ({len(found)} problems):\n{lines}"
