"""Access points and their devices; device tokens through core's one mechanism."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.access.models import AccessPoint, Device
from shequ.access.services.access import require_staff
from shequ.core.errors import Conflict, Invalid
from shequ.core.models import Region
from shequ.core.services.audit import record
from shequ.core.services.devicetokens import DeviceTokens
from shequ.core.types import User

DEVICE_TOKEN_PREFIX = "door_"
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


def add_point(actor: User, region: Region, estate: str, name: str, kind: str) -> AccessPoint:
    require_staff(actor, region.code)
    fields = {"estate": estate.strip(), "name": name.strip()}
    missing = {k: [_("This field is required.")] for k, v in fields.items() if not v}
    if kind not in AccessPoint.Kind.values:
        missing["kind"] = [_("Unknown kind.")]
    if missing:
        raise Invalid(_("The access point is incomplete."), fields=missing)
    try:
        with transaction.atomic():
            point = AccessPoint.objects.create(region=region, kind=kind, **fields)
            record("access.point.add", actor=actor, obj=point)
    except IntegrityError as exc:
        raise Conflict(
            _("This estate already has a point of that name."), fields={"name": [_("Taken.")]}
        ) from exc
    return point


def issue_device(actor: User, point: AccessPoint, kind: str, name: str) -> tuple[Device, str]:
    """A token for one device at the point; the clear token is returned once, never stored."""
    require_staff(actor, point.region.code)
    errors: dict[str, list[str]] = {}
    if kind not in Device.Kind.values:
        errors["kind"] = [_("Unknown kind.")]
    if not name.strip():
        errors["name"] = [_("This field is required.")]
    if errors:
        raise Invalid(_("The device is incomplete."), fields=errors)
    raw, prefix, digest = _tokens.new()
    with transaction.atomic():
        device = Device.objects.create(
            point=point, kind=kind, name=name.strip(), prefix=prefix, digest=digest
        )
        record("access.device.issue", actor=actor, obj=point.region, device=device.pk)
    return device, raw


def revoke_device(actor: User, device: Device) -> None:
    require_staff(actor, device.point.region.code)
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.save(update_fields=["revoked_at"])
        record("access.device.revoke", actor=actor, obj=device.point.region, device=device.pk)


def _load(digest: str) -> Device | None:
    return (
        Device.objects.select_related("point", "point__region")
        .filter(digest=digest, revoked_at__isnull=True)
        .first()
    )


_tokens: DeviceTokens[Device] = DeviceTokens(DEVICE_TOKEN_PREFIX, _load)


def device_for_token(raw: str) -> Device | None:
    return _tokens.find(raw)


def forget_devices() -> None:
    _tokens.forget()


def seen(device: Device) -> None:
    """Note that the device was heard from (online is derived from traffic)."""
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at > SEEN_EVERY:
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now


@receiver([post_delete], sender=Device, dispatch_uid="access.devices.device_deleted")
@receiver([post_save, post_delete], sender=AccessPoint, dispatch_uid="access.devices.point")
def _devices_changed(**_kwargs: Any) -> None:
    forget_devices()


@receiver(post_save, sender=Device, dispatch_uid="access.devices.device_saved")
def _device_saved(update_fields: Any = None, **_kwargs: Any) -> None:
    if update_fields is None or "last_seen_at" not in update_fields:
        forget_devices()
