"""Indicator targets (目标值): the registry's default, a street's or a community's own.

``effective_target(indicator, region)`` is the one lookup every card, chart, API answer and
report uses: the region's own target, else the nearest region above it that set one (a
street's target is its communities' default), else the registry's. Staff of a region (platform
admins, street and community staff) set and reset the targets of their regions: community staff
their community's only, street staff the street's and its communities'. Every change is audited
with the old and the new value; department analysts and duty officers only read them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.errors import Forbidden, Invalid, NotFound
from shequ.core.models import Region, Role
from shequ.core.models.regions import covering_codes, prefix_of_code
from shequ.core.permissions import Perm, has_global, prefixes_for
from shequ.core.services.audit import record
from shequ.core.types import Requester, User
from shequ.dashboard.indicators import Direction, Indicator, get
from shequ.dashboard.models import Target
from shequ.dashboard.services.access import region_in, require_scope, shown_at

EDITING_ROLES = (Role.PLATFORM_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF)
TARGET_MAX = 1_000_000_000.0


@dataclass(frozen=True)
class Goal:
    """The target in force for an indicator at a region, and where it was set (None: the
    registry's default)."""

    target: float | None
    direction: Direction
    set_at: str | None = None  # the code of the region whose own target this is

    @property
    def overridden(self) -> bool:
        return self.set_at is not None


def default_goal(indicator: Indicator) -> Goal:
    return Goal(indicator.target, indicator.direction)


def _ancestry(code: str) -> list[str]:
    """The region's code, then those above it, nearest first."""
    return sorted(covering_codes(code), key=lambda c: len(prefix_of_code(c)), reverse=True)


def _pick(indicator: Indicator, code: str, own: dict[tuple[str, str], Target]) -> Goal:
    for candidate in _ancestry(code):
        found = own.get((indicator.key, candidate))
        if found is not None:
            return Goal(found.target, Direction(found.direction), candidate)
    return default_goal(indicator)


def goals_for(
    indicators: Sequence[Indicator], regions: Iterable[Region]
) -> dict[tuple[str, str], Goal]:
    """(indicator key, region code) -> the goal in force; one query whatever the counts."""
    codes = {r.code for r in regions}
    wanted = set().union(*(covering_codes(c) for c in codes)) if codes else set()
    rows = Target.objects.filter(
        indicator__in=[i.key for i in indicators], region__code__in=wanted
    ).select_related("region")
    own = {(t.indicator, t.region.code): t for t in rows}
    return {(i.key, code): _pick(i, code, own) for i in indicators for code in codes}


def effective_target(indicator: Indicator, region: Region) -> Goal:
    """The target in force for ``indicator`` at ``region``: its own, else the nearest region's
    above it, else the registry's."""
    return goals_for([indicator], [region])[(indicator.key, region.code)]


# --- who may change them ----------------------------------------------------------------------


def may_edit(user: Requester, region: Region) -> bool:
    if has_global(user, Perm.DASHBOARD, EDITING_ROLES):
        return True
    return any(region.code.startswith(p) for p in prefixes_for(user, Perm.DASHBOARD, EDITING_ROLES))


def _editable(user: Requester, key: str, region_code: str) -> tuple[Indicator, Region]:
    """The indicator and the region, when the user may change the region's targets: a region
    they do not see is a 404, one they see but may not change a 403."""
    scope = require_scope(user)
    region = region_in(scope, region_code)
    indicator = get(key)
    if indicator is None or indicator not in scope.indicators() or not shown_at(indicator, region):
        message = _("No indicator %(key)s for this region.") % {"key": key[:64]}
        raise NotFound(message, fields={"indicator": [message]})
    if scope.public_only or not may_edit(user, region):
        raise Forbidden(
            _("Only the staff of %(region)s change its targets.") % {"region": region.name}
        )
    return indicator, region


def _clean(indicator: Indicator, target: object, direction: str) -> tuple[float, Direction]:
    problems: dict[str, list[str]] = {}
    value: float | None = None
    try:
        value = float(str(target).strip().replace(",", ""))
    except ValueError:
        problems["target"] = [_("Enter the target as a number, e.g. 90 or 12.5.")]
    else:
        top = 100.0 if indicator.unit == "%" else TARGET_MAX
        if not math.isfinite(value) or not 0 <= value <= top:
            problems["target"] = [
                _("The target must be between 0 and %(top)s.") % {"top": f"{top:g}"}
            ]
    if direction not in {d.value for d in Direction}:
        problems["direction"] = [_("Choose whether higher or lower is better.")]
    if problems or value is None:
        raise Invalid(" ".join(m for ms in problems.values() for m in ms), fields=problems)
    return value, Direction(direction)


def _state(goal: Goal) -> dict[str, object]:
    return {"target": goal.target, "direction": str(goal.direction), "set_at": goal.set_at}


def _audit(
    action: str, user: Requester, region: Region, indicator: Indicator, old: Goal, new: Goal
) -> None:
    """A change of a region's target, with the goal in force before and after."""
    record(
        action, actor=user, obj=region, indicator=indicator.key, old=_state(old), new=_state(new)
    )


def set_target(
    user: Requester, key: str, region_code: str, target: object, direction: str = ""
) -> Goal:
    """Set the region's own target (and direction; default: the one in force); audited with the
    old and the new goal."""
    indicator, region = _editable(user, key, region_code)
    old = effective_target(indicator, region)
    value, way = _clean(indicator, target, direction or str(old.direction))
    assert isinstance(user, User)
    with transaction.atomic():
        Target.objects.update_or_create(
            indicator=indicator.key,
            region=region,
            defaults={
                "target": value, "direction": str(way), "updated_by": user,
                "updated_at": timezone.now(),
            },
        )  # fmt: skip
        new = effective_target(indicator, region)
        _audit("dashboard.target.set", user, region, indicator, old, new)
    return new


def reset_target(user: Requester, key: str, region_code: str) -> Goal:
    """Drop the region's own target: the one above it (or the registry's) is in force again."""
    indicator, region = _editable(user, key, region_code)
    with transaction.atomic():
        old = effective_target(indicator, region)
        deleted, _rows = Target.objects.filter(indicator=indicator.key, region=region).delete()
        new = effective_target(indicator, region)
        if deleted:
            _audit("dashboard.target.reset", user, region, indicator, old, new)
    return new


def table(user: Requester, region_code: str) -> tuple[Region, list[tuple[Indicator, Goal]], bool]:
    """The region's indicators with the goal in force, and whether the user may change them."""
    scope = require_scope(user)
    region = region_in(scope, region_code)
    shown = [i for i in scope.indicators() if shown_at(i, region)]
    goals = goals_for(shown, [region])
    editable = not scope.public_only and may_edit(user, region)
    return region, [(i, goals[(i.key, region.code)]) for i in shown], editable
