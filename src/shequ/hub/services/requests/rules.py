"""Who may do what with a data request or a grant, and the working-day clock."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from shequ.core.models import Membership, Role
from shequ.core.permissions import ROLE_PERMS, Perm, can, has_global, prefixes_for
from shequ.core.types import User
from shequ.hub.models import DataRequest, Dataset, Grant

APPROVING_DEPARTMENT_ROLES = (Role.DEPARTMENT_ANALYST, Role.STREET_STAFF, Role.COMMUNITY_STAFF)
MANAGING_ROLES = tuple(r for r, perms in ROLE_PERMS.items() if Perm.MANAGE_HUB in perms)


def approval_days() -> int:
    return int(settings.HUB_APPROVAL_DAYS)


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days (Monday to Friday), at the same local time."""
    moment = timezone.localtime(start)
    added = 0
    while added < days:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            added += 1
    return moment


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def end_of(day: date) -> datetime:
    """The last moment of a local day: a grant "until 30 November" works all that day."""
    return timezone.make_aware(datetime.combine(day, time.max))


# --------------------------------------------------------------------------------------------
# Who may do what
# --------------------------------------------------------------------------------------------


def active(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def department_ids(user: User, roles: Iterable[str] | None = None) -> set[int]:
    if not active(user):
        return set()
    qs = Membership.objects.filter(user=user, department__isnull=False)
    if roles is not None:
        qs = qs.filter(role__in=list(roles))
    return set(qs.values_list("department_id", flat=True))


def is_approver(user: User, dataset: Dataset) -> bool:
    """True when user may decide requests for dataset and revoke its grants (see module doc)."""
    if not active(user):
        return False
    if dataset.region is None:
        if has_global(user, Perm.MANAGE_HUB):
            return True
    elif can(user, Perm.MANAGE_HUB, dataset.region):
        return True
    return dataset.department_id is not None and dataset.department_id in department_ids(
        user, APPROVING_DEPARTMENT_ROLES
    )


def approvers(dataset: Dataset) -> list[Any]:
    """The users who may decide requests for dataset, platform-wide managers last."""
    condition = Q(is_superuser=True) | Q(memberships__role=Role.PLATFORM_ADMIN)
    if dataset.region is not None:
        covering = [r.code for r in [dataset.region, *dataset.region.ancestors()]]
        condition |= Q(memberships__role__in=MANAGING_ROLES, memberships__region__code__in=covering)
    if dataset.department_id is not None:
        condition |= Q(
            memberships__department_id=dataset.department_id,
            memberships__role__in=APPROVING_DEPARTMENT_ROLES,
        )
    users = get_user_model().objects.filter(condition, is_active=True).distinct().order_by("pk")
    found = [u for u in users if is_approver(u, dataset)]
    return sorted(found, key=lambda u: has_global(u, Perm.MANAGE_HUB))


def to_notify(dataset: Dataset, exclude: Any) -> list[Any]:
    everyone = [u for u in approvers(dataset) if u.pk != exclude.pk]
    local = [u for u in everyone if not has_global(u, Perm.MANAGE_HUB)]
    return local or everyone


def approvable(user: User) -> Q:
    """A filter on DataRequest (or on Grant) for the datasets whose requests user decides.

    "Every dataset" is a condition that matches every row, never an empty ``Q()``: OR-ed with
    another condition an empty ``Q()`` is dropped, and the platform administrator lost sight of
    the requests the awaiting list showed them.
    """
    if not active(user):
        return Q(pk__in=[])
    if has_global(user, Perm.MANAGE_HUB):
        return Q(pk__isnull=False)
    condition = Q(pk__in=[])
    for prefix in prefixes_for(user, Perm.MANAGE_HUB):
        condition |= Q(dataset__region__code__startswith=prefix)
    departments = department_ids(user, APPROVING_DEPARTMENT_ROLES)
    if departments:
        condition |= Q(dataset__department__in=departments)
    return condition


def can_decide(user: User, request: DataRequest) -> bool:
    return (
        request.status == DataRequest.Status.PENDING
        and request.requester_id != getattr(user, "pk", None)
        and is_approver(user, request.dataset)
    )


def can_withdraw(user: User, request: DataRequest) -> bool:
    return request.status == DataRequest.Status.PENDING and request.requester_id == getattr(
        user, "pk", None
    )


def can_see_request(user: User, request: DataRequest) -> bool:
    if not active(user):
        return False
    if request.requester_id == user.pk or is_approver(user, request.dataset):
        return True
    return request.department_id is not None and request.department_id in department_ids(user)


def is_grantee(user: User, grant: Grant) -> bool:
    if not active(user):
        return False
    if grant.grantee_id is not None:
        return bool(grant.grantee_id == user.pk)
    return grant.grantee_department_id in department_ids(user)


def can_revoke(user: User, grant: Grant) -> bool:
    return grant.kind == Grant.Kind.ISSUE and (
        is_approver(user, grant.dataset) or is_grantee(user, grant)
    )


def audit_region(dataset: Dataset, user: User | None = None) -> str:
    if dataset.region is not None:
        return dataset.region.code
    membership = (
        Membership.objects.filter(user=user).select_related("region").first() if user else None
    )
    return membership.region.code if membership else ""
