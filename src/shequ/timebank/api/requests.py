"""Help requests: list what you may see, post (for yourself or on behalf), cancel, take,
and the exact address for the volunteer who took it."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Schema

from shequ.core.inputs import Id, LocalDatetime
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import user_of
from shequ.timebank.api.common import router
from shequ.timebank.api.schemas import (
    HelpAddressOut,
    HelpOrderOut,
    HelpReasonIn,
    HelpRequestDetailOut,
    HelpRequestOut,
)
from shequ.timebank.models import HelpRequest, Member, Order
from shequ.timebank.services import access, orders, requests
from shequ.timebank.services.errors import NotFound

LIST_LIMIT = 200


class HelpRequestIn(Schema):
    beneficiary_id: Id | None = Field(None, description="default: your own membership")
    category: str = Field(..., max_length=20)
    description: str = Field(..., min_length=1, max_length=1000)
    starts_at: LocalDatetime
    ends_at: LocalDatetime
    estimated_minutes: int = Field(..., ge=10, le=720)
    volunteers_needed: int = Field(1, ge=1, le=20)
    urgency: str = Field("normal", max_length=10)
    estate: str = Field("", max_length=100)
    building: str = Field("", max_length=50)
    address: str = Field("", max_length=200, description="exact; shown only to the volunteer")
    key: str | None = Field(None, max_length=100, description="repeat it to retry safely")


class HelpListFilter(Schema):
    status: HelpRequest.Status | None = None
    category: str | None = Field(None, max_length=20)
    mine: bool = Field(False, description="only those posted by or for you")


def beneficiary_for(request: HttpRequest, beneficiary_id: int | None) -> Member:
    """Whom a request (or a series) is posted for: the asker, or a member they may act for."""
    user = user_of(request)
    if beneficiary_id is None:
        return access.member_of(user)
    member = Member.objects.select_related("region", "account").filter(pk=beneficiary_id).first()
    if member is None or not requests.may_act_for(user, member):
        raise NotFound(
            f"No member {beneficiary_id} you may post for.",
            fields={"beneficiary_id": ["Not a member you may post for."]},
        )
    return member


@router.get(
    "/requests", response={200: list[HelpRequestOut], **errors(READ)}, summary="Help requests"
)
def list_requests(request: HttpRequest, filters: Query[HelpListFilter]) -> QuerySet[HelpRequest]:
    found = access.visible_requests(user_of(request))
    if filters.status:
        found = found.filter(status=filters.status)
    if filters.category:
        found = found.filter(category=filters.category)
    if filters.mine:
        user = user_of(request)
        found = found.filter(posted_by=user) | found.filter(beneficiary__user=user)
    return found.order_by("-created", "-id")[:LIST_LIMIT]


@router.post(
    "/requests", response={201: HelpRequestOut, **errors(WRITE)}, summary="Post a help request"
)
def post_request(request: HttpRequest, payload: HelpRequestIn) -> tuple[int, HelpRequest]:
    beneficiary = beneficiary_for(request, payload.beneficiary_id)
    fields = payload.dict(exclude={"beneficiary_id"})
    return 201, requests.post(user_of(request), beneficiary, request=request, **fields)


@router.get(
    "/requests/{request_id}",
    response={200: HelpRequestDetailOut, **errors(READ)},
    summary="A help request, its orders and its history",
)
def get_request(request: HttpRequest, request_id: Id) -> HelpRequest:
    return access.get_request(user_of(request), request_id)


@router.post(
    "/requests/{request_id}/cancel",
    response={200: HelpRequestOut, **errors(WRITE)},
    summary="Cancel a request nobody is serving yet",
)
def cancel(request: HttpRequest, request_id: Id, payload: HelpReasonIn) -> HelpRequest:
    req = access.get_request(user_of(request), request_id)
    return requests.cancel(user_of(request), req, reason=payload.reason)


@router.post(
    "/requests/{request_id}/take",
    response={201: HelpOrderOut, **errors(WRITE)},
    summary="Take the order (接单): the first free slot",
)
def take(request: HttpRequest, request_id: Id) -> tuple[int, Order]:
    req = access.get_request(user_of(request), request_id)
    return 201, orders.take(user_of(request), req)


@router.get(
    "/requests/{request_id}/address",
    response={200: HelpAddressOut, **errors(READ)},
    summary="The exact address (the volunteer holding the order; audited)",
)
def address(request: HttpRequest, request_id: Id) -> dict[str, str]:
    req = access.get_request(user_of(request), request_id)
    return {"address": requests.reveal_address(user_of(request), req, request=request)}
