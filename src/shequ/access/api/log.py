"""Staff: the access log of their regions, filtered and paginated; every read audited."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Schema
from ninja.pagination import paginate

from shequ.access.api.common import router
from shequ.access.services import log
from shequ.core.inputs import Id, LocalDatetime
from shequ.core.pagination import Pages
from shequ.core.schemas import READ, errors
from shequ.core.types import user_of


class AccessEventOut(Schema):
    id: int
    region: str = Field(..., alias="region.code")
    point_id: int
    door: str = Field(..., alias="point.name")
    estate: str = Field(..., alias="point.estate")
    device_id: int
    event_id: str
    method: str
    at: datetime
    who: str = Field(..., alias="subject_masked", description="masked name or visitor")
    allow: bool
    colour: str
    display: str
    reasons: list[str]
    offline: bool


class AccessLogFilter(Schema):
    point_id: Id | None = Field(None, description="one door (access point)")
    since: LocalDatetime | None = Field(None, description="from this time (inclusive)")
    until: LocalDatetime | None = Field(None, description="before this time")
    decision: Literal["allowed", "refused"] | None = None


@router.get(
    "/log",
    response={200: list[AccessEventOut], **errors(READ)},
    summary="The access log of the caller's regions, newest first (each read is audited)",
)
@paginate(Pages, page_size=100)
def access_log(request: HttpRequest, filters: Query[AccessLogFilter]) -> Any:
    allow = None if filters.decision is None else filters.decision == "allowed"
    wanted = log.LogFilter(filters.point_id, filters.since, filters.until, allow)
    return log.search(user_of(request), wanted, request=request).select_related("point", "region")
