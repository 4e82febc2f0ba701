"""Community staff endpoints: estates, reviews, waiting lists, passes, payments, holidays."""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Schema

from shequ.core.inputs import Day, Id, Int, NonNegativeInt
from shequ.core.models.regions import covering_codes
from shequ.core.services.regions import get_region
from shequ.parking.api.common import PASS_RELATED, application_out, pass_out, router
from shequ.parking.api.resident import waiting_out
from shequ.parking.models import (
    Application,
    Estate,
    Order,
    Pass,
    PublicHoliday,
    Refund,
    WaitingListEntry,
)
from shequ.parking.services import applications, estates, passes, payments
from shequ.parking.services import staff as staff_queues
from shequ.parking.services import waiting as waiting_svc
from shequ.parking.services.access import staff_scope

LIMIT = 500  # rows a list returns at most


class EstateIn(Schema):
    region: str = Field(..., description="12-digit code of the estate's community")
    code: str = Field(..., min_length=1, max_length=32)
    name: str = Field(..., min_length=1, max_length=100)
    slug: str = ""
    lat: float
    lon: float
    shortfall: NonNegativeInt = 0


def _estate_out(e: Estate) -> dict[str, Any]:
    return {
        "id": e.pk,
        "code": e.code,
        "name": e.name,
        "slug": e.slug,
        "region_code": e.region.code,
        "lat": e.lat,
        "lon": e.lon,
        "shortfall": e.spaces_shortfall,
    }


@router.post("/estates", response={201: dict}, summary="Register an estate")
def estate_create(request: HttpRequest, payload: EstateIn) -> tuple[int, dict[str, Any]]:
    region = get_region(payload.region, "region")
    fields = payload.dict(exclude={"region"})
    return 201, _estate_out(estates.create_estate(request.user, region, **fields))


@router.get("/estates", summary="Estates in my regions")
def estate_list(request: HttpRequest) -> list[dict[str, Any]]:
    qs = staff_scope(Estate.objects.select_related("region"), request.user, "region")
    return [_estate_out(e) for e in qs]


@router.get("/applications", summary="Applications in my regions (default: those to review)")
def application_list(request: HttpRequest, status: str = "in_review") -> list[dict[str, Any]]:
    found = staff_queues.applications(request.user, [status], limit=LIMIT)
    return [application_out(a) for a in found]


class DecideIn(Schema):
    approve: bool
    note: str = ""


@router.post("/applications/{app_id}/decide", summary="Approve or reject after review")
def application_decide(request: HttpRequest, app_id: Id, payload: DecideIn) -> dict[str, Any]:
    app = get_object_or_404(Application.objects.select_related("estate__region"), pk=app_id)
    return application_out(
        applications.decide(request.user, app, approve=payload.approve, note=payload.note)
    )


@router.get("/waiting-list", summary="A garage plan's waiting list")
def waiting_list(request: HttpRequest, garage: Id, plan_code: str) -> list[dict[str, Any]]:
    entries = staff_queues.waiting(request.user, garage=garage, plan_code=plan_code, limit=None)
    return [waiting_out(e) for e in entries]


class RankIn(Schema):
    rank: Int


def _entry(entry_id: Id) -> WaitingListEntry:
    return get_object_or_404(
        WaitingListEntry.objects.select_related("garage__region", "application"), pk=entry_id
    )


@router.post("/waiting-list/{entry_id}/move", summary="Put an entry at another rank")
def waiting_move(request: HttpRequest, entry_id: Id, payload: RankIn) -> dict[str, Any]:
    return waiting_out(waiting_svc.move(request.user, _entry(entry_id), payload.rank))


@router.post("/waiting-list/{entry_id}/remove", summary="Take an entry off the list")
def waiting_remove(request: HttpRequest, entry_id: Id) -> dict[str, Any]:
    return waiting_out(waiting_svc.remove(request.user, _entry(entry_id)))


