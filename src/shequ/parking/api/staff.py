"""Community staff endpoints: estates, reviews, waiting lists, passes, payments, holidays."""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Schema

from shequ.core.inputs import Day, Id, Int, NonNegativeInt
from shequ.core.models.regions import covering_codes
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.services.regions import get_region
from shequ.core.types import user_of
from shequ.parking.api.common import router
from shequ.parking.api.schemas import (
    ApplicationOut,
    ConfirmedOut,
    EstateOut,
    HolidayOut,
    PassOut,
    RefundOut,
    WaitingOut,
)
from shequ.parking.models import (
    Application,
    Estate,
    Order,
    Pass,
    PublicHoliday,
    Refund,
    WaitingListEntry,
)
from shequ.parking.services import applications, estates, passes, payments, refunds
from shequ.parking.services import staff as staff_queues
from shequ.parking.services import waiting as waiting_svc
from shequ.parking.services.access import staff_scope
from shequ.parking.services.passes import PASS_RELATED

LIMIT = 500  # rows a list returns at most


class EstateIn(Schema):
    region: str = Field(..., description="12-digit code of the estate's community")
    code: str = Field(..., min_length=1, max_length=32)
    name: str = Field(..., min_length=1, max_length=100)
    slug: str = ""
    lat: float
    lon: float
    shortfall: NonNegativeInt = 0


@router.post("/estates", response={201: EstateOut, **errors(WRITE)}, summary="Register an estate")
def estate_create(request: HttpRequest, payload: EstateIn) -> tuple[int, Estate]:
    region = get_region(payload.region, "region")
    fields = payload.dict(exclude={"region"})
    return 201, estates.create_estate(user_of(request), region, **fields)


@router.get(
    "/estates", response={200: list[EstateOut], **errors(READ)}, summary="Estates in my regions"
)
def estate_list(request: HttpRequest) -> QuerySet[Estate]:
    return staff_scope(Estate.objects.select_related("region"), request.user, "region")


@router.get(
    "/applications",
    response={200: list[ApplicationOut], **errors(READ)},
    summary="Applications in my regions (default: those to review)",
)
def application_list(request: HttpRequest, status: str = "in_review") -> QuerySet[Application]:
    return staff_queues.applications(request.user, [status], limit=LIMIT)


class DecideIn(Schema):
    approve: bool
    note: str = ""


@router.post(
    "/applications/{app_id}/decide",
    response={200: ApplicationOut, **errors(WRITE)},
    summary="Approve or reject after review",
)
def application_decide(request: HttpRequest, app_id: Id, payload: DecideIn) -> Application:
    app = get_object_or_404(Application.objects.select_related("estate__region"), pk=app_id)
    return applications.decide(user_of(request), app, approve=payload.approve, note=payload.note)


@router.get(
    "/waiting-list",
    response={200: list[WaitingOut], **errors(READ)},
    summary="A garage plan's waiting list",
)
def waiting_list(request: HttpRequest, garage: Id, plan_code: str) -> QuerySet[WaitingListEntry]:
    return staff_queues.waiting(request.user, garage=garage, plan_code=plan_code, limit=None)


class RankIn(Schema):
    rank: Int


def _entry(entry_id: Id) -> WaitingListEntry:
    return get_object_or_404(
        WaitingListEntry.objects.select_related("garage__region", "application"), pk=entry_id
    )


@router.post(
    "/waiting-list/{entry_id}/move",
    response={200: WaitingOut, **errors(WRITE)},
    summary="Put an entry at another rank",
)
def waiting_move(request: HttpRequest, entry_id: Id, payload: RankIn) -> WaitingListEntry:
    return waiting_svc.move(user_of(request), _entry(entry_id), payload.rank)


@router.post(
    "/waiting-list/{entry_id}/remove",
    response={200: WaitingOut, **errors(WRITE)},
    summary="Take an entry off the list",
)
def waiting_remove(request: HttpRequest, entry_id: Id) -> WaitingListEntry:
    return waiting_svc.remove(user_of(request), _entry(entry_id))


@router.get(
    "/passes", response={200: list[PassOut], **errors(READ)}, summary="Passes in my regions"
)
def pass_list(
    request: HttpRequest, garage: Id | None = None, status: str | None = None
) -> QuerySet[Pass]:
    statuses = [status] if status else None
    return staff_queues.passes(request.user, statuses, garage=garage, limit=LIMIT)


