"""DingTalk group robot (钉钉自定义机器人).

With a sign secret ("加签"), each request appends ``timestamp`` (ms) and ``sign`` to the
webhook URL as DingTalk documents: ``sign = urlencode(base64(HMAC-SHA256(secret,
f"{timestamp}\\n{secret}")))``. DingTalk answers HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``;
any other errcode is a failure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from shequ.core.transports.base import (
    Message,
    Transport,
    check_config_keys,
    clean_http_url,
    clean_string,
    clean_timeout,
    fit_utf8,
    key_error,
)
from shequ.core.transports.http import DEFAULT_TIMEOUT, check_errcode, json_object, post_json

#: Errcodes worth retrying: 130101 "send too fast" (20 messages a minute per robot) and -1
#: "system busy". 310000 (sign, keyword or IP mismatch), 300001 and 400xxx config errors and
#: anything unknown are permanent.
TRANSIENT_ERRCODES: frozenset[int] = frozenset({130101, -1})

#: DingTalk caps a robot message at 20000 bytes.
MAX_TEXT_BYTES = 20000
LINK_TEXT = "link"


def sign(secret: str, timestamp: str) -> str:
    """The URL-encoded ``sign`` parameter for ``timestamp`` (milliseconds, as a string)."""
    string_to_sign = f"{timestamp}\n{secret}"
    digest = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def signed_url(webhook: str, secret: str, timestamp_ms: int | None = None) -> str:
    timestamp = str(timestamp_ms if timestamp_ms is not None else round(time.time() * 1000))
    sep = "&" if urllib.parse.urlsplit(webhook).query else "?"
    return f"{webhook}{sep}timestamp={timestamp}&sign={sign(secret, timestamp)}"


def build_payload(message: Message) -> dict[str, Any]:
    head = f"### {message.title}\n\n"
    tail = f"\n\n[{LINK_TEXT}]({message.url})" if message.url else ""
    text = fit_utf8(head, message.body, tail, MAX_TEXT_BYTES)
    return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}


class DingTalkTransport(Transport):
    kind: ClassVar[str] = "dingtalk"
    # The webhook URL carries the robot's access_token, so it is a secret too.
    secret_keys: ClassVar[tuple[str, ...]] = ("webhook", "secret")

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        check_config_keys(config, allowed=("webhook", "secret", "timeout"))
        webhook = clean_http_url(config, "webhook")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(webhook).query)
        if not any(token.strip() for token in query.get("access_token", [])):
            raise key_error("webhook", _("The DingTalk webhook URL must contain access_token."))
        cleaned: dict[str, Any] = {"webhook": webhook}
        secret = clean_string(config, "secret", required=False)
        if secret:
            if not secret.startswith("SEC"):
                raise key_error("secret", _('A DingTalk sign secret starts with "SEC".'))
            cleaned["secret"] = secret
        timeout = clean_timeout(config)
        if timeout is not None:
            cleaned["timeout"] = timeout
        return cleaned

    def send(self, message: Message) -> None:
        config = self.checked_config()
        url = config["webhook"]
        if config.get("secret"):
            url = signed_url(url, config["secret"])
        response = post_json(
            url, build_payload(message), timeout=config.get("timeout", DEFAULT_TIMEOUT)
        )
        check_errcode(json_object(response, "DingTalk"), "DingTalk", TRANSIENT_ERRCODES)
