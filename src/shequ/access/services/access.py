"""Who may do what at the doors: staff over a region; residents with their own credentials.

Residents also hold ``Perm.GATE`` (to use their own passes), so staff rights are checked
through the staff roles, as parking does.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shequ.core.errors import Forbidden
from shequ.core.models import Role
from shequ.core.permissions import Perm, has_global, prefixes_for, scope
from shequ.core.types import Requester

STAFF_ROLES = (Role.STREET_STAFF, Role.COMMUNITY_STAFF)


def is_staff_for(user: Requester, region_code: str) -> bool:
    """Community or street staff over the region (or a platform administrator)."""
    if has_global(user, Perm.GATE):
        return True
    return any(region_code.startswith(p) for p in prefixes_for(user, Perm.GATE, STAFF_ROLES))


def is_staff_somewhere(user: Requester) -> bool:
    return has_global(user, Perm.GATE) or bool(prefixes_for(user, Perm.GATE, STAFF_ROLES))


def require_staff(user: Requester, region_code: str) -> None:
    if not is_staff_for(user, region_code):
        raise Forbidden(_("Only community staff of this region may do this."))


def staff_scope(queryset: QuerySet[Any], user: Requester, region_field: str) -> QuerySet[Any]:
    """Rows in regions where the user is staff; all of them for an administrator."""
    if has_global(user, Perm.GATE):
        return queryset
    return scope(queryset, user, Perm.GATE, region_field=region_field, roles=STAFF_ROLES)
