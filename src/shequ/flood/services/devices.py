"""Points, their devices and rules; device tokens (stored as SHA-256, shown once)."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from shequ.core.models import Region
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.flood.models import (
    UNDERPASS_DEFAULTS,
    Device,
    MonitoringPoint,
    Rule,
    RuleKind,
    RuleState,
)
from shequ.flood.services.access import require_point

DEVICE_TOKEN_PREFIX = "flood_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_point(actor: User, region: Region, **fields: Any) -> MonitoringPoint:
    point = MonitoringPoint(region=region, **fields)
    require_point(actor, point)
    point.full_clean()
    point.save()
    record("flood.point.create", actor=actor, obj=point, region_code=region.code)
    return point


def add_device(actor: User, point: MonitoringPoint, code: str, kind: str, **fields: Any) -> Device:
    require_point(actor, point)
    device = Device(point=point, code=code, kind=kind, **fields)
    device.full_clean(exclude=["prefix", "digest"])
    device.save()
    record("flood.device.create", actor=actor, obj=point, device=code)
    return device


def add_rule(actor: User, device: Device, kind: str, **fields: Any) -> Rule:
    require_point(actor, device.point)
    with transaction.atomic():
        rule = Rule(point=device.point, device=device, kind=kind, **fields)
        rule.full_clean()
        rule.save()
        RuleState.objects.create(rule=rule)
    record("flood.rule.create", actor=actor, obj=device.point, device=device.code, kind=kind)
    return rule


def add_underpass_rules(actor: User, gauge: Device, **overrides: Any) -> list[Rule]:
    """The defaults of an underpass gauge: depth 10/15/25/40 cm (orange closes the road),
    rising 5/10/15/20 cm in 10 minutes, and no data after 3 reporting intervals."""
    depth = {**UNDERPASS_DEFAULTS, "clear_margin": 2.0, "clear_seconds": 600, **overrides}
    rise = {"blue": 5.0, "yellow": 10.0, "orange": 15.0, "red": 20.0, "window_minutes": 10}
    return [
        add_rule(actor, gauge, RuleKind.THRESHOLD, **depth),
        add_rule(actor, gauge, RuleKind.RATE_OF_RISE, **rise),
        add_rule(actor, gauge, RuleKind.NO_DATA),
    ]


def issue_token(actor: User, device: Device) -> str:
    """A new token for a device (the old one stops working); the clear token is returned once."""
    require_point(actor, device.point)
    raw = DEVICE_TOKEN_PREFIX + secrets.token_urlsafe(32)
    device.prefix, device.digest, device.revoked_at = raw[:10], _digest(raw), None
    device.save(update_fields=["prefix", "digest", "revoked_at"])
    record("flood.device.token", actor=actor, obj=device.point, device=device.code)
    return raw


def revoke_token(actor: User, device: Device) -> None:
    require_point(actor, device.point)
    device.revoked_at = timezone.now()
    device.save(update_fields=["revoked_at"])
    record("flood.device.revoke", actor=actor, obj=device.point, device=device.code)


# A gauge posts every few seconds to minutes: its device is kept in each process this long.
# A revoked token is refused at once by the process that revoked it, by others within this.
DEVICE_CACHE_SECONDS = 5.0
_devices: dict[str, tuple[float, Device | None]] = {}


def device_for_token(raw: str) -> Device | None:
    if not raw.startswith(DEVICE_TOKEN_PREFIX):
        return None
    digest = _digest(raw)
    hit = _devices.get(digest)
    now = time.monotonic()
    if hit is not None and now - hit[0] < DEVICE_CACHE_SECONDS:
        return hit[1]
    device = (
        Device.objects.select_related("point", "point__region")
        .filter(digest=digest, revoked_at__isnull=True)
        .first()
    )
    if len(_devices) > 10_000:  # tokens guessed at random must not grow the cache forever
        _devices.clear()
    _devices[digest] = (now, device)
    return device


def device_by_code(code: str) -> Device | None:
    """A device named by its MQTT topic (the broker's ACL has checked who may publish there)."""
    return (
        Device.objects.select_related("point", "point__region")
        .filter(code=code, revoked_at__isnull=True)
        .first()
    )


def devices_by_code(codes: set[str]) -> dict[str, Device]:
    """Devices named by MQTT topics, in one query (revoked ones are missing)."""
    found = Device.objects.select_related("point", "point__region").filter(
        code__in=codes, revoked_at__isnull=True
    )
    return {d.code: d for d in found}


@receiver([post_save, post_delete], sender=Device, dispatch_uid="flood.devices.device")
def _devices_changed(**_kwargs: Any) -> None:
    _devices.clear()
