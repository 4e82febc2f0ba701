"""Core endpoints: health, me, regions, departments, people, tokens, audit, inbox, channels."""

# No `from __future__ import annotations` here: ninja builds its query-parameter models from
# these signatures, and a string annotation such as "Query[PeopleFilter]" under @paginate
# leaves pydantic with an undefined `Query` (every GET /people and /audit failed with a 500).

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.pagination import paginate

import shequ
from shequ.core import schemas as s
from shequ.core.inputs import Id
from shequ.core.models import (
    ApiToken,
    AuditEvent,
    Channel,
    Department,
    InboxMessage,
    Person,
    Region,
)
from shequ.core.models.regions import prefix_of_code
from shequ.core.pagination import Pages
from shequ.core.permissions import Perm, require, scope, visible_regions
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.services import people, regions, tokens
from shequ.core.services.notify import deliver
from shequ.core.transports.base import Message
from shequ.core.types import User, user_of

router = Router()


class PageOf:
    """A queryset whose rows a service converts only for the page actually returned.

    ``paginate`` slices what a view returns and counts it; a list would load and convert every
    row first, so a list whose rows are not the models themselves (a person's record is what
    ``people.masked`` lets the caller see) returns ``PageOf(queryset, converter)`` instead.
    """

    def __init__(self, queryset: QuerySet[Any], convert: Callable[[Any], Any]) -> None:
        self.queryset = queryset
        self.convert = convert

    def all(self) -> QuerySet[Any]:
        return self.queryset.all()

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index: slice) -> list[Any]:
        return [self.convert(row) for row in self.queryset[index]]


@router.get("/health", auth=None, response={200: s.HealthOut, 503: s.HealthOut}, tags=["system"])
def health(request: HttpRequest) -> tuple[int, dict[str, str]]:
    """Liveness and readiness: the database answers and the data directory is writable."""
    result = {"status": "ok", "database": "ok", "data_dir": "ok", "version": shequ.__version__}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready"
        result.update(status="error", database=f"error: {type(exc).__name__}")
    try:
        # A file of its own per check: concurrent checks must not delete each other's probe.
        with tempfile.NamedTemporaryFile(dir=Path(settings.DATA_DIR), prefix=".health-") as fh:
            fh.write(b"ok")
            fh.flush()
    except OSError as exc:
        result.update(status="error", data_dir=f"error: {exc.strerror}")
    return (200 if result["status"] == "ok" else 503), result


@router.get("/me", response={200: s.MeOut, **errors(READ)}, tags=["system"])
def me(request: HttpRequest) -> User:
    return user_of(request)


@router.get("/regions", response={200: list[s.RegionOut], **errors(READ)}, tags=["regions"])
@paginate(Pages, page_size=100)
def list_regions(request: HttpRequest, level: str | None = None) -> QuerySet[Region]:
    qs = visible_regions(request.user).select_related("parent")
    if level:
        qs = qs.filter(level=level)
    return qs


@router.post("/regions", response={201: s.RegionOut, **errors(WRITE)}, tags=["regions"])
def create_region(request: HttpRequest, payload: s.RegionIn) -> tuple[int, Region]:
    return 201, regions.create_region(request.user, **payload.dict())


@router.get("/regions/{code}", response={200: s.RegionOut, **errors(READ)}, tags=["regions"])
def get_region(request: HttpRequest, code: str) -> Region:
    return get_object_or_404(visible_regions(request.user), code=code)


@router.get("/departments", response={200: list[s.DepartmentOut], **errors(READ)}, tags=["regions"])
@paginate(Pages, page_size=100)
def list_departments(request: HttpRequest) -> QuerySet[Department]:
    qs = Department.objects.filter(region__in=visible_regions(request.user))
    return qs.select_related("region")


@router.post("/departments", response={201: s.DepartmentOut, **errors(WRITE)}, tags=["regions"])
def create_department(request: HttpRequest, payload: s.DepartmentIn) -> tuple[int, Department]:
    return 201, regions.create_department(request.user, **payload.dict())


class PeopleFilter(Schema):
    region_code: str | None = None


@router.get("/people", response={200: list[s.PersonOut], **errors(READ)}, tags=["people"])
@paginate(Pages, page_size=50)
def list_people(request: HttpRequest, filters: Query[PeopleFilter]) -> PageOf:
    qs = scope(Person.objects.select_related("region"), request.user, Perm.VIEW_PEOPLE)
    if filters.region_code:
        qs = qs.filter(region__code__startswith=prefix_of_code(filters.region_code))
    return PageOf(qs, people.masked)


