"""Recurring requests: post a series (one request per occurrence), read it, take it whole
(all or nothing), cancel what has not started."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Schema

from shequ.core.inputs import Id, LocalDatetime, PositiveInt
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import user_of
from shequ.timebank.api.common import router
from shequ.timebank.api.requests import beneficiary_for
from shequ.timebank.api.schemas import HelpOrderOut, HelpReasonIn, HelpRequestOut
from shequ.timebank.models import HelpRequest, Order, Series
from shequ.timebank.services import series as series_service


class SeriesIn(Schema):
    beneficiary_id: Id | None = Field(None, description="default: your own membership")
    category: str = Field(..., max_length=20)
    description: str = Field(..., min_length=1, max_length=1000)
    first_starts_at: LocalDatetime
    window_minutes: PositiveInt = Field(..., le=24 * 60, description="each occurrence's window")
    every_days: PositiveInt = Field(1, le=7)
    count: PositiveInt = Field(..., le=31, description="occurrences, 2 to 31")
    estimated_minutes: PositiveInt = Field(..., le=720)
    urgency: str = Field("normal", max_length=10)
    estate: str = Field("", max_length=100)
    building: str = Field("", max_length=50)
    address: str = Field("", max_length=200, description="exact; shown only to the volunteer")
    key: str | None = Field(None, max_length=100, description="repeat it to retry safely")


class SeriesOut(Schema):
    id: int
    region_code: str
    status: str
    first_starts_at: datetime
    window_minutes: int
    every_days: int
    count: int
    occurrences: list[HelpRequestOut]

    @staticmethod
    def resolve_region_code(obj: Series) -> str:
        return obj.region.code

    @staticmethod
    def resolve_occurrences(obj: Series) -> list[HelpRequest]:
        return list(
            obj.occurrences.select_related("region", "beneficiary__person").order_by("starts_at")
        )


@router.post(
    "/series", response={201: SeriesOut, **errors(WRITE)}, summary="Post a recurring request"
)
def post_series(request: HttpRequest, payload: SeriesIn) -> tuple[int, Series]:
    beneficiary = beneficiary_for(request, payload.beneficiary_id)
    fields = payload.dict(exclude={"beneficiary_id"})
    return 201, series_service.post(user_of(request), beneficiary, **fields)


@router.get(
    "/series/{series_id}", response={200: SeriesOut, **errors(READ)}, summary="A recurring request"
)
def get_series(request: HttpRequest, series_id: Id) -> Series:
    return series_service.get(user_of(request), series_id)


@router.post(
    "/series/{series_id}/take",
    response={201: list[HelpOrderOut], **errors(WRITE)},
    summary="Take every upcoming occurrence at once (all or nothing)",
)
def take_series(request: HttpRequest, series_id: Id) -> tuple[int, list[Order]]:
    found = series_service.get(user_of(request), series_id)
    return 201, series_service.take(user_of(request), found)


@router.post(
    "/series/{series_id}/cancel",
    response={200: SeriesOut, **errors(WRITE)},
    summary="Cancel every occurrence not yet started",
)
def cancel_series(request: HttpRequest, series_id: Id, payload: HelpReasonIn) -> Series:
    found = series_service.get(user_of(request), series_id)
    return series_service.cancel(user_of(request), found, reason=payload.reason)
