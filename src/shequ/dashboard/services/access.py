"""Who sees which indicators of which regions (authorisation by region).

Staff, analysts and duty officers (``Perm.DASHBOARD``) see every indicator of the streets and
communities their memberships cover. Residents and volunteers see only the public indicators
of their own community. Everyone else sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from shequ.core.errors import Forbidden, NotFound
from shequ.core.models import Membership, Region, Role
from shequ.core.models.regions import RegionLevel
from shequ.core.permissions import Perm, regions_for
from shequ.core.types import Requester, User
from shequ.dashboard.indicators import REGISTRY, Indicator, Level

SHOWN_LEVELS = (RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.VILLAGE)
PUBLIC_ROLES = (Role.RESIDENT, Role.VOLUNTEER)


@dataclass(frozen=True)
class Scope:
    regions: tuple[Region, ...]  # streets and communities, in code order
    public_only: bool

    @property
    def codes(self) -> set[str]:
        return {r.code for r in self.regions}

    def indicators(self, module: str | None = None) -> list[Indicator]:
        return [
            i
            for i in REGISTRY.values()
            if (module is None or i.module == module) and (i.public or not self.public_only)
        ]


def scope_of(user: Requester) -> Scope:
    staff = regions_for(user, Perm.DASHBOARD).filter(level__in=SHOWN_LEVELS).order_by("code")
    if staff.exists():
        return Scope(tuple(staff), public_only=False)
    if not isinstance(user, User) or not user.is_active:
        return Scope((), public_only=True)
    own = Region.objects.filter(
        pk__in=Membership.objects.filter(user=user, role__in=PUBLIC_ROLES).values("region_id"),
        level__in=(RegionLevel.COMMUNITY, RegionLevel.VILLAGE),
    ).order_by("code")
    return Scope(tuple(own), public_only=True)


def require_scope(user: Requester) -> Scope:
    scope = scope_of(user)
    if not scope.regions:
        raise Forbidden(_("Dashboards are for staff, and for residents of a community."))
    return scope


def region_in(scope: Scope, code: str | None) -> Region:
    """The region asked for (default: the first street, else the first community) if seen."""
    if not code:
        streets = [r for r in scope.regions if r.level == RegionLevel.STREET]
        return (streets or list(scope.regions))[0]
    for region in scope.regions:
        if region.code == code:
            return region
    raise NotFound(_("No region %(code)s among yours.") % {"code": code[:12]}, fields={})


def children(scope: Scope, region: Region) -> list[Region]:
    """The communities (villages) under a street that the scope holds."""
    if region.level != RegionLevel.STREET:
        return []
    return [r for r in scope.regions if r.parent_id == region.pk]


def shown_at(indicator: Indicator, region: Region) -> bool:
    level = Level.STREET if region.level == RegionLevel.STREET else Level.COMMUNITY
    return level in indicator.levels or (
        level == Level.COMMUNITY and Level.ESTATE in indicator.levels
    )
