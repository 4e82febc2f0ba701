"""Me as a member: my hours account; the community's indicators for its staff."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Schema

from shequ.core.inputs import Id, LocalDatetime
from shequ.core.models import Person, Region
from shequ.core.permissions import Perm, scope
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import User, user_of
from shequ.timebank.api.common import router
from shequ.timebank.api.schemas import TimebankIndicatorsOut, TimebankMemberOut
from shequ.timebank.models import Member
from shequ.timebank.services import access, indicators, members
from shequ.timebank.services.errors import NotFound


@router.get(
    "/me", response={200: list[TimebankMemberOut], **errors(READ)}, summary="My memberships"
)
def me(request: HttpRequest) -> list[Member]:
    return list(access.memberships(user_of(request)).select_related("person"))


class TimebankPeriodIn(Schema):
    region: str = Field(..., pattern=r"^\d{12}$", description="community (or street) code")
    start: LocalDatetime | None = Field(None, description="default: 30 days before end")
    end: LocalDatetime | None = Field(None, description="default: now")


@router.get(
    "/indicators",
    response={200: TimebankIndicatorsOut, **errors(READ)},
    summary="Indicators of a community over a period (staff)",
)
def get_indicators(request: HttpRequest, period: Query[TimebankPeriodIn]) -> indicators.Indicators:
    region = get_object_or_404(Region, code=period.region)
    access.require_staff(user_of(request), region)
    end = period.end or timezone.now()
    start = period.start or end - timedelta(days=30)
    return indicators.compute(region, start, end)


class TimebankMemberIn(Schema):
    person_id: Id
    region: str | None = Field(None, pattern=r"^\d{12}$", description="default: the person's")
    username: str | None = Field(None, max_length=150, description="the member's own login")
    carers: list[str] = Field(default_factory=list, max_length=5, description="family logins")
    volunteer: bool = False
    requester: bool = True
    skills: list[str] = Field(default_factory=list, max_length=9)
    languages: list[str] = Field(default_factory=list, max_length=8, description="普通话, 上海话…")
    availability: dict[str, list[str]] = Field(
        default_factory=dict, description='weekday (0 Monday) -> ["08:00-12:00", ...]'
    )
    estate: str = Field("", max_length=100)
    building: str = Field("", max_length=50)
    reach: str = Field("community", description="building, estate or community")


def _login(name: str, field: str) -> User:
    found = get_user_model().objects.filter(username=name, is_active=True).first()
    if found is None:
        raise NotFound(f"No login {name!r}.", fields={field: [f"No login {name!r}."]})
    return found


@router.post(
    "/members", response={201: TimebankMemberOut, **errors(WRITE)}, summary="Register (staff)"
)
def register(request: HttpRequest, payload: TimebankMemberIn) -> tuple[int, Member]:
    actor = user_of(request)
    person = (
        scope(Person.objects.select_related("region"), actor, Perm.VIEW_PEOPLE)
        .filter(pk=payload.person_id)
        .first()
    )
    if person is None:
        raise NotFound("No such person you may see.", fields={"person_id": ["Not found."]})
    region = get_object_or_404(Region, code=payload.region) if payload.region else None
    user = _login(payload.username, "username") if payload.username else None
    carers = [_login(name, "carers") for name in payload.carers]
    with transaction.atomic():
        member = members.register(
            actor,
            person,
            region=region,
            user=user,
            volunteer=payload.volunteer,
            requester=payload.requester,
            skills=payload.skills,
            availability=payload.availability,
            languages=payload.languages,
            reach=payload.reach,
            estate=payload.estate,
            building=payload.building,
            request=request,
        )
        member.carers.add(*carers)
    return 201, member


@router.get(
    "/members", response={200: list[TimebankMemberOut], **errors(READ)}, summary="Members (staff)"
)
def list_members(request: HttpRequest) -> list[Member]:
    regions = access.staff_regions(user_of(request))
    found = Member.objects.filter(region__in=regions).select_related("region", "account", "person")
    return list(found.order_by("region__code", "id")[:1000])
