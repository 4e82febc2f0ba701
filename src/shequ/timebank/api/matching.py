"""Matching: open requests ranked for me (a volunteer), and the staff's report of requests
nobody matches, with the reason."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Schema

from shequ.core.inputs import PositiveInt
from shequ.core.schemas import READ, errors
from shequ.core.types import user_of
from shequ.timebank.api.common import router
from shequ.timebank.api.schemas import HelpRequestOut
from shequ.timebank.models import HelpRequest
from shequ.timebank.services import access, matching


class UnmatchedOut(Schema):
    request_id: int
    region_code: str
    category: str
    starts_at: datetime
    ends_at: datetime
    reason: str = Field(..., description="no_skill, not_available, too_far or overloaded")
    why: str
    skilled: int = Field(..., description="volunteers with the skill")
    available: int = Field(..., description="... of them available in the window")
    reachable: int = Field(..., description="... of them within their reach")


class UnmatchedFilter(Schema):
    region: str | None = Field(None, pattern=r"^\d{12}$", description="one community you staff")


@router.get(
    "/unmatched",
    response={200: list[UnmatchedOut], **errors(READ)},
    summary="Open requests no volunteer matches, and why (staff)",
)
def unmatched(request: HttpRequest, filters: Query[UnmatchedFilter]) -> list[UnmatchedOut]:
    regions = matching.staff_report_regions(user_of(request), filters.region)
    return [
        UnmatchedOut(
            request_id=u.request.pk,
            region_code=u.request.region.code,
            category=u.request.category,
            starts_at=u.request.starts_at,
            ends_at=u.request.ends_at,
            reason=u.reason,
            why=u.why,
            skilled=u.skilled,
            available=u.available,
            reachable=u.reachable,
        )
        for u in matching.unmatched(regions)
    ]


class ForMeFilter(Schema):
    limit: PositiveInt = Field(50, le=200)


@router.get(
    "/requests-for-me",
    response={200: list[HelpRequestOut], **errors(READ)},
    summary="Open requests ranked for me (a volunteer): the ones I fit first",
)
def for_me(request: HttpRequest, filters: Query[ForMeFilter]) -> list[HelpRequest]:
    volunteer = access.member_of(user_of(request), volunteer=True)
    return matching.ranked_requests(volunteer, limit=filters.limit)
