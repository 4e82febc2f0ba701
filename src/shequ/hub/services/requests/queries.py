"""The lists of requests and grants each user sees, and a grant's state."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from shequ.core.types import User
from shequ.hub.models import DataRequest, Dataset, Grant
from shequ.hub.services.requests.rules import active, approvable, department_ids, is_approver

# --------------------------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------------------------


def _requests() -> QuerySet[DataRequest]:
    return DataRequest.objects.select_related(
        "dataset", "dataset__region", "requester", "department", "decided_by"
    )


def my_requests(user: User) -> QuerySet[DataRequest]:
    """The user's own requests and those made for their departments, newest first."""
    if not active(user):
        return DataRequest.objects.none()
    departments = department_ids(user)
    return _requests().filter(Q(requester=user) | Q(department__in=departments))


def awaiting(user: User) -> QuerySet[DataRequest]:
    """Pending requests the user may decide (never their own), the most urgent first."""
    if not active(user):
        return DataRequest.objects.none()
    return (
        _requests()
        .filter(approvable(user), status=DataRequest.Status.PENDING)
        .exclude(requester=user)
        .order_by("due_at", "created", "id")
    )


def visible_requests(user: User) -> QuerySet[DataRequest]:
    """Every request the user may open: their own, their departments', those they decide."""
    if not active(user):
        return DataRequest.objects.none()
    departments = department_ids(user)
    return _requests().filter(Q(requester=user) | Q(department__in=departments) | approvable(user))


def grants_of(user: User, dataset: Dataset) -> QuerySet[Grant]:
    """Issued grants of dataset the user may see: all for approvers, else their own.

    Each carries its revocation (``grant.revocation``) when there is one.
    """
    qs = Grant.objects.filter(dataset=dataset, kind=Grant.Kind.ISSUE).select_related(
        "grantee",
        "grantee_department",
        "issued_by",
        "request",
        "revocation",
        "revocation__issued_by",
    )
    if is_approver(user, dataset):
        return qs
    if not active(user):
        return qs.none()
    return qs.filter(Q(grantee=user) | Q(grantee_department__in=department_ids(user)))


def revocation_of(grant: Grant) -> Grant | None:
    try:
        return grant.revocation  # type: ignore[no-any-return]
    except Grant.DoesNotExist:
        return None


def grant_state(grant: Grant, now: datetime | None = None) -> str:
    """``active``, ``scheduled`` (starts later), ``expired`` or ``revoked``."""
    now = now or timezone.now()
    if revocation_of(grant) is not None:
        return "revoked"
    if grant.valid_until is not None and grant.valid_until <= now:
        return "expired"
    if grant.valid_from > now:
        return "scheduled"
    return "active"


def is_overdue(request: DataRequest, now: datetime | None = None) -> bool:
    return (
        request.status == DataRequest.Status.PENDING
        and request.due_at is not None
        and request.due_at < (now or timezone.now())
    )
