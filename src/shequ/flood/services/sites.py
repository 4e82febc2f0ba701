"""Staff add and edit monitoring points and devices: region-authorised, audited, each refusal
naming its field. Creating goes through ``devices.create_point`` and ``devices.add_device``;
a new device starts with the rules of its kind (``default_rules``) and the thresholds given
with it; a point's thresholds per level are those of its gauges' threshold rules
(``thresholds`` reads them, ``save_point`` sets them all).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shequ.core.errors import Invalid
from shequ.core.models import Region
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.flood.models import (
    UNDERPASS_DEFAULTS,
    Device,
    DeviceKind,
    MonitoringPoint,
    PointKind,
    RuleKind,
)
from shequ.flood.services import devices, roster
from shequ.flood.services.access import require_point, require_region

LEVELS = ("blue", "yellow", "orange", "red")
POINT_FIELDS = ("code", "name", "name_en", "kind", "lat", "lon", "note")
# Where each level starts when a point has no threshold rule yet (cm of water, mm of movement).
KIND_DEFAULTS: dict[str, dict[str, float]] = {
    PointKind.UNDERPASS: UNDERPASS_DEFAULTS,
    PointKind.LOW_ROAD: UNDERPASS_DEFAULTS,
    PointKind.RIVER: {"blue": 150.0, "yellow": 200.0, "orange": 250.0, "red": 300.0},
    PointKind.LANDSLIDE: {"blue": 5.0, "yellow": 10.0, "orange": 20.0, "red": 40.0},
    PointKind.COLLAPSE: {"blue": 5.0, "yellow": 10.0, "orange": 20.0, "red": 40.0},
    PointKind.DEBRIS_FLOW: {"blue": 5.0, "yellow": 10.0, "orange": 20.0, "red": 40.0},
}
RAIN_HOUR = {"blue": 20.0, "yellow": 30.0, "orange": 50.0, "red": 70.0}  # mm in 1 h
CAMERA_EVENTS: dict[str, tuple[list[str], int]] = {
    PointKind.UNDERPASS: (["vehicle_trapped", "person_in_water", "water_on_road"], 3),
    PointKind.LOW_ROAD: (["vehicle_trapped", "person_in_water", "water_on_road"], 3),
    PointKind.RIVER: (["person_in_water"], 4),
}


def thresholds(point: MonitoringPoint | None, kind: str = "") -> dict[str, float | None]:
    """The point's thresholds per level: its first threshold rule's, or its kind's defaults."""
    rule = point.rules.filter(kind=RuleKind.THRESHOLD).first() if point and point.pk else None
    if rule is not None:
        return {name: getattr(rule, name) for name in LEVELS}
    return dict(KIND_DEFAULTS.get(kind or (point.kind if point else ""), {}))


def has_thresholds(point: MonitoringPoint | None) -> bool:
    return bool(point and point.rules.filter(kind=RuleKind.THRESHOLD).exists())


def responsible_named(names: str, region: Region) -> list[User]:
    """People by their user names (commas or spaces between), each watching ``region``."""
    people, unknown = [], []
    for name in names.replace("，", ",").replace(",", " ").split():
        try:
            people.append(roster.watcher_named(name, region))
        except ValidationError:
            unknown.append(name)
    if unknown:
        raise Invalid(
            _("responsible: %(names)s do not watch this region.") % {"names": ", ".join(unknown)},
            fields={"responsible": [_("Nobody of that user name watches this region.")]},
        )
    return people


def _check_levels(levels: Mapping[str, float | None]) -> None:
    present = [(n, levels.get(n)) for n in LEVELS if levels.get(n) is not None]
    for (low_name, low), (high_name, high) in pairwise(present):
        assert low is not None and high is not None
        if high < low:
            raise Invalid(
                _("%(high)s: at least the %(low)s threshold.")
                % {"high": high_name, "low": low_name},
                fields={
                    high_name: [
                        _("At least the %(lower)s threshold (%(value)s).")
                        % {"lower": low_name, "value": f"{low:g}"}
                    ]
                },
            )


