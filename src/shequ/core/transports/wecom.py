"""WeCom group robot (企业微信群机器人).

The webhook URL (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``) is the only
credential. WeCom answers HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``; any other errcode
is a failure.
"""

from __future__ import annotations

from typing import Any, ClassVar

from shequ.core.transports.base import (
    Message,
    Transport,
    check_config_keys,
    clean_http_url,
    clean_timeout,
    fit_utf8,
)
from shequ.core.transports.http import DEFAULT_TIMEOUT, check_errcode, json_object, post_json

#: Errcodes worth retrying: 45009 (API rate limit, 20 messages a minute per robot) and -1
#: (system busy). 93000 (invalid webhook URL) and anything else is permanent.
TRANSIENT_ERRCODES: frozenset[int] = frozenset({45009, -1})

#: WeCom caps markdown content at 4096 bytes of UTF-8.
MAX_CONTENT_BYTES = 4096
LINK_TEXT = "link"


def build_payload(message: Message) -> dict[str, Any]:
    head = f"**{message.title}**\n"
    # A ">" quotes one line in WeCom markdown, so quote every line of a multi-line body.
    body = "\n".join(f">{line}" for line in message.body.splitlines() or [""])
    tail = f"\n[{LINK_TEXT}]({message.url})" if message.url else ""
    content = fit_utf8(head, body, tail, MAX_CONTENT_BYTES)
    return {"msgtype": "markdown", "markdown": {"content": content}}


class WeComTransport(Transport):
    kind: ClassVar[str] = "wecom"
    # The webhook URL's key is the robot's only credential.
    secret_keys: ClassVar[tuple[str, ...]] = ("webhook",)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        check_config_keys(config, allowed=("webhook", "timeout"))
        cleaned: dict[str, Any] = {"webhook": clean_http_url(config, "webhook")}
        timeout = clean_timeout(config)
        if timeout is not None:
            cleaned["timeout"] = timeout
        return cleaned

    def send(self, message: Message) -> None:
        config = self.checked_config()
        response = post_json(
            config["webhook"],
            build_payload(message),
            timeout=config.get("timeout", DEFAULT_TIMEOUT),
        )
        check_errcode(json_object(response, "WeCom"), "WeCom", TRANSIENT_ERRCODES)
