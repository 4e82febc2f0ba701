"""E-mail through Django's configured ``EMAIL_BACKEND``.

Importing this module needs no Django settings; sending does.
"""

from __future__ import annotations

import smtplib
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, send_mail
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from shequ.core.transports.base import (
    Message,
    Transport,
    TransportError,
    check_config_keys,
    clean_string,
    key_error,
)

MAX_RECIPIENTS = 50


def split_addresses(value: str) -> list[str]:
    """Comma-separated addresses, stripped, blanks and duplicates (case-insensitive) dropped."""
    seen: set[str] = set()
    addresses: list[str] = []
    for part in value.split(","):
        address = part.strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            addresses.append(address)
    return addresses


def build_email(message: Message) -> tuple[str, str]:
    """``(subject, text body)``; the subject is one line as mail headers require."""
    subject = " ".join(message.title.split())
    body = f"{message.body}\n\n{message.url}" if message.url else message.body
    return subject, body


class EmailTransport(Transport):
    kind: ClassVar[str] = "email"
    secret_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        check_config_keys(config, allowed=("to",))
        addresses = split_addresses(clean_string(config, "to", required=True))
        if not addresses:
            raise key_error("to", _("This config key is required."), code="required")
        if len(addresses) > MAX_RECIPIENTS:
            raise key_error(
                "to",
                _("At most %(max)d recipients."),
                params={"max": MAX_RECIPIENTS},
            )
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise key_error(
                    "to",
                    _("“%(address)s” is not a valid e-mail address."),
                    params={"address": address},
                ) from None
        return {"to": ", ".join(addresses)}

    def send(self, message: Message) -> None:
        config = self.checked_config()
        subject, body = build_email(message)
        try:
            send_mail(subject, body, None, split_addresses(config["to"]), fail_silently=False)
        except BadHeaderError as exc:
            raise TransportError(f"e-mail rejected: {exc}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"e-mail delivery failed: {type(exc).__name__}: {exc}") from exc
