"""The community staff's work queues: what the staff pages list and the staff API returns.

Each queue is scoped to the regions the user is staff of (everything for a platform
administrator) and fetches what its rows show in a fixed number of queries, whatever the
number of rows: the pages and the API call the same function and differ only in their filters
and how many rows they take.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet, Sum

from shequ.core.types import Requester
from shequ.parking.models import Application, Order, Pass, Refund, Violation, WaitingListEntry
from shequ.parking.services.access import staff_scope
from shequ.parking.services.passes import PASS_RELATED
from shequ.parking.services.waiting import ACTIVE

REVIEW = (Application.Status.IN_REVIEW, Application.Status.NEEDS_PROOF)
LIMIT = 200  # rows a queue lists at once
OPEN_PASSES = (Pass.Status.ACTIVE, Pass.Status.SUSPENDED)


def counts(user: Requester) -> dict[str, int]:
    """How much waits in each queue: the staff home page's figures."""
    return {
        "review": applications(user, REVIEW, limit=None).count(),
        "orders": staff_scope(Order.objects.all(), user, "pass_obj__garage__region")
        .filter(status=Order.Status.PENDING)
        .count(),
        "refunds": refunds(user, limit=None).count(),
        "violations": violations(user, limit=None).count(),
        "waiting": waiting(user, limit=None).count(),
        "passes": passes(user, OPEN_PASSES, limit=None).count(),
    }


def applications(
    user: Requester, statuses: Sequence[str] = REVIEW, *, limit: int | None = LIMIT
) -> QuerySet[Application]:
    """Applications in these states, the longest waiting first (by state, then age)."""
    qs = (
        staff_scope(Application.objects.all(), user, "estate__region")
        .filter(status__in=statuses)
        .select_related("estate", "resident__parking_account")
        .order_by("status", "created")
    )
    return qs[:limit] if limit is not None else qs


def passes(
    user: Requester,
    statuses: Sequence[str] | None = Pass.HOLDING,
    *,
    garage: int | None = None,
    limit: int | None = LIMIT,
) -> QuerySet[Pass]:
    """Passes in these states (None: any), of one garage or all, with their plates."""
    qs = staff_scope(
        Pass.objects.select_related(*PASS_RELATED).prefetch_related("plates"),
        user,
        "garage__region",
    )
    if garage:
        qs = qs.filter(garage_id=garage)
    if statuses is not None:
        qs = qs.filter(status__in=statuses)
    return qs[:limit] if limit is not None else qs


def waiting(
    user: Requester,
    *,
    garage: int | None = None,
    plan_code: str | None = None,
    limit: int | None = LIMIT,
) -> QuerySet[WaitingListEntry]:
    """Entries still waiting or offered, by garage, plan and rank."""
    qs = (
        staff_scope(WaitingListEntry.objects.all(), user, "garage__region")
        .filter(status__in=ACTIVE)
        .select_related("garage", "application")
        .order_by("garage__code", "plan_code", "rank")
    )
    if garage:
        qs = qs.filter(garage_id=garage)
    if plan_code is not None:
        qs = qs.filter(plan_code=plan_code)
    return qs[:limit] if limit is not None else qs


def refunds(
    user: Requester, status: str = Refund.Status.REQUESTED, *, limit: int | None = LIMIT
) -> QuerySet[Refund]:
    """Refunds in this state (default: owed and not yet paid back)."""
    qs = (
        staff_scope(Refund.objects.all(), user, "order__pass_obj__garage__region")
        .filter(status=status)
        .select_related("order__pass_obj__garage")
    )
    return qs[:limit] if limit is not None else qs


def orders(user: Requester, query: str = "", *, limit: int | None = LIMIT) -> QuerySet[Any]:
    """Pending orders, oldest first; a search by number finds paid ones too, to refund them.

    Pending orders may be paid at the office whatever was started online. Each carries
    ``refunded``, the fen refunded on it so far.
    """
    qs = staff_scope(
        Order.objects.select_related("pass_obj__garage", "resident__parking_account"),
        user,
        "pass_obj__garage__region",
    )
    qs = qs.filter(number__icontains=query) if query else qs.filter(status=Order.Status.PENDING)
    qs = qs.annotate(refunded=Sum("refunds__amount_fen")).order_by("created")
    return qs[:limit] if limit is not None else qs


def violations(user: Requester, *, limit: int | None = LIMIT) -> QuerySet[Violation]:
    """Open overstays."""
    qs = (
        staff_scope(Violation.objects.all(), user, "garage__region")
        .filter(status=Violation.Status.OPEN)
        .select_related("garage")
    )
    return qs[:limit] if limit is not None else qs
