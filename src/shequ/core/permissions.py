"""Roles, what each may do, and the one scoping function every app uses.

A user's memberships give roles at regions; a role's permission at a region
extends to all of its descendants (codes share the region's prefix).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet

from shequ.core.models import Membership, Region, Role
from shequ.core.types import Requester, User


class Perm(StrEnum):
    VIEW_AUDIT = "view_audit"
    VIEW_PEOPLE = "view_people"
    MANAGE_PEOPLE = "manage_people"
    REVEAL_PII = "reveal_pii"
    MANAGE_REGIONS = "manage_regions"
    MANAGE_CHANNELS = "manage_channels"
    HUB = "hub"
    MANAGE_HUB = "manage_hub"
    PUBLISH_HUB = "publish_hub"  # publish the region's own datasets back into the hub (回流)
    PARKING = "parking"
    FLOOD = "flood"
    TIMEBANK = "timebank"
    GATE = "gate"
    DASHBOARD = "dashboard"


_STAFF = {
    Perm.VIEW_AUDIT,
    Perm.VIEW_PEOPLE,
    Perm.MANAGE_PEOPLE,
    Perm.REVEAL_PII,
    Perm.MANAGE_CHANNELS,
    Perm.HUB,
    Perm.PUBLISH_HUB,
    Perm.PARKING,
    Perm.FLOOD,
    Perm.TIMEBANK,
    Perm.GATE,
    Perm.DASHBOARD,
}
ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.PLATFORM_ADMIN: frozenset(Perm),
    Role.STREET_STAFF: frozenset(_STAFF | {Perm.MANAGE_REGIONS, Perm.MANAGE_HUB}),
    Role.COMMUNITY_STAFF: frozenset(_STAFF),
    Role.DEPARTMENT_ANALYST: frozenset({Perm.HUB, Perm.DASHBOARD}),
    Role.GARAGE_OPERATOR: frozenset({Perm.PARKING}),
    Role.DUTY_OFFICER: frozenset({Perm.FLOOD, Perm.DASHBOARD}),
    Role.VOLUNTEER: frozenset({Perm.TIMEBANK}),
    Role.RESIDENT: frozenset({Perm.PARKING, Perm.TIMEBANK, Perm.GATE}),
}
GLOBAL_ROLES = frozenset({Role.PLATFORM_ADMIN})

M = TypeVar("M", bound=Model)


def _active(user: Requester) -> bool:
    """Anonymous and deactivated users hold no rights, whatever their memberships say."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _is_superuser(user: Requester) -> bool:
    return _active(user) and bool(getattr(user, "is_superuser", False))


def _memberships(user: Requester) -> list[Membership]:
    if not _active(user) or not isinstance(user, User):
        return []
    cached: list[Membership] | None = getattr(user, "_shequ_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("region"))
        setattr(user, "_shequ_memberships", cached)  # noqa: B010  (a per-request cache)
    return cached


def roles_of(user: Requester) -> set[str]:
    return {m.role for m in _memberships(user)}


def has_global(user: Requester, perm: Perm, roles: Iterable[str] | None = None) -> bool:
    """Superusers and platform admins hold a permission everywhere.

    With ``roles``, only memberships of those roles count (a superuser is not a role).
    """
    allowed = set(roles) if roles is not None else None
    if allowed is None and _is_superuser(user):
        return True
    return any(
        m.role in GLOBAL_ROLES
        and perm in ROLE_PERMS[m.role]
        and (allowed is None or m.role in allowed)
        for m in _memberships(user)
    )


def perms_of(user: Requester) -> set[Perm]:
    if _is_superuser(user):
        return set(Perm)
    return {p for m in _memberships(user) for p in ROLE_PERMS[m.role]}


def prefixes_for(user: Requester, perm: Perm, roles: Iterable[str] | None = None) -> list[str]:
    """Code prefixes of the regions where the user holds perm (optionally through roles)."""
    allowed = set(roles) if roles is not None else None
    return sorted(
        {
            m.region.prefix
            for m in _memberships(user)
            if perm in ROLE_PERMS[m.role] and (allowed is None or m.role in allowed)
        }
    )


def scope(
    queryset: QuerySet[M],
    user: Requester,
    perm: Perm,
    *,
    region_field: str = "region",
    roles: Iterable[str] | None = None,
) -> QuerySet[M]:
    """Filter queryset to objects in regions (and descendants) where user holds perm.

    ``region_field`` is the lookup path to a Region foreign key (``"garage__region"``)
    or, when it ends in ``code``, to a 12-digit region code column.
    """
    if has_global(user, perm, roles):
        return queryset
    code_field = region_field if region_field.endswith("code") else f"{region_field}__code"
    condition = Q()
    for prefix in prefixes_for(user, perm, roles):
        condition |= Q(**{f"{code_field}__startswith": prefix})
    if not condition:
        return queryset.none()
    return queryset.filter(condition)


def can(user: Requester, perm: Perm, region: Region | str) -> bool:
    """True when user holds perm at region (a Region or a 12-digit code)."""
    if has_global(user, perm):
        return True
    code = region if isinstance(region, str) else region.code
    return any(code.startswith(p) for p in prefixes_for(user, perm))


def require(user: Requester, perm: Perm, region: Region | str) -> None:
    if not can(user, perm, region):
        raise PermissionDenied("You do not have access to this region.")


def regions_for(user: Requester, perm: Perm) -> QuerySet[Region]:
    return scope(Region.objects.all(), user, perm, region_field="code")


def visible_regions(user: Requester) -> QuerySet[Region]:
    """Regions covered by any of the user's memberships (whatever the role)."""
    if _is_superuser(user) or roles_of(user) & GLOBAL_ROLES:
        return Region.objects.all()
    condition = Q()
    for prefix in {m.region.prefix for m in _memberships(user)}:
        condition |= Q(code__startswith=prefix)
    return Region.objects.filter(condition) if condition else Region.objects.none()
