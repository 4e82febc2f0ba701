"""The installation's keys: fingerprints in every manifest, the keys themselves only on request.

Without its Fernet keys and look-up HMAC key a restored database's personal data is
unreadable (and look-ups by ID number or phone find nothing). A backup records a fingerprint
of each (the first 16 hex digits of a SHA-256 over a fixed label and the key: it names the
key without revealing it), and a restore refuses an installation whose keys do not match.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings

# The environment variable of each secret and its setting (persistent files in VAR_DIR
# when the variable is unset: see shequ.settings).
SECRETS = {
    "SHEQU_FERNET_KEYS": "FERNET_KEYS",
    "SHEQU_PII_HMAC_KEY": "PII_HMAC_KEY",
    "SHEQU_SECRET_KEY": "SECRET_KEY",
    "SHEQU_PARKING_PAYMENT_SECRET": "PARKING_PAYMENT_SECRET",
    "SHEQU_PAYMENT_DEMO_SECRET": "PAYMENT_DEMO_SECRET",
    "SHEQU_ACCESS_SIGNING_KEY": "ACCESS_SIGNING_KEY",
}


def fingerprint(key: str) -> str:
    return hashlib.sha256(b"shequ backup key fingerprint\0" + key.encode()).hexdigest()[:16]


def fingerprints() -> dict[str, Any]:
    return {
        "fernet": [fingerprint(k) for k in settings.FERNET_KEYS],
        "pii_hmac": fingerprint(settings.PII_HMAC_KEY),
    }


def env_file() -> str:
    """The installation's secrets as ``SHEQU_*=value`` lines (a .env file)."""
    lines = ["# shequ secrets: keep this file as safe as the data it unlocks (mode 0600)"]
    for var, name in SECRETS.items():
        value = getattr(settings, name)
        lines.append(f"{var}={','.join(value) if isinstance(value, list) else value}")
    return "\n".join(lines) + "\n"


def mismatch(recorded: dict[str, Any]) -> str:
    """Why this installation's keys cannot read the backup's data ('' when they can)."""
    have = fingerprints()
    missing = [fp for fp in recorded.get("fernet", []) if fp not in have["fernet"]]
    problems = []
    if missing:
        problems.append(f"SHEQU_FERNET_KEYS lacks the backup's key(s) {', '.join(missing)}")
    if recorded.get("pii_hmac") != have["pii_hmac"]:
        problems.append(
            f"SHEQU_PII_HMAC_KEY is {have['pii_hmac']}, the backup's is {recorded.get('pii_hmac')}"
        )
    return "; ".join(problems)
