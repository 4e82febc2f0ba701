"""Points, their devices and rules; device tokens (stored as SHA-256, shown once)."""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from itertools import pairwise
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.errors import Invalid
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
# A revoked token (or device) is refused at once by the process that revoked it, by others
# (the MQTT ingester) within this.
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


_by_code: dict[str, tuple[float, Device]] = {}


def devices_by_code(codes: set[str]) -> dict[str, Device]:
    """Devices named by MQTT topics (revoked ones are missing): those not seen in the last
    ``DEVICE_CACHE_SECONDS`` in one query. The MQTT ingester asks this for every batch of 500
    messages, and loading 500 devices with their points cost more than storing the readings."""
    now = time.monotonic()
    out: dict[str, Device] = {}
    for code in codes:
        hit = _by_code.get(code)
        if hit is not None and now - hit[0] < DEVICE_CACHE_SECONDS:
            out[code] = hit[1]
    wanted = codes - out.keys()
    if wanted:
        found = Device.objects.select_related("point", "point__region").filter(
            code__in=wanted, revoked_at__isnull=True
        )
        if len(_by_code) > 100_000:
            _by_code.clear()
        for device in found:
            out[device.code] = device
            _by_code[device.code] = (now, device)
    return out


@receiver([post_save, post_delete], sender=Device, dispatch_uid="flood.devices.device")
def _devices_changed(**_kwargs: Any) -> None:
    _devices.clear()
    _by_code.clear()


RULE_FIELDS = (
    "blue", "yellow", "orange", "red", "window_minutes", "pending_seconds", "clear_margin",
    "clear_seconds", "level", "min_confidence", "enabled",
)  # fmt: skip
LEVEL_FIELDS = ("blue", "yellow", "orange", "red")


def update_rule(actor: User, rule: Rule, **fields: Any) -> Rule:
    """Change a rule's figures; each refusal names its field (thresholds must rise with the
    level: blue ≤ yellow ≤ orange ≤ red, and a threshold rule needs at least one)."""
    require_point(actor, rule.point)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise Invalid(
            _("%(fields)s: not a rule's figure.") % {"fields": ", ".join(sorted(unknown))},
            fields={name: [_("Unknown field.")] for name in unknown},
        )
    errors: dict[str, list[str]] = {}
    merged = {name: fields.get(name, getattr(rule, name)) for name in RULE_FIELDS}
    for name in LEVEL_FIELDS:
        value = merged[name]
        if value is not None and not (math.isfinite(value) and -1e6 <= value <= 1e6):
            errors[name] = [_("A number between -1,000,000 and 1,000,000.")]
    if rule.kind in (RuleKind.THRESHOLD, RuleKind.RATE_OF_RISE, RuleKind.RAINFALL):
        present = [(n, merged[n]) for n in LEVEL_FIELDS if merged[n] is not None]
        if not present:
            errors.setdefault("blue", []).append(_("A rule needs at least one threshold."))
        for (low_name, low), (high_name, high) in pairwise(present):
            if high < low and high_name not in errors:
                errors[high_name] = [
                    _("At least the %(lower)s threshold (%(value)s).")
                    % {"lower": low_name, "value": f"{low:g}"}
                ]
    for name in ("window_minutes", "pending_seconds", "clear_seconds"):
        value = merged[name]
        if not isinstance(value, int) or not 0 <= value <= 7 * 24 * 3600:
            errors[name] = [_("A whole number between 0 and 604,800.")]
    if merged["window_minutes"] == 0 and rule.kind in (RuleKind.RATE_OF_RISE, RuleKind.RAINFALL):
        errors["window_minutes"] = [_("A window of at least one minute.")]
    if not (math.isfinite(merged["clear_margin"]) and 0 <= merged["clear_margin"] <= 1e6):
        errors["clear_margin"] = [_("A margin of 0 or more.")]
    if not 0 <= merged["min_confidence"] <= 1:
        errors["min_confidence"] = [_("A confidence between 0 and 1.")]
    if merged["level"] not in (1, 2, 3, 4):
        errors["level"] = [_("Choose a level.")]
    if errors:
        raise Invalid(
            _("Invalid rule: %(fields)s.") % {"fields": ", ".join(sorted(errors))}, fields=errors
        )
    changed = {n: v for n, v in merged.items() if getattr(rule, n) != v}
    if not changed:
        return rule
    with transaction.atomic():
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        for name, value in changed.items():
            setattr(rule, name, value)
        rule.save(update_fields=list(changed))
        record(
            "flood.rule.update", actor=actor, obj=rule.point, rule=rule.pk,
            changed={n: v for n, v in changed.items()},
        )  # fmt: skip
    return rule