@router.get("/passes", summary="Passes in my regions")
def pass_list(
    request: HttpRequest, garage: Id | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    statuses = [status] if status else None
    found = staff_queues.passes(request.user, statuses, garage=garage, limit=LIMIT)
    return [pass_out(p) for p in found]


class PassReasonIn(Schema):
    reason: str = ""


def _pass(pass_id: Id) -> Pass:
    return get_object_or_404(
        Pass.objects.select_related(*PASS_RELATED, "garage__region"), pk=pass_id
    )


@router.post("/passes/{pass_id}/suspend", summary="Suspend a pass")
def pass_suspend(request: HttpRequest, pass_id: Id, payload: PassReasonIn) -> dict[str, Any]:
    return pass_out(passes.set_suspended(request.user, _pass(pass_id), True, payload.reason))


@router.post("/passes/{pass_id}/reinstate", summary="Reinstate a suspended pass")
def pass_reinstate(request: HttpRequest, pass_id: Id) -> dict[str, Any]:
    return pass_out(passes.set_suspended(request.user, _pass(pass_id), False))


@router.post("/passes/{pass_id}/staff-cancel", summary="Cancel a pass for a resident")
def pass_cancel(request: HttpRequest, pass_id: Id, payload: PassReasonIn) -> dict[str, Any]:
    return pass_out(passes.cancel(request.user, _pass(pass_id), reason=payload.reason))


class ConfirmIn(Schema):
    reference: str = Field(..., description="receipt number or bank transfer reference")
    amount_fen: NonNegativeInt


@router.post("/orders/{number}/confirm", summary="Confirm a cash or bank-transfer payment")
def order_confirm(request: HttpRequest, number: str, payload: ConfirmIn) -> dict[str, Any]:
    order = get_object_or_404(
        Order.objects.select_related("pass_obj__garage__region"), number=number
    )
    payment = payments.confirm_offline(
        request.user, order, reference=payload.reference, amount_fen=payload.amount_fen
    )
    order.refresh_from_db()
    pass_obj = Pass.objects.select_related(*PASS_RELATED).get(pk=order.pass_obj_id)
    return {
        "order": order.number,
        "status": order.status,
        "payment": payment.pk,
        "pass": pass_out(pass_obj),
    }


def _refund_out(r: Refund) -> dict[str, Any]:
    return {
        "id": r.pk,
        "order": r.order.number,
        "amount_fen": r.amount_fen,
        "reason": r.reason,
        "status": r.status,
        "reference": r.reference,
        "created": r.created,
    }


@router.get("/refunds", summary="Refunds in my regions")
def refund_list(request: HttpRequest, status: str = "requested") -> list[dict[str, Any]]:
    return [_refund_out(r) for r in staff_queues.refunds(request.user, status, limit=LIMIT)]


class RefundDoneIn(Schema):
    reference: str


@router.post("/refunds/{refund_id}/complete", summary="The money went back")
def refund_complete(request: HttpRequest, refund_id: Id, payload: RefundDoneIn) -> dict[str, Any]:
    refund = get_object_or_404(
        Refund.objects.select_related("order__pass_obj__garage__region"), pk=refund_id
    )
    return _refund_out(payments.complete_refund(request.user, refund, payload.reference))


class HolidayIn(Schema):
    day: Day
    name: str = ""
    region: str | None = Field(None, description="12-digit code; none: nationwide")


def _holiday_out(h: PublicHoliday) -> dict[str, Any]:
    return {
        "id": h.pk,
        "day": h.day,
        "name": h.name,
        "region_code": h.region.code if h.region else None,
    }


@router.get("/holidays", summary="Public holidays that hold in a region")
def holiday_list(request: HttpRequest, region: str) -> list[dict[str, Any]]:
    from django.db.models import Q

    qs = PublicHoliday.objects.filter(
        Q(region__isnull=True) | Q(region__code__in=covering_codes(region))
    ).select_related("region")
    return [_holiday_out(h) for h in qs]


@router.post("/holidays", response={201: dict}, summary="Add a public holiday")
def holiday_add(request: HttpRequest, payload: HolidayIn) -> tuple[int, dict[str, Any]]:
    region = get_region(payload.region, "region") if payload.region else None
    holiday = estates.add_holiday(request.user, day=payload.day, name=payload.name, region=region)
    return 201, _holiday_out(holiday)


@router.delete("/holidays/{holiday_id}", response={204: None}, summary="Remove a public holiday")
def holiday_remove(request: HttpRequest, holiday_id: Id) -> tuple[int, None]:
    holiday = get_object_or_404(PublicHoliday.objects.select_related("region"), pk=holiday_id)
    estates.remove_holiday(request.user, holiday)
    return 204, None
