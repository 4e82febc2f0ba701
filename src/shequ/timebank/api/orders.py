"""Orders: my orders as a volunteer, hand back, check in and out, confirm, object, no-show,
rate, thank.

No ``from __future__ import annotations``: django-ninja reads the annotations."""

from datetime import datetime

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema

from shequ.core.inputs import Id
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import user_of
from shequ.timebank.api.common import router
from shequ.timebank.api.schemas import HelpOrderOut, HelpRatingOut, HelpReasonIn
from shequ.timebank.models import Order, Rating, ThankYou
from shequ.timebank.services import access, orders, ratings


class HelpCheckOutIn(Schema):
    minutes: int | None = Field(None, ge=1, le=720, description="default: the time checked in")


class HelpConfirmIn(Schema):
    minutes: int | None = Field(None, ge=1, le=720, description="staff only: settle other minutes")
    note: str = Field("", max_length=300)


class HelpRatingIn(Schema):
    score: int = Field(..., ge=1, le=5)
    text: str = Field("", max_length=500)


@router.get("/orders", response={200: list[HelpOrderOut], **errors(READ)}, summary="My orders")
def my_orders(request: HttpRequest) -> QuerySet[Order]:
    mine = access.memberships(user_of(request))
    return (
        Order.objects.filter(volunteer__in=mine)
        .select_related("volunteer__person", "transfer")
        .order_by("-taken_at", "-id")[:200]
    )


def _order(request: HttpRequest, order_id: int) -> Order:
    return access.get_order(user_of(request), order_id)


@router.post("/orders/{order_id}/hand-back", response={200: HelpOrderOut, **errors(WRITE)})
def hand_back(request: HttpRequest, order_id: Id, payload: HelpReasonIn) -> Order:
    """Give the order back before its service starts; the requester is told."""
    return orders.hand_back(user_of(request), _order(request, order_id), reason=payload.reason)


@router.post("/orders/{order_id}/check-in", response={200: HelpOrderOut, **errors(WRITE)})
def check_in(request: HttpRequest, order_id: Id) -> Order:
    return orders.check_in(user_of(request), _order(request, order_id))


@router.post("/orders/{order_id}/check-out", response={200: HelpOrderOut, **errors(WRITE)})
def check_out(request: HttpRequest, order_id: Id, payload: HelpCheckOutIn) -> Order:
    return orders.check_out(user_of(request), _order(request, order_id), minutes=payload.minutes)


@router.post("/orders/{order_id}/confirm", response={200: HelpOrderOut, **errors(WRITE)})
def confirm(request: HttpRequest, order_id: Id, payload: HelpConfirmIn) -> Order:
    """Confirm the service: its minutes move to the volunteer (a retry moves them once)."""
    order = _order(request, order_id)
    return orders.confirm(user_of(request), order, minutes=payload.minutes, note=payload.note)


@router.post("/orders/{order_id}/object", response={200: HelpOrderOut, **errors(WRITE)})
def object_to(request: HttpRequest, order_id: Id, payload: HelpReasonIn) -> Order:
    return orders.object_to(user_of(request), _order(request, order_id), reason=payload.reason)


@router.post("/orders/{order_id}/no-show", response={200: HelpOrderOut, **errors(WRITE)})
def no_show(request: HttpRequest, order_id: Id) -> Order:
    return orders.mark_no_show(user_of(request), _order(request, order_id))


@router.post("/orders/{order_id}/rating", response={201: HelpRatingOut, **errors(WRITE)})
def rate(request: HttpRequest, order_id: Id, payload: HelpRatingIn) -> tuple[int, Rating]:
    made = ratings.rate(
        user_of(request), _order(request, order_id), score=payload.score, text=payload.text
    )
    return 201, made


class HelpThanksIn(Schema):
    text: str = Field(..., min_length=1, max_length=300)


class HelpThanksOut(Schema):
    order_id: int
    request_id: int
    text: str
    at: datetime

    @staticmethod
    def resolve_request_id(obj: ThankYou) -> int:
        return obj.order.request_id


@router.post("/orders/{order_id}/thanks", response={201: HelpThanksOut, **errors(WRITE)})
def thank(request: HttpRequest, order_id: Id, payload: HelpThanksIn) -> tuple[int, ThankYou]:
    """A thank-you note to the volunteer (the requester side; a retry returns the first)."""
    return 201, ratings.thank(user_of(request), _order(request, order_id), text=payload.text)


@router.get("/thanks", response={200: list[HelpThanksOut], **errors(READ)})
def my_thanks(request: HttpRequest) -> list[ThankYou]:
    """Thank-you notes to me as a volunteer."""
    mine = [m.pk for m in access.memberships(user_of(request))]
    return ratings.thanks_for(mine)
