"""The access log: staff read it (every read audited) and the worker purges it when old."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.access.models import AccessEvent, AccessPoint
from shequ.access.services.access import require_staff, staff_scope
from shequ.core.errors import Invalid, NotFound
from shequ.core.services.audit import record
from shequ.core.types import User

PURGE_BATCH = 5_000


def events_for(user: User) -> QuerySet[AccessEvent]:
    return staff_scope(AccessEvent.objects.all(), user, "region").select_related(
        "point", "device", "region"
    )


def view(
    actor: User,
    *,
    point: AccessPoint | None = None,
    limit: int = 100,
    request: HttpRequest | None = None,
) -> list[AccessEvent]:
    """The latest events the actor may see (of one point, when given); the read is audited."""
    events = events_for(actor)
    if point is not None:
        require_staff(actor, point.region.code)
        events = events.filter(point=point)
    rows = list(events.order_by("-at")[: max(1, min(limit, 500))])
    record(
        "access.log.view",
        actor=actor,
        obj=point,
        request=request,
        rows=len(rows),
    )
    return rows


@dataclass(frozen=True)
class LogFilter:
    point_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    allow: bool | None = None


def search(
    actor: User, filters: LogFilter, *, request: HttpRequest | None = None
) -> QuerySet[AccessEvent]:
    """The events of the actor's regions matching ``filters``, newest first; audited.

    The audit records who looked and with which filters (the page or slice they read is
    decided by the caller); a door outside the actor's regions is not found.
    """
    if filters.since is not None and filters.until is not None and filters.until <= filters.since:
        raise Invalid(_("The end must be after the start."), fields={"until": [_("After since.")]})
    events = events_for(actor)
    point = None
    if filters.point_id is not None:
        point = (
            staff_scope(AccessPoint.objects.all(), actor, "region")
            .filter(pk=filters.point_id)
            .first()
        )
        if point is None:
            raise NotFound(_("No such access point."))
        events = events.filter(point=point)
    if filters.since is not None:
        events = events.filter(at__gte=filters.since)
    if filters.until is not None:
        events = events.filter(at__lt=filters.until)
    if filters.allow is not None:
        events = events.filter(allow=filters.allow)
    record(
        "access.log.view",
        actor=actor,
        obj=point,
        request=request,
        what="search",
        since=filters.since.isoformat() if filters.since else "",
        until=filters.until.isoformat() if filters.until else "",
        allow="" if filters.allow is None else filters.allow,
    )
    return events.order_by("-at", "-id")


def audit_view(actor: User, what: str, obj: object, rows: int) -> None:
    """Audit a page that shows log rows another way (an alert's surroundings)."""
    record("access.log.view", actor=actor, obj=obj, rows=rows, what=what)  # type: ignore[arg-type]


def purge(now: object | None = None) -> int:
    """Delete events older than ``SHEQU_ACCESS_LOG_DAYS`` (in batches); returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=int(settings.ACCESS_LOG_DAYS))  # type: ignore[operator]
    deleted = 0
    while True:
        ids = list(
            AccessEvent.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:PURGE_BATCH]
        )
        if not ids:
            return deleted
        deleted += AccessEvent.objects.filter(pk__in=ids).delete()[0]
