"""Who may do what in shared parking: staff over a region, operators of a garage, residents.

Residents also hold ``Perm.PARKING`` (to use the service), so staff rights are checked through
the staff roles, and an operator must both hold the role over the garage's region and be one
of the garage's operators.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from shequ.core.models import Role
from shequ.core.permissions import Perm, has_global, prefixes_for, scope
from shequ.core.types import Requester, User
from shequ.parking.models import Garage

STAFF_ROLES = (Role.STREET_STAFF, Role.COMMUNITY_STAFF)
OPERATOR_ROLES = (Role.GARAGE_OPERATOR,)


def _covered(user: Requester, code: str, roles: tuple[str, ...]) -> bool:
    return any(code.startswith(p) for p in prefixes_for(user, Perm.PARKING, roles))


def is_staff_for(user: Requester, region_code: str) -> bool:
    """Community or street staff over the region (or a platform administrator)."""
    return has_global(user, Perm.PARKING) or _covered(user, region_code, STAFF_ROLES)


def is_operator_of(user: Requester, garage: Garage) -> bool:
    if not isinstance(user, User) or not _covered(user, garage.region.code, OPERATOR_ROLES):
        return False
    return garage.operators.filter(pk=user.pk).exists()


def can_manage_garage(user: Requester, garage: Garage) -> bool:
    return is_staff_for(user, garage.region.code) or is_operator_of(user, garage)


def require_garage(user: Requester, garage: Garage) -> None:
    if not can_manage_garage(user, garage):
        raise PermissionDenied(_("You do not manage this garage."))


def require_staff(user: Requester, region_code: str) -> None:
    if not is_staff_for(user, region_code):
        raise PermissionDenied(_("Only community staff of this region may do this."))


def staff_scope(
    queryset: QuerySet[Any],
    user: Requester,
    region_field: str,
    roles: tuple[str, ...] = STAFF_ROLES,
) -> QuerySet[Any]:
    """Rows in regions where user is staff (or holds one of ``roles``); all for an admin."""
    if has_global(user, Perm.PARKING):
        return queryset
    return scope(queryset, user, Perm.PARKING, region_field=region_field, roles=roles)


def garages_for(user: Requester) -> QuerySet[Garage]:
    """Garages the user manages: as staff of their region or as one of their operators."""
    staff = staff_scope(Garage.objects.all(), user, "region")
    operated = scope(
        Garage.objects.filter(operators=user) if user.is_authenticated else Garage.objects.none(),
        user,
        Perm.PARKING,
        roles=OPERATOR_ROLES,
    )
    ids = Q(pk__in=staff.values("pk")) | Q(pk__in=operated.values("pk"))
    return Garage.objects.filter(ids).select_related("region")


def managed_garage(user: Requester, garage_id: int) -> Garage:
    """The garage, if the user manages it (its operators, staff over its region); 404/403."""
    from django.shortcuts import get_object_or_404

    garage = get_object_or_404(Garage.objects.select_related("region"), pk=garage_id)
    require_garage(user, garage)
    return garage
