"""Send messages through a region's notification channels.

Transient failures are retried; a permanent failure disables the channel with
its reason, so one broken robot cannot make every later alert wait on it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core import pii
from shequ.core.models import Channel, Delivery, InboxMessage, Region, Role
from shequ.core.models.regions import covering_codes
from shequ.core.signals import people_message_queued, region_message_queued
from shequ.core.transports import TRANSPORTS, get_transport, send_with_retries
from shequ.core.transports.base import Message, Transport, TransportError

logger = logging.getLogger(__name__)

STAFF_ROLES = (Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.DUTY_OFFICER)


class InboxTransport(Transport):
    """In-app inbox: one message per user holding one of ``roles`` over the region."""

    kind = "inbox"
    secret_keys = ()

    def __init__(self, config: dict[str, Any], region: Region | None = None) -> None:
        super().__init__(config)
        self.region = region

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        unknown_keys = sorted(str(k) for k in config if k != "roles")
        if unknown_keys:
            raise ValidationError({k: _("Unknown config key.") for k in unknown_keys})
        roles = config.get("roles") or list(STAFF_ROLES)
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise ValidationError({"roles": _("Must be a list of role names.")})
        unknown = [r for r in roles if r not in Role.values]
        if unknown:
            raise ValidationError(
                {"roles": _("Unknown role(s): %(roles)s.") % {"roles": ", ".join(unknown)}}
            )
        return {"roles": list(roles)}

    def recipients(self) -> list[Any]:
        if self.region is None:
            raise TransportError("inbox channel has no region", permanent=True)
        roles = self.config.get("roles") or list(STAFF_ROLES)
        users = get_user_model().objects.filter(
            is_active=True,
            memberships__role__in=roles,
            memberships__region__code__in=covering_codes(self.region.code),
        )
        return list(users.distinct())

    def send(self, message: Message) -> None:
        InboxMessage.objects.bulk_create(
            InboxMessage(
                user=u, title=message.title, body=message.body, url=message.url, level=message.level
            )
            for u in self.recipients()
        )


TRANSPORTS["inbox"] = InboxTransport


def clean_config(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    """Validate a channel's configuration and encrypt its secret values."""
    transport_cls = get_transport(kind)
    cleaned = transport_cls.validate_config(dict(config))
    for key in transport_cls.secret_keys:
        if cleaned.get(key):
            cleaned[key] = {"enc": pii.encrypt(str(cleaned[key]))}
    return cleaned


def _clear_config(channel: Channel) -> dict[str, Any]:
    return {
        key: pii.decrypt(value["enc"]) if isinstance(value, dict) and "enc" in value else value
        for key, value in channel.config.items()
    }


def build_transport(channel: Channel) -> Transport:
    transport_cls = get_transport(channel.kind)
    if transport_cls is InboxTransport:
        return InboxTransport(channel.config, region=channel.region)
    return transport_cls(_clear_config(channel))


class _CountingTransport(Transport):
    """Wraps a transport to count the sends actually attempted."""

    def __init__(self, inner: Transport) -> None:
        super().__init__(inner.config)
        self.inner = inner
        self.kind = inner.kind  # type: ignore[misc]
        self.calls = 0

    def send(self, message: Message) -> None:
        self.calls += 1
        self.inner.send(message)