def save_point(
    actor: User,
    point: MonitoringPoint | None,
    region: Region,
    fields: dict[str, Any],
    *,
    responsible: Sequence[User] = (),
    levels: dict[str, float | None] | None = None,
) -> MonitoringPoint:
    """Create a point (``point`` None) or change one; its threshold rules take ``levels``."""
    require_region(actor, region)
    if levels:
        _check_levels(levels)
    with transaction.atomic():
        if point is None:
            point = devices.create_point(actor, region, **fields)
        else:
            require_point(actor, point)
            before = {name: getattr(point, name) for name in POINT_FIELDS}
            for name, value in fields.items():
                setattr(point, name, value)
            point.region = region
            point.full_clean()
            point.save()
            changed = sorted(n for n in POINT_FIELDS if before[n] != getattr(point, n))
            record("flood.point.update", actor=actor, obj=point, changed=changed)
        point.responsible.set(responsible)
        if levels:
            for rule in point.rules.filter(kind=RuleKind.THRESHOLD):
                devices.update_rule(actor, rule, **levels)
    return point


def save_device(
    actor: User, device: Device | None, point: MonitoringPoint, code: str, kind: str,
    interval_seconds: int, levels: dict[str, float | None] | None = None,
) -> Device:  # fmt: skip
    """Add a device to a point (with its kind's rules; a gauge's thresholds ``levels``, else
    the point's) or change one: its id, kind (until it reports), point and interval."""
    require_point(actor, point)
    if device is None:
        given = _present(levels or {})
        if given:
            _check_levels(given)
        with transaction.atomic():
            made = devices.add_device(actor, point, code, kind, interval_seconds=interval_seconds)
            default_rules(actor, made, given)
        return made
    require_point(actor, device.point)
    if kind != device.kind and device.readings.exists():
        raise Invalid(
            _("kind: a device that has reported keeps its kind."),
            fields={"kind": [_("A device that has reported keeps its kind.")]},
        )
    before = (device.point_id, device.interval_seconds, device.kind, device.code)
    device.point, device.interval_seconds, device.kind, device.code = (
        point, interval_seconds, kind, code,
    )  # fmt: skip
    device.full_clean(exclude=["prefix", "digest"])
    with transaction.atomic():
        device.save()
        device.rules.update(point=point)  # its rules judge for the point it now watches
        record(
            "flood.device.update", actor=actor, obj=point, device=device.code,
            changed=[n for n, old, new in zip(
                ("point", "interval", "kind", "code"), before,
                (point.pk, interval_seconds, kind, code), strict=True,
            ) if old != new],
        )  # fmt: skip
    return device


def default_rules(actor: User, device: Device, levels: dict[str, float] | None = None) -> None:
    """What a new device is judged by: a gauge's thresholds (``levels``, else the point's), a
    rain gauge's hourly rainfall, a camera's dangerous sights; every gauge its no-data rule."""
    point = device.point
    given = levels or _present(thresholds(point))
    if device.kind == DeviceKind.CAMERA:
        types, level = CAMERA_EVENTS.get(point.kind, (["landslide"], 3))
        devices.add_rule(actor, device, RuleKind.CAMERA, event_types=types, level=level)
        return
    if device.kind == DeviceKind.RAIN:
        devices.add_rule(
            actor, device, RuleKind.RAINFALL, window_minutes=60, **(levels or RAIN_HOUR)
        )
    elif device.kind == DeviceKind.WATER_LEVEL and point.kind in ("underpass", "low_road"):
        devices.add_underpass_rules(actor, device, **given)
        return
    else:
        devices.add_rule(actor, device, RuleKind.THRESHOLD, **given)
    devices.add_rule(actor, device, RuleKind.NO_DATA)


def _present(levels: dict[str, float | None]) -> dict[str, float]:
    return {k: v for k, v in levels.items() if v is not None}