class PassReasonIn(Schema):
    reason: str = ""


def _pass(pass_id: Id) -> Pass:
    return get_object_or_404(
        Pass.objects.select_related(*PASS_RELATED, "garage__region"), pk=pass_id
    )


@router.post(
    "/passes/{pass_id}/suspend", response={200: PassOut, **errors(WRITE)}, summary="Suspend a pass"
)
def pass_suspend(request: HttpRequest, pass_id: Id, payload: PassReasonIn) -> Pass:
    return passes.set_suspended(user_of(request), _pass(pass_id), True, payload.reason)


@router.post(
    "/passes/{pass_id}/reinstate",
    response={200: PassOut, **errors(WRITE)},
    summary="Reinstate a suspended pass",
)
def pass_reinstate(request: HttpRequest, pass_id: Id) -> Pass:
    return passes.set_suspended(user_of(request), _pass(pass_id), False)


@router.post(
    "/passes/{pass_id}/staff-cancel",
    response={200: PassOut, **errors(WRITE)},
    summary="Cancel a pass for a resident",
)
def pass_cancel(request: HttpRequest, pass_id: Id, payload: PassReasonIn) -> Pass:
    return passes.cancel(user_of(request), _pass(pass_id), reason=payload.reason)


class ConfirmIn(Schema):
    reference: str = Field(..., description="receipt number or bank transfer reference")
    amount_fen: NonNegativeInt


@router.post(
    "/orders/{number}/confirm",
    response={200: ConfirmedOut, **errors(WRITE)},
    by_alias=True,
    summary="Confirm a cash or bank-transfer payment",
)
def order_confirm(request: HttpRequest, number: str, payload: ConfirmIn) -> dict[str, Any]:
    order = get_object_or_404(
        Order.objects.select_related("pass_obj__garage__region"), number=number
    )
    payment = payments.confirm_offline(
        user_of(request), order, reference=payload.reference, amount_fen=payload.amount_fen
    )
    order.refresh_from_db()
    pass_obj = Pass.objects.select_related(*PASS_RELATED).get(pk=order.pass_obj_id)
    return {"order": order.number, "status": order.status, "payment": payment.pk, "pass": pass_obj}


@router.get(
    "/refunds", response={200: list[RefundOut], **errors(READ)}, summary="Refunds in my regions"
)
def refund_list(request: HttpRequest, status: str = "requested") -> QuerySet[Refund]:
    return staff_queues.refunds(request.user, status, limit=LIMIT)


class RefundDoneIn(Schema):
    reference: str


@router.post(
    "/refunds/{refund_id}/complete",
    response={200: RefundOut, **errors(WRITE)},
    summary="The money went back",
)
def refund_complete(request: HttpRequest, refund_id: Id, payload: RefundDoneIn) -> Refund:
    refund = get_object_or_404(
        Refund.objects.select_related("order__pass_obj__garage__region"), pk=refund_id
    )
    return refunds.complete_refund(user_of(request), refund, payload.reference)


class HolidayIn(Schema):
    day: Day
    name: str = ""
    region: str | None = Field(None, description="12-digit code; none: nationwide")


@router.get(
    "/holidays",
    response={200: list[HolidayOut], **errors(READ)},
    summary="Public holidays that hold in a region",
)
def holiday_list(request: HttpRequest, region: str) -> QuerySet[PublicHoliday]:
    return PublicHoliday.objects.filter(
        Q(region__isnull=True) | Q(region__code__in=covering_codes(region))
    ).select_related("region")


@router.post(
    "/holidays", response={201: HolidayOut, **errors(WRITE)}, summary="Add a public holiday"
)
def holiday_add(request: HttpRequest, payload: HolidayIn) -> tuple[int, PublicHoliday]:
    region = get_region(payload.region, "region") if payload.region else None
    holiday = estates.add_holiday(
        user_of(request), day=payload.day, name=payload.name, region=region
    )
    return 201, holiday


@router.delete(
    "/holidays/{holiday_id}",
    response={204: None, **errors(WRITE)},
    summary="Remove a public holiday",
)
def holiday_remove(request: HttpRequest, holiday_id: Id) -> tuple[int, None]:
    holiday = get_object_or_404(PublicHoliday.objects.select_related("region"), pk=holiday_id)
    estates.remove_holiday(user_of(request), holiday)
    return 204, None
