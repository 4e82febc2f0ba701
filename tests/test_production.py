"""Each check of SHEQU_ENV=production, with the fix it names (shequ.production)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from shequ import production

GOOD_KEY = "k" * 30 + "9f3#x!Lq2@Zr8&Wm4^Tb"
SAFE = {
    "SHEQU_ENV": "production",
    "SHEQU_SECRET_KEY": GOOD_KEY,
    "SHEQU_FERNET_KEYS": Fernet.generate_key().decode(),
    "SHEQU_PII_HMAC_KEY": GOOD_KEY,
    "SHEQU_ALLOWED_HOSTS": "shequ.example.gov.cn",
    "SHEQU_TLS_PROXY_HEADER": "X-Forwarded-Proto",
    "SHEQU_TRUSTED_PROXIES": "127.0.0.1",
    "SHEQU_CSRF_TRUSTED_ORIGINS": "https://shequ.example.gov.cn",
}
INSECURE = "django-insecure-" + GOOD_KEY
BAD_SECOND = f"{Fernet.generate_key().decode()},nope"
HTTP_ORIGIN = "https://a.example,http://b.example"


def test_a_safe_environment_has_no_problem() -> None:
    assert production.problems(SAFE) == []


@pytest.mark.parametrize(
    ("change", "problem", "fix"),
    [
        ({"SHEQU_DEBUG": "on"}, "SHEQU_DEBUG must be off", "remove SHEQU_DEBUG"),
        ({"SHEQU_SECRET_KEY": ""}, "SHEQU_SECRET_KEY is required", "50 random characters"),
        ({"SHEQU_SECRET_KEY": INSECURE}, "SHEQU_SECRET_KEY is too short", "50 random"),
        ({"SHEQU_SECRET_KEY": "short"}, "SHEQU_SECRET_KEY is too short", "50 random"),
        ({"SHEQU_FERNET_KEYS": ""}, "SHEQU_FERNET_KEYS is required", "Fernet.generate_key()"),
        ({"SHEQU_FERNET_KEYS": BAD_SECOND}, "not a Fernet key (position 2)", "32 url-safe"),
        ({"SHEQU_PII_HMAC_KEY": ""}, "SHEQU_PII_HMAC_KEY is required", "50 random characters"),
        ({"SHEQU_PII_HMAC_KEY": "abc"}, "SHEQU_PII_HMAC_KEY is too short", "50 random"),
        ({"SHEQU_ALLOWED_HOSTS": ""}, "SHEQU_ALLOWED_HOSTS is not set", "public names"),
        ({"SHEQU_ALLOWED_HOSTS": "a.example, *"}, "must not be '*'", "public names"),
        ({"SHEQU_TLS_PROXY_HEADER": ""}, "SHEQU_TLS_PROXY_HEADER is not set", "X-Forwarded-Proto"),
        ({"SHEQU_TRUSTED_PROXIES": ""}, "SHEQU_TRUSTED_PROXIES is not set", "127.0.0.1"),
        ({"SHEQU_SECURE_COOKIES": "false"}, "SHEQU_SECURE_COOKIES is off", "remove it"),
        ({"SHEQU_HSTS_SECONDS": "0"}, "SHEQU_HSTS_SECONDS must be a positive", "86400"),
        ({"SHEQU_HSTS_SECONDS": "a year"}, "SHEQU_HSTS_SECONDS must be a positive", "remove it"),
        ({"SHEQU_CSRF_TRUSTED_ORIGINS": HTTP_ORIGIN}, "'http://b.example'", "https://<name>"),
        ({"SHEQU_PAYMENT_PROVIDER": "demo"}, "SHEQU_PAYMENT_PROVIDER=demo", "leave it empty"),
    ],
)  # fmt: skip
def test_each_unsafe_setting_is_one_problem_naming_its_fix(
    change: dict[str, str], problem: str, fix: str
) -> None:
    found = production.problems({**SAFE, **change})
    assert len(found) == 1, found
    assert problem in found[0] and fix in found[0]


def test_hsts_may_be_shortened_but_not_turned_off() -> None:
    assert production.problems({**SAFE, "SHEQU_HSTS_SECONDS": "86400"}) == []


def test_the_report_lists_each_problem_on_its_own_line() -> None:
    text = production.report(["a: do x", "b: do y"])
    assert text.splitlines() == [
        "SHEQU_ENV=production refuses to start (2 problems):",
        "  - a: do x",
        "  - b: do y",
    ]


def test_sqlite_and_no_redis_are_warnings_not_problems() -> None:
    warnings = production.warnings(SAFE)
    assert any("SQLite" in w and "SHEQU_ALLOW_SQLITE=true" in w for w in warnings)
    assert any("SHEQU_REDIS_URL" in w for w in warnings)
    settled = {
        **SAFE,
        "SHEQU_DATABASE_URL": "postgresql://shequ@db/shequ",
        "SHEQU_REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    assert production.warnings(settled) == []
    assert (
        production.warnings({**SAFE, "SHEQU_REDIS_URL": "redis://r", "SHEQU_ALLOW_SQLITE": "1"})
        == []
    )