def deliver(
    channel: Channel, message: Message, *, attempts: int = 3, backoff: float = 0.5
) -> Delivery:
    """Send through one channel now; record the outcome on the channel and as a Delivery.

    Transient errors are retried up to ``attempts`` times, waiting ``backoff * 2**n`` seconds;
    a permanent one disables the channel with its reason. ``Delivery.attempts`` is the number
    of sends actually made.
    """
    error: TransportError | None = None
    transport: _CountingTransport | None = None
    try:
        transport = _CountingTransport(build_transport(channel))
    except Exception as exc:  # unknown kind, undecryptable secret: retrying will not help
        logger.exception("channel %s: cannot build its transport", channel.pk)
        error = TransportError(f"unusable channel: {exc}", permanent=True)
    if transport is not None:
        try:
            send_with_retries(transport, message, attempts=attempts, backoff=backoff)
        except TransportError as exc:
            error = exc
        except Exception as exc:  # a bug in one transport must not stop the other channels
            logger.exception("channel %s: delivery crashed", channel.pk)
            error = TransportError(f"internal error: {type(exc).__name__}: {exc}")
    now = timezone.now()
    if error is None:
        updates: dict[str, Any] = {"last_sent": now, "last_error": ""}
        status, text = Delivery.Status.SENT, ""
    else:
        text = error.message[:300]
        updates = {"last_error": text}
        if error.permanent:
            updates.update(enabled=False, disabled_reason=text)
        status = Delivery.Status.FAILED
    Channel.objects.filter(pk=channel.pk).update(**updates)
    for field, value in updates.items():
        setattr(channel, field, value)
    return Delivery.objects.create(
        channel=channel,
        title=message.title[:200],
        status=status,
        error=text,
        attempts=transport.calls if transport is not None else 0,
    )


def notify_region(region: Region, message: Message) -> list[Delivery]:
    """Deliver a message through every enabled channel of the region, now."""
    channels = Channel.objects.filter(
        region=region, owner__isnull=True, enabled=True
    ).select_related("region")
    return [deliver(channel, message) for channel in channels]


def notify_region_later(region: Region, message: Message) -> None:
    """Queue delivery for the worker, once the current transaction has committed."""
    send = region_message_queued.send
    transaction.on_commit(lambda: send(sender=Region, region_id=region.pk, message=message))


# --- a person's own channels -------------------------------------------------------------------

PERSONAL_KINDS = ("email", "webhook", "dingtalk", "wecom")  # the inbox is everyone's already


def set_personal_channel(owner: Any, region: Region, kind: str, config: dict[str, Any]) -> Channel:
    """The person's own channel of ``kind`` (one per kind), made or replaced and enabled again.

    Its config is personal (an e-mail address, a robot's URL): every value is stored encrypted.
    The caller checks who may set it."""
    if kind not in PERSONAL_KINDS:
        raise ValidationError({"kind": [_("Not a channel a person can choose.")]})
    try:
        cleaned = clean_config(kind, config)
    except ValidationError as exc:
        raise ValidationError({f"config.{k}": v for k, v in exc.message_dict.items()}) from exc
    sealed = {
        key: {"enc": pii.encrypt(value)} if isinstance(value, str) and value else value
        for key, value in cleaned.items()
    }
    channel, _created = Channel.objects.update_or_create(
        owner=owner,
        kind=kind,
        defaults={
            "region": region, "name": f"{kind} ({owner.pk})", "config": sealed, "enabled": True,
            "disabled_reason": "", "last_error": "",
        },
    )  # fmt: skip
    return channel


def channel_target(channel: Channel) -> str:
    """The address a channel sends to, in clear (for masking by the caller; never logged)."""
    config = _clear_config(channel)
    return str(config.get("to") or config.get("url") or config.get("webhook") or "")


def notify_people(user_ids: list[int], message: Message) -> list[Delivery]:
    """Deliver a message through the enabled own channels of these people, now."""
    channels = Channel.objects.filter(
        owner_id__in=user_ids, owner__is_active=True, enabled=True
    ).select_related("region")
    return [deliver(channel, message) for channel in channels.order_by("owner_id", "kind")]


def notify_people_later(user_ids: list[int], message: Message) -> None:
    """Queue delivery through the people's own channels, once the transaction has committed."""
    if not Channel.objects.filter(owner_id__in=user_ids, enabled=True).exists():
        return  # nobody chose one: no job queued (an alert burst would queue one per alert)
    send = people_message_queued.send
    ids = sorted(set(user_ids))
    transaction.on_commit(lambda: send(sender=Channel, user_ids=ids, message=message))
