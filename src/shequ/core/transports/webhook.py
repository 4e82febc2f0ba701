"""Generic signed JSON webhook.

Receivers verify ``X-Shequ-Signature: sha256=<hex>``, an HMAC-SHA256 over the exact raw
request body keyed with the channel secret (see :func:`verify_signature`). The body carries
``sent_at``, so a receiver can reject stale replays.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any, ClassVar

from shequ.core.transports.base import (
    Message,
    Transport,
    check_config_keys,
    clean_http_url,
    clean_string,
    clean_timeout,
)
from shequ.core.transports.http import DEFAULT_TIMEOUT, dump_json, post_json

SIGNATURE_HEADER = "X-Shequ-Signature"
TIMESTAMP_HEADER = "X-Shequ-Timestamp"
_PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The ``X-Shequ-Signature`` header value for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """Constant-time check of an ``X-Shequ-Signature`` header against the raw body."""
    if not secret or not header:
        return False
    expected = sign(secret, body).encode()
    try:
        given = header.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, given)


def build_payload(message: Message, sent_at: datetime) -> dict[str, Any]:
    return {
        "title": message.title,
        "body": message.body,
        "url": message.url,
        "level": message.level,
        "region_code": message.region_code,
        "event_id": message.event_id,
        "sent_at": sent_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


class WebhookTransport(Transport):
    kind: ClassVar[str] = "webhook"
    secret_keys: ClassVar[tuple[str, ...]] = ("secret",)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        check_config_keys(config, allowed=("url", "secret", "timeout"))
        cleaned: dict[str, Any] = {
            "url": clean_http_url(config, "url"),
            "secret": clean_string(config, "secret", required=True, strip=False),
        }
        timeout = clean_timeout(config)
        if timeout is not None:
            cleaned["timeout"] = timeout
        return cleaned

    def send(self, message: Message) -> None:
        config = self.checked_config()
        now = datetime.now(UTC)
        body = dump_json(build_payload(message, now))
        headers = {
            SIGNATURE_HEADER: sign(config["secret"], body),
            TIMESTAMP_HEADER: str(int(now.timestamp())),
        }
        post_json(config["url"], body, headers, timeout=config.get("timeout", DEFAULT_TIMEOUT))
