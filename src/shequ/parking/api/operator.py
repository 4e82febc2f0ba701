"""Operator endpoints: garages, sharing plans, prices, devices, occupancy, income, violations.

Staff of the garage's region may use them too. Plates are masked; a clear plate is revealed
only through ``/passes/{id}/reveal`` with a reason, and audited.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Schema

from shequ.core.inputs import Day, Id, LocalDatetime, NonNegativeInt, PositiveInt
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.services.regions import get_region
from shequ.core.types import user_of
from shequ.parking.api.common import router
from shequ.parking.api.schemas import (
    CountOut,
    DeviceIssuedOut,
    EventOut,
    GarageOut,
    IncomeOut,
    InsideOut,
    OccupancyNowOut,
    PassOut,
    PlanOut,
    ProductOut,
    RevealOut,
    TenantOut,
    ViolationOut,
)
from shequ.parking.models import (
    Garage,
    GateDevice,
    GateEvent,
    Pass,
    Presence,
    Product,
    SharingPlan,
    TenantPlate,
    Violation,
)
from shequ.parking.services import garages, occupancy, overstay, reveal
from shequ.parking.services.access import garages_for, managed_garage
from shequ.parking.services.passes import PASS_RELATED

LIMIT = 500  # rows a list returns at most


def _garage(request: HttpRequest, garage_id: Id) -> Garage:
    return managed_garage(request.user, garage_id)


class GarageIn(Schema):
    region: str = Field(..., description="12-digit region code")
    code: str = Field(..., min_length=1, max_length=32)
    name: str = Field(..., min_length=1, max_length=100)
    address: str = ""
    lat: float
    lon: float
    total_spaces: NonNegativeInt
    entrances: list[str] = Field(default_factory=list)
    normal_rule: str = "visitor"
    refund_rule: str = "pro_rata_days"


class GaragePatch(Schema):
    name: str | None = None
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    total_spaces: NonNegativeInt | None = None
    entrances: list[str] | None = None
    normal_rule: str | None = None
    refund_rule: str | None = None
    grace_minutes: NonNegativeInt | None = None
    escalate_minutes: NonNegativeInt | None = None
    suspend_after: PositiveInt | None = None
    suspend_window_days: PositiveInt | None = None


@router.get(
    "/garages",
    response={200: list[GarageOut], **errors(READ)},
    summary="Garages I operate or oversee",
)
def garage_list(request: HttpRequest) -> QuerySet[Garage]:
    return garages_for(request.user)


@router.post("/garages", response={201: GarageOut, **errors(WRITE)}, summary="Register a garage")
def garage_create(request: HttpRequest, payload: GarageIn) -> tuple[int, Garage]:
    region = get_region(payload.region, "region")
    fields = payload.dict(exclude={"region", "code"})
    return 201, garages.create_garage(user_of(request), region, code=payload.code, **fields)


@router.get("/garages/{garage_id}", response={200: GarageOut, **errors(READ)}, summary="One garage")
def garage_detail(request: HttpRequest, garage_id: Id) -> Garage:
    return _garage(request, garage_id)


@router.patch(
    "/garages/{garage_id}",
    response={200: GarageOut, **errors(WRITE)},
    summary="Change a garage's details and policies",
)
def garage_update(request: HttpRequest, garage_id: Id, payload: GaragePatch) -> Garage:
    garage = _garage(request, garage_id)
    fields = payload.dict(exclude_unset=True, exclude_none=True)
    return garages.update_garage(user_of(request), garage, **fields)


class PlanIn(Schema):
    code: str = Field(..., pattern=r"^[-a-zA-Z0-9_]{1,32}$")
    name: str = Field(..., min_length=1, max_length=100)
    capacity: NonNegativeInt
    hours: str = Field(
        ..., description="OSM opening_hours, e.g. Mo-Fr 18:30-08:00; Sa,Su,PH 00:00-24:00"
    )
    valid_from: Day | None = Field(None, description="default: the earliest allowed day")


@router.get(
    "/garages/{garage_id}/plans",
    response={200: list[PlanOut], **errors(READ)},
    summary="Sharing plans and their versions",
)
def plan_list(request: HttpRequest, garage_id: Id) -> QuerySet[SharingPlan]:
    return SharingPlan.objects.filter(garage=_garage(request, garage_id))


@router.post(
    "/garages/{garage_id}/plans",
    response={201: PlanOut, **errors(WRITE)},
    summary="Declare or change a plan",
)
def plan_declare(request: HttpRequest, garage_id: Id, payload: PlanIn) -> tuple[int, SharingPlan]:
    garage = _garage(request, garage_id)
    return 201, garages.declare_plan(user_of(request), garage, **payload.dict())


class ProductIn(Schema):
    plan_code: str
    kind: str = Field(..., description="monthly, quarterly or yearly")
    price_fen: NonNegativeInt = Field(..., description="price in fen (1 yuan = 100 fen)")
    active: bool = True


@router.get(
    "/garages/{garage_id}/products",
    response={200: list[ProductOut], **errors(READ)},
    summary="Products and prices",
)
def product_list(request: HttpRequest, garage_id: Id) -> QuerySet[Product]:
    return Product.objects.filter(garage=_garage(request, garage_id))


@router.post(
    "/garages/{garage_id}/products",
    response={201: ProductOut, **errors(WRITE)},
    summary="Set a price",
)
def product_set(request: HttpRequest, garage_id: Id, payload: ProductIn) -> tuple[int, Product]:
    garage = _garage(request, garage_id)
    return 201, garages.set_product(user_of(request), garage, **payload.dict())


class DeviceIn(Schema):
    gate: str = Field(..., min_length=1, max_length=40)


@router.post(
    "/garages/{garage_id}/devices",
    response={201: DeviceIssuedOut, **errors(WRITE)},
    summary="A gate device token",
)
def device_issue(
    request: HttpRequest, garage_id: Id, payload: DeviceIn
) -> tuple[int, dict[str, Any]]:
    garage = _garage(request, garage_id)
    device, raw = garages.issue_device(user_of(request), garage, payload.gate)
    return 201, {"id": device.pk, "gate": device.gate, "token": raw}


@router.delete(
    "/devices/{device_id}", response={204: None, **errors(WRITE)}, summary="Revoke a gate device"
)
def device_revoke(request: HttpRequest, device_id: Id) -> tuple[int, None]:
    device = get_object_or_404(GateDevice.objects.select_related("garage__region"), pk=device_id)
    garages.revoke_device(user_of(request), device)
    return 204, None


class PlateIn(Schema):
    plate: str


@router.post(
    "/garages/{garage_id}/tenants",
    response={201: TenantOut, **errors(WRITE)},
    summary="A tenant's plate",
)
def tenant_add(request: HttpRequest, garage_id: Id, payload: PlateIn) -> tuple[int, TenantPlate]:
    return 201, garages.add_tenant_plate(
        user_of(request), _garage(request, garage_id), payload.plate
    )


@router.get(
    "/garages/{garage_id}/occupancy",
    response={200: OccupancyNowOut, **errors(READ)},
    summary="Live occupancy and shared cars inside",
)
def occupancy_now(request: HttpRequest, garage_id: Id) -> dict[str, Any]:
    return occupancy.snapshot(_garage(request, garage_id))


class CountIn(Schema):
    occupied: NonNegativeInt
    counted_at: LocalDatetime | None = None
    note: str = ""


@router.post(
    "/garages/{garage_id}/counts",
    response={201: CountOut, **errors(WRITE)},
    summary="Record a head count",
)
def count_record(
    request: HttpRequest, garage_id: Id, payload: CountIn
) -> tuple[int, dict[str, Any]]:
    garage = _garage(request, garage_id)
    entry = occupancy.record_count(user_of(request), garage, **payload.dict())
    return 201, {
        "id": entry.pk,
        "occupied": entry.occupied,
        "computed": entry.computed,
        "drift": entry.drift,
        "now": occupancy.snapshot(garage),
    }


@router.get(
    "/garages/{garage_id}/inside",
    response={200: list[InsideOut], **errors(READ)},
    summary="Shared-pass cars inside now (masked)",
)
def shared_inside(request: HttpRequest, garage_id: Id) -> QuerySet[Presence]:
    return occupancy.shared_inside(_garage(request, garage_id))


class Period(Schema):
    first: Day | None = None
    last: Day | None = None


@router.get(
    "/garages/{garage_id}/income",
    response={200: IncomeOut, **errors(READ)},
    summary="Income in fen over a period (default: the month to date)",
)
def income(request: HttpRequest, garage_id: Id, period: Query[Period]) -> dict[str, Any]:
    return occupancy.income(_garage(request, garage_id), period.first, period.last)


@router.get(
    "/garages/{garage_id}/violations",
    response={200: list[ViolationOut], **errors(READ)},
    summary="Overstays",
)
def violation_list(
    request: HttpRequest, garage_id: Id, status: str | None = None
) -> QuerySet[Violation]:
    qs = Violation.objects.filter(garage=_garage(request, garage_id))
    if status:
        qs = qs.filter(status=status)
    return qs[:LIMIT]


class NoteIn(Schema):
    note: str = ""


@router.post(
    "/violations/{violation_id}/resolve",
    response={200: ViolationOut, **errors(WRITE)},
    summary="Close a violation",
)
def violation_resolve(request: HttpRequest, violation_id: Id, payload: NoteIn) -> Violation:
    violation = get_object_or_404(
        Violation.objects.select_related("garage__region"), pk=violation_id
    )
    return overstay.resolve(user_of(request), violation, payload.note)


@router.get(
    "/garages/{garage_id}/events",
    response={200: list[EventOut], **errors(READ)},
    summary="Recent gate events (masked)",
)
def event_list(request: HttpRequest, garage_id: Id, probable: bool = False) -> QuerySet[GateEvent]:
    qs = GateEvent.objects.filter(garage=_garage(request, garage_id))
    if probable:
        qs = qs.filter(probable_pass__isnull=False)
    return qs.order_by("-at")[:200]


@router.get(
    "/garages/{garage_id}/passes",
    response={200: list[PassOut], **errors(READ)},
    summary="Passes of a garage (masked)",
)
def garage_passes(request: HttpRequest, garage_id: Id, status: str | None = None) -> QuerySet[Pass]:
    garage = _garage(request, garage_id)
    qs = Pass.objects.filter(garage=garage).select_related(*PASS_RELATED).prefetch_related("plates")
    if status:
        qs = qs.filter(status=status)
    return qs[:LIMIT]


class PlateRevealIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


@router.post(
    "/passes/{pass_id}/reveal",
    response={200: RevealOut, **errors(WRITE)},
    summary="The clear plates of a pass (audited)",
)
def reveal_plates(request: HttpRequest, pass_id: Id, payload: PlateRevealIn) -> dict[str, Any]:
    found = reveal.target("pass", pass_id)
    if found is None:
        raise Http404("No such pass.")
    plates = reveal.reveal(user_of(request), found, reason=payload.reason, request=request)
    return {"pass_id": pass_id, "plates": plates}
