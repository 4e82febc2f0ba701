"""The emergency response level of a region (IV → I): raised and lowered by staff, audited,
told to everyone on duty; what each level tightens is stored configuration.

A point's level is the highest of its region's and of every region above it. The rule
evaluation (``services/judge.py``) scales the thresholds of threshold, rate-of-rise and
rainfall rules by the level's ``threshold_factor``: at level I (0.6 by default) a culvert's
red line of 40 cm fires at 24 cm. ``interval_factor`` is the reporting interval the level asks
of the gauges (shown on the point's page; no downlink sends it to the devices yet).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from shequ.core import clock
from shequ.core.errors import Forbidden, Invalid
from shequ.core.models import Region
from shequ.core.models.regions import covering_codes
from shequ.core.permissions import Perm, can, has_global, regions_for
from shequ.core.services.audit import record
from shequ.core.services.notify import notify_region_later
from shequ.core.transports.base import Message
from shequ.core.types import Requester, User
from shequ.flood.models import (
    DEFAULT_FACTORS,
    DutyShift,
    RegionResponse,
    ResponseChange,
    ResponseLevel,
    ResponseSetting,
)
from shequ.flood.services import rawsql, roster
from shequ.flood.services.access import require_region

REASON_MAX = 300


def level_at(region_code: str) -> int:
    """The response level over a region: its own or a higher one of a region above it."""
    found = RegionResponse.objects.filter(region__code__in=covering_codes(region_code)).aggregate(
        top=Max("level")
    )
    return found["top"] or 0


@dataclass(frozen=True)
class Factors:
    threshold: float
    interval: float


def factors(level: int) -> Factors:
    row = ResponseSetting.objects.filter(level=level).first()
    if row is not None:
        return Factors(row.threshold_factor, row.interval_factor)
    threshold, interval = DEFAULT_FACTORS.get(level, (1.0, 1.0))
    return Factors(threshold, interval)


def threshold_factor(region_code: str) -> float:
    """What the thresholds of a point in this region are multiplied by now (1.0: normal)."""
    return threshold_factors([region_code])[region_code]


def threshold_factors(region_codes: Iterable[str]) -> dict[str, float]:
    """``threshold_factor`` of each region, in one query for all (an ingesting batch's regions):
    the regions whose level is raised are few, read whole; a region's level is its own or a
    higher one of a region above it, as ``level_at`` says."""
    t = rawsql.table
    raised = dict(
        rawsql.fetch(
            f"SELECT g.code, rr.level FROM {t(RegionResponse)} rr "
            f"JOIN {t(Region)} g ON g.id = rr.region_id WHERE rr.level > %s",
            [ResponseLevel.NONE.value],
        )
    )
    by_level: dict[int, float] = {}
    out = {}
    for code in set(region_codes):
        level = max((raised.get(c, 0) for c in covering_codes(code)), default=0)
        if level and level not in by_level:
            by_level[level] = factors(level).threshold
        out[code] = by_level[level] if level else 1.0
    return out


def scaled(thresholds: tuple[float | None, ...], factor: float) -> tuple[float | None, ...]:
    if factor == 1.0:
        return thresholds
    return tuple(None if t is None else t * factor for t in thresholds)


def set_level(actor: User, region: Region, level: int, reason: str) -> RegionResponse:
    """Raise or lower a region's level, saying why; everyone on duty over it is told.

    Setting the level it has is a no-op (a retried request tells nobody twice).
    """
    require_region(actor, region)
    if level not in ResponseLevel.values:
        raise Invalid(
            _("level: one of none, IV, III, II, I."), fields={"level": [_("Choose a level.")]}
        )
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise Invalid(
            _("reason: say why, in at most %(n)s characters.") % {"n": REASON_MAX},
            fields={"reason": [_("Say why the level changes.")]},
        )
    now = clock.now()
    with transaction.atomic():
        current, _created = RegionResponse.objects.select_for_update().get_or_create(
            region=region, defaults={"since": now}
        )
        if current.level == level:
            return current
        before = current.level
        current.level, current.reason, current.since, current.set_by = level, reason, now, actor
        current.save()
        ResponseChange.objects.create(
            region=region, at=now, from_level=before, to_level=level, reason=reason, actor=actor
        )
        record(
            "flood.response.set", actor=actor, obj=region, region_code=region.code,
            from_level=before, to_level=level,
        )  # fmt: skip
        _tell(region, before, level, reason, now)
    return current


def _tell(region: Region, before: int, level: int, reason: str, now: datetime) -> None:
    names = {"region": region.name, "level": ResponseLevel(level).label}
    if level > before:
        title = _("%(region)s: emergency response raised to %(level)s") % names
    elif level:
        title = _("%(region)s: emergency response lowered to %(level)s") % names
    else:
        title = _("%(region)s: emergency response ended") % names
    message = Message(
        title=str(title),
        body=reason,
        url=reverse("flood:response"),
        level="critical" if level > before else "info",
        region_code=region.code,
        event_id=f"flood-response-{region.code}-{level}-{now:%Y%m%d%H%M%S}",
    )
    notify_region_later(region, message)
    roster.to_inbox(on_duty_over(region, now), message)


def on_duty_over(region: Region, at: datetime) -> list[User]:
    """Everyone on duty now for the region, a region above it or one under it."""
    shifts = DutyShift.objects.filter(
        Q(region__code__in=covering_codes(region.code)) | Q(region__code__startswith=region.prefix),
        starts_at__lte=at,
        ends_at__gt=at,
        user__is_active=True,
    ).select_related("user")
    return list({s.user_id: s.user for s in shifts}.values())


def watched_regions(user: Requester) -> QuerySet[Region]:
    """The regions whose level the user may set: where they hold the flood permission."""
    return regions_for(user, Perm.FLOOD).order_by("code")


def active_for(user: Requester) -> list[RegionResponse]:
    """Responses in force over what the user watches: their regions, those above and under."""
    prefixes = [r.prefix for r in watched_regions(user)]
    out = []
    for row in RegionResponse.objects.filter(level__gt=0).select_related("region"):
        code = row.region.code
        if can(user, Perm.FLOOD, code) or any(p.startswith(row.region.prefix) for p in prefixes):
            out.append(row)
    return sorted(out, key=lambda r: (-r.level, r.region.code))


def history(region: Region, limit: int = 20) -> list[ResponseChange]:
    return list(ResponseChange.objects.filter(region=region).select_related("actor")[:limit])


def update_setting(
    actor: User, level: int, threshold_factor: float, interval_factor: float
) -> ResponseSetting:
    """Set what a level tightens: platform administrators only (it applies everywhere)."""
    if not has_global(actor, Perm.FLOOD):
        raise Forbidden(_("Only platform administrators set the response levels' figures."))
    errors = {}
    for name, value in (
        ("threshold_factor", threshold_factor),
        ("interval_factor", interval_factor),
    ):
        if not 0 < value <= 1:
            errors[name] = [_("A factor above 0 and at most 1.")]
    if level not in ResponseLevel.values or level == 0:
        errors["level"] = [_("Choose a level.")]
    if errors:
        raise Invalid(_("%(fields)s: invalid.") % {"fields": ", ".join(errors)}, fields=errors)
    row, _created = ResponseSetting.objects.update_or_create(
        level=level,
        defaults={"threshold_factor": threshold_factor, "interval_factor": interval_factor},
    )
    record(
        "flood.response.setting", actor=actor, level=level,
        threshold_factor=threshold_factor, interval_factor=interval_factor,
    )  # fmt: skip
    return row
