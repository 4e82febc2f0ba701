"""Me as a member: my hours account; the community's indicators for its staff."""

from datetime import timedelta

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Schema

from shequ.core.inputs import LocalDatetime
from shequ.core.models import Region
from shequ.core.schemas import READ, errors
from shequ.core.types import user_of
from shequ.timebank.api.common import router
from shequ.timebank.api.schemas import TimebankIndicatorsOut, TimebankMemberOut
from shequ.timebank.models import Member
from shequ.timebank.services import access, indicators


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