@router.post("/people", response={201: s.PersonOut, **errors(WRITE)}, tags=["people"])
def create_person(request: HttpRequest, payload: s.PersonIn) -> tuple[int, people.PersonRecord]:
    data = payload.dict()
    region = regions.get_region(data.pop("region_code"))
    person = people.create_person(request.user, region, request=request, **data)
    return 201, people.masked(person)


@router.post(
    "/people/{person_id}/reveal", response={200: s.PersonOut, **errors(WRITE)}, tags=["people"]
)
def reveal_person(request: HttpRequest, person_id: Id, payload: s.RevealIn) -> people.PersonRecord:
    """Clear values for an authorised user; the access is audited with its reason."""
    person = get_object_or_404(
        scope(Person.objects.select_related("region"), request.user, Perm.VIEW_PEOPLE),
        pk=person_id,
    )
    return people.reveal(request.user, person, reason=payload.reason, request=request)


@router.get("/tokens", response={200: list[s.TokenOut], **errors(READ)}, tags=["tokens"])
def list_tokens(request: HttpRequest) -> Any:
    return ApiToken.objects.filter(user=request.user)  # type: ignore[misc]


@router.post("/tokens", response={201: s.TokenCreated, **errors(WRITE)}, tags=["tokens"])
def create_token(request: HttpRequest, payload: s.TokenIn) -> tuple[int, dict[str, Any]]:
    token, raw = tokens.issue(user_of(request), payload.name, days=payload.days)
    return 201, {**s.TokenOut.from_orm(token).dict(), "token": raw}


@router.delete("/tokens/{token_id}", response={200: s.TokenOut, **errors(WRITE)}, tags=["tokens"])
def revoke_token(request: HttpRequest, token_id: Id) -> ApiToken:
    return tokens.revoke(user_of(request), token_id)


class AuditFilter(Schema):
    action: str | None = None
    actor: str | None = None
    region_code: str | None = None
    object_type: str | None = None


@router.get("/audit", response={200: list[s.AuditOut], **errors(READ)}, tags=["audit"])
@paginate(Pages, page_size=100)
def list_audit(request: HttpRequest, filters: Query[AuditFilter]) -> QuerySet[AuditEvent]:
    from shequ.core.services.audit import search

    return search(user_of(request), **filters.dict())


@router.get("/inbox", response={200: list[s.InboxOut], **errors(READ)}, tags=["inbox"])
@paginate(Pages, page_size=50)
def list_inbox(request: HttpRequest, unread: bool = False) -> Any:
    qs = InboxMessage.objects.filter(user=request.user)  # type: ignore[misc]
    return qs.filter(read_at__isnull=True) if unread else qs


@router.post(
    "/inbox/{message_id}/read", response={200: s.InboxOut, **errors(WRITE)}, tags=["inbox"]
)
def mark_read(request: HttpRequest, message_id: Id) -> InboxMessage:
    message = get_object_or_404(InboxMessage, pk=message_id, user=request.user)
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return message


@router.get("/channels", response={200: list[s.ChannelOut], **errors(READ)}, tags=["notifications"])
def list_channels(request: HttpRequest) -> QuerySet[Channel]:
    qs = Channel.objects.filter(owner__isnull=True).select_related("region")
    return scope(qs, request.user, Perm.MANAGE_CHANNELS)


@router.post("/channels", response={201: s.ChannelOut, **errors(WRITE)}, tags=["notifications"])
def create_channel(request: HttpRequest, payload: s.ChannelIn) -> tuple[int, Channel]:
    return 201, regions.create_channel(request.user, **payload.dict())


@router.post(
    "/channels/{channel_id}/test",
    response={200: s.DeliveryOut, **errors(WRITE)},
    tags=["notifications"],
)
def test_channel(request: HttpRequest, channel_id: Id) -> Any:
    channel = get_object_or_404(
        scope(
            Channel.objects.filter(owner__isnull=True).select_related("region"),
            request.user,
            Perm.MANAGE_CHANNELS,
        ),
        pk=channel_id,
    )
    require(request.user, Perm.MANAGE_CHANNELS, channel.region)
    message = Message(
        title="shequ test", body=f"Test from {request.user}", region_code=channel.region.code
    )
    return deliver(channel, message)
