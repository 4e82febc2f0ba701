"""Notification transports (webhook, DingTalk, WeCom, e-mail), after healthchecks' transports.

``TRANSPORTS`` maps a channel kind to its :class:`Transport` class. It is a plain dict so other
layers can register more kinds, e.g. ``TRANSPORTS["inbox"] = InboxTransport``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from shequ.core.transports.base import LEVELS, Message, Transport, TransportError
from shequ.core.transports.dingtalk import DingTalkTransport
from shequ.core.transports.email import EmailTransport
from shequ.core.transports.webhook import WebhookTransport, verify_signature
from shequ.core.transports.wecom import WeComTransport

__all__ = [
    "LEVELS",
    "TRANSPORTS",
    "DingTalkTransport",
    "EmailTransport",
    "Message",
    "Transport",
    "TransportError",
    "WeComTransport",
    "WebhookTransport",
    "get_transport",
    "send_with_retries",
    "verify_signature",
]

logger = logging.getLogger(__name__)

TRANSPORTS: dict[str, type[Transport]] = {
    cls.kind: cls for cls in (WebhookTransport, DingTalkTransport, WeComTransport, EmailTransport)
}


def get_transport(kind: str) -> type[Transport]:
    """The transport class registered for ``kind``; ``ValueError`` if there is none."""
    try:
        return TRANSPORTS[kind]
    except KeyError:
        raise ValueError(f"unknown channel kind: {kind!r}") from None


def send_with_retries(
    transport: Transport,
    message: Message,
    *,
    attempts: int = 3,
    backoff: float = 0.5,
    sleep: Callable[[float], object] = time.sleep,
) -> None:
    """Send, retrying transient errors with exponential backoff (``backoff * 2**n`` seconds).

    A permanent error is raised at once; after ``attempts`` transient failures the last
    error is raised.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(1, attempts + 1):
        try:
            transport.send(message)
            return
        except TransportError as exc:
            if exc.permanent or attempt == attempts:
                raise
            delay = backoff * 2 ** (attempt - 1)
            logger.warning(
                "%s transport: attempt %d/%d failed (%s); retrying in %.1fs",
                transport.kind,
                attempt,
                attempts,
                exc.message,
                delay,
            )
            sleep(delay)
