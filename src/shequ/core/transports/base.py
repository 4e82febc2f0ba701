"""Core types shared by all notification transports.

A transport turns a :class:`Message` into one delivery attempt on one channel (a webhook,
a DingTalk or WeCom group robot, e-mail, ...). Transports are synchronous and stateless
apart from their channel config; retrying is the caller's job (see ``send_with_retries``).

This module must import without Django settings configured.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

LEVELS: tuple[str, ...] = ("info", "warning", "critical")

#: Upper bound for the optional per-channel ``timeout`` config key, in seconds.
MAX_TIMEOUT = 60.0


@dataclass(frozen=True)
class Message:
    """A user-facing notification; text may be Chinese or English and is kept intact."""

    title: str
    body: str
    url: str = ""
    level: str = "info"  # info|warning|critical
    region_code: str = ""
    event_id: str = ""

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {self.level!r}")


class TransportError(Exception):
    """A failed delivery.

    ``permanent`` errors will fail again if retried unchanged (bad config, rejected
    credentials, 4xx); transient ones (timeouts, 5xx, rate limits) may succeed later.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent

    def __repr__(self) -> str:
        return f"TransportError({self.message!r}, permanent={self.permanent})"


class Transport(abc.ABC):
    """One delivery channel kind.

    Subclasses set ``kind``, list the config keys holding secrets in ``secret_keys``
    (the caller encrypts those at rest), implement :meth:`validate_config` and :meth:`send`.
    """

    kind: ClassVar[str]
    secret_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    @abc.abstractmethod
    def send(self, message: Message) -> None:
        """Deliver ``message`` once; raise :class:`TransportError` on failure."""

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """Return the cleaned config or raise ``ValidationError`` keyed by the bad config key."""
        check_config_keys(config, allowed=())
        return {}

    def checked_config(self) -> dict[str, Any]:
        """The cleaned config; an invalid stored config is a permanent delivery error."""
        try:
            return type(self).validate_config(self.config)
        except ValidationError as exc:
            raise TransportError(
                f"invalid {self.kind} channel config: {describe_validation_error(exc)}",
                permanent=True,
            ) from exc


# --- validation helpers used by the concrete transports -------------------------------------


def describe_validation_error(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def key_error(
    key: str, message: Any, code: str = "invalid", params: dict[str, Any] | None = None
) -> ValidationError:
    """A ``ValidationError`` attached to config key ``key``."""
    return ValidationError({key: ValidationError(message, code=code, params=params)})


def check_config_keys(config: Any, allowed: tuple[str, ...]) -> None:
    if not isinstance(config, dict):
        raise ValidationError(_("Channel config must be a JSON object."), code="invalid")
    unknown = sorted(str(key) for key in config if key not in allowed)
    if unknown:
        raise ValidationError(
            {key: ValidationError(_("Unknown config key."), code="unknown") for key in unknown}
        )


def clean_string(config: dict[str, Any], key: str, *, required: bool, strip: bool = True) -> str:
    """A string value (stripped unless ``strip=False``); ``""`` for an absent optional key.

    A value that is blank after stripping counts as absent.
    """
    value = config.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise key_error(key, _("Must be a string."))
    if not value.strip():
        value = ""
    elif strip:
        value = value.strip()
    if required and not value:
        raise key_error(key, _("This config key is required."), code="required")
    return value


_http_url = URLValidator(schemes=["http", "https"])


def clean_http_url(config: dict[str, Any], key: str) -> str:
    """A required absolute http:// or https:// URL."""
    value = clean_string(config, key, required=True)
    try:
        _http_url(value)
    except ValidationError:
        raise key_error(key, _("Enter a valid http:// or https:// URL.")) from None
    return value


def clean_timeout(config: dict[str, Any], key: str = "timeout") -> float | None:
    """An optional timeout in seconds, 0 < timeout <= MAX_TIMEOUT."""
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise key_error(key, _("Must be a number of seconds."))
    timeout = float(value)
    if not math.isfinite(timeout) or not 0 < timeout <= MAX_TIMEOUT:
        raise key_error(
            key,
            _("Must be more than 0 and at most %(max)s seconds."),
            params={"max": f"{MAX_TIMEOUT:g}"},
        )
    return timeout


def fit_utf8(head: str, body: str, tail: str, max_bytes: int, ellipsis: str = "…") -> str:
    """``head + body + tail``, shortening ``body`` so the result fits in ``max_bytes`` of UTF-8."""
    text = head + body + tail
    if len(text.encode()) <= max_bytes:
        return text
    budget = max_bytes - len((head + tail + ellipsis).encode())
    if budget <= 0:
        return text.encode()[:max_bytes].decode(errors="ignore")
    cut = body.encode()[:budget].decode(errors="ignore")
    return head + cut + ellipsis + tail
