"""What the parking endpoints answer: one schema per shape, read straight from the models.

No ``from __future__ import annotations`` here: django-ninja and pydantic read the annotations.
A ``resolve_<field>`` reads what the model names differently (plates are always the masked
ones). Errors share the API's one shape (``Error``), declared on every route with the
statuses it can give; ``shequ.api`` adds, with their descriptions, those the shared handlers
and limits can give too.
"""

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from shequ.parking.models import (
    Application,
    Estate,
    Garage,
    GateEvent,
    Order,
    Pass,
    PublicHoliday,
    Refund,
    Violation,
    WaitingListEntry,
)

# --- errors ------------------------------------------------------------------------------------


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = Field(..., description="messages per field in error")


class Error(Schema):
    """The API's one error shape (``shequ.api.ERROR_SCHEMA``)."""

    error: ErrorDetail


# The statuses each kind of route can answer with an Error. A route reading the caller's own
# things can be refused (401, 403), miss (404) and get bad parameters (422); a write can also
# find the state changed (409) or get a body that cannot be read (400) or is too large (413).
READ = frozenset({401, 403, 404, 422})
WRITE = READ | {400, 409, 413}
PUBLIC_READ = frozenset({404, 422})
PUBLIC_WRITE = frozenset({400, 404, 409, 413, 422})


def errors(statuses: frozenset[int], *more: int) -> dict[frozenset[int], type[Error]]:
    """The ``response=`` entry for a route's error answers."""
    return {statuses | set(more): Error}


# --- places ------------------------------------------------------------------------------------


class GarageOut(Schema):
    id: int
    code: str
    name: str
    region_code: str
    address: str
    lat: float
    lon: float
    total_spaces: int
    entrances: list[str]
    normal_rule: str
    refund_rule: str
    grace_minutes: int
    escalate_minutes: int
    suspend_after: int
    suspend_window_days: int

    @staticmethod
    def resolve_region_code(obj: Garage) -> str:
        return obj.region.code


class EstateOut(Schema):
    id: int
    code: str
    name: str
    slug: str
    region_code: str
    lat: float
    lon: float
    shortfall: int

    @staticmethod
    def resolve_region_code(obj: Estate) -> str:
        return obj.region.code

    @staticmethod
    def resolve_shortfall(obj: Estate) -> int:
        return obj.spaces_shortfall


class PlanOut(Schema):
    id: int
    code: str
    name: str
    capacity: int
    hours: str = Field(..., description="OSM opening_hours")
    valid_from: date


class ProductOut(Schema):
    id: int
    plan_code: str
    kind: str
    price_fen: int
    active: bool


class HolidayOut(Schema):
    id: int
    day: date
    name: str
    region_code: str | None = Field(..., description="none: nationwide")

    @staticmethod
    def resolve_region_code(obj: PublicHoliday) -> str | None:
        return obj.region.code if obj.region else None


class DeviceIssuedOut(Schema):
    id: int
    gate: str
    token: str = Field(..., description="shown once: the gate device's bearer token")


class TenantOut(Schema):
    id: int
    plate: str

    @staticmethod
    def resolve_plate(obj: Any) -> str:
        return str(obj.plate_masked)


# --- occupancy and the gate ----------------------------------------------------------------------


class OccupancyNowOut(Schema):
    garage: int
    total_spaces: int
    occupied: int
    free: int
    shared_capacity_now: int
    shared_inside: int
    shared_free: int
    counted_at: datetime | None


class CountOut(Schema):
    id: int
    occupied: int
    computed: int
    drift: int
    now: OccupancyNowOut


class InsideOut(Schema):
    plate: str
    pass_id: int | None
    entered_at: datetime

    @staticmethod
    def resolve_plate(obj: Any) -> str:
        return str(obj.plate_masked)

    @staticmethod
    def resolve_pass_id(obj: Any) -> int | None:
        return obj.pass_obj_id  # type: ignore[no-any-return]


class IncomeOut(Schema):
    first: date
    last: date
    paid_fen: int
    refunded_fen: int
    net_fen: int
    orders: int


class EventOut(Schema):
    event_id: str
    gate: str
    direction: str
    plate: str
    at: datetime
    confidence: float | None
    decision: str
    open: bool
    display: str
    pass_id: int | None
    probable_pass_id: int | None

    @staticmethod
    def resolve_plate(obj: GateEvent) -> str:
        return obj.plate_masked

    @staticmethod
    def resolve_pass_id(obj: GateEvent) -> int | None:
        return obj.pass_obj_id


class ViolationOut(Schema):
    id: int
    garage: int
    pass_id: int
    plate: str
    window_end: datetime
    detected_at: datetime
    resident_notified_at: datetime | None
    operator_notified_at: datetime | None
    left_at: datetime | None
    status: str
    note: str

    @staticmethod
    def resolve_garage(obj: Violation) -> int:
        return obj.garage_id

    @staticmethod
    def resolve_pass_id(obj: Violation) -> int:
        return obj.pass_obj_id

    @staticmethod
    def resolve_plate(obj: Violation) -> str:
        return obj.plate_masked


class RevealOut(Schema):
    pass_id: int
    plates: list[str] = Field(..., description="in clear: the reveal is audited")


# --- residents, applications, passes, orders ----------------------------------------------------


class CodeSentOut(Schema):
    sent: bool
    expires_in: int = Field(..., description="seconds")


class LoginOut(Schema):
    token: str
    phone: str = Field(..., description="masked")
    estate: str | None


class ApplicationOut(Schema):
    id: int
    estate: str
    plates: list[str]
    name: str
    status: str
    verification: dict[str, Any]
    proof_note: str
    proof_reference: str
    preferences: list[int] = Field(..., description="garage ids, best first")
    priority_group: str
    walking_m: dict[str, int] = Field(..., description="garage id -> walking metres")
    review_note: str
    created: datetime

    @staticmethod
    def resolve_estate(obj: Application) -> str:
        return obj.estate.slug

    @staticmethod
    def resolve_plates(obj: Application) -> list[str]:
        return list(obj.plates_masked)

    @staticmethod
    def resolve_name(obj: Application) -> str:
        return obj.name_masked


def _order_of(obj: Pass) -> Order | None:
    return getattr(obj, "order", None)  # a pass without its order raises AttributeError


class PassOut(Schema):
    id: int
    garage: int
    garage_name: str
    plan_code: str
    hours: str
    product: str
    plates: list[str]
    starts_on: date
    ends_on: date
    status: str
    hold_until: datetime | None
    order: str | None
    amount_fen: int | None
    order_status: str | None
    renews: int | None
    suspended_reason: str

    @staticmethod
    def resolve_garage(obj: Pass) -> int:
        return obj.garage_id

    @staticmethod
    def resolve_garage_name(obj: Pass) -> str:
        return obj.garage.name

    @staticmethod
    def resolve_hours(obj: Pass) -> str:
        return obj.plan.hours

    @staticmethod
    def resolve_product(obj: Pass) -> str:
        return obj.product.kind

    @staticmethod
    def resolve_plates(obj: Pass) -> list[str]:
        return [pp.plate_masked for pp in obj.plates.all()]

    @staticmethod
    def resolve_order(obj: Pass) -> str | None:
        order = _order_of(obj)
        return order.number if order else None

    @staticmethod
    def resolve_amount_fen(obj: Pass) -> int | None:
        order = _order_of(obj)
        return order.amount_fen if order else None

    @staticmethod
    def resolve_order_status(obj: Pass) -> str | None:
        order = _order_of(obj)
        return order.status if order else None

    @staticmethod
    def resolve_renews(obj: Pass) -> int | None:
        return obj.renews_id


class OrderOut(Schema):
    """An order with how to pay it and its pass."""

    order: str
    amount_fen: int
    status: str
    payment: dict[str, Any] = Field(..., description="how to pay: depends on the method")
    pass_: PassOut = Field(..., alias="pass")


class ConfirmedOut(Schema):
    order: str
    status: str
    payment: int
    pass_: PassOut = Field(..., alias="pass")


class RefundBriefOut(Schema):
    id: int
    amount_fen: int
    status: str


class CancelledOut(Schema):
    pass_: PassOut = Field(..., alias="pass")
    refunds: list[RefundBriefOut]


class PayOnlineOut(Schema):
    order: str
    provider: str
    out_trade_no: str
    amount_fen: int
    redirect_url: str = Field(..., description="send the payer here (H5 or web cashier)")
    qr_payload: str = Field(..., description="or show this as a QR code")


class RefundOut(Schema):
    id: int
    order: str
    amount_fen: int
    reason: str
    status: str
    reference: str
    created: datetime

    @staticmethod
    def resolve_order(obj: Refund) -> str:
        return obj.order.number


class WaitingOut(Schema):
    id: int
    application: int
    garage: int
    plan_code: str
    rank: int
    status: str
    offered_until: datetime | None
    priority_group: str
    plates: list[str]

    @staticmethod
    def resolve_application(obj: WaitingListEntry) -> int:
        return obj.application_id

    @staticmethod
    def resolve_garage(obj: WaitingListEntry) -> int:
        return obj.garage_id

    @staticmethod
    def resolve_priority_group(obj: WaitingListEntry) -> str:
        return obj.application.priority_group

    @staticmethod
    def resolve_plates(obj: WaitingListEntry) -> list[str]:
        return list(obj.application.plates_masked)


class OfferedProductOut(Schema):
    id: int
    kind: str
    price_fen: int
    plan: PlanOut
    free: int = Field(..., description="spaces unsold over the next month")


class OfferedGarageOut(Schema):
    id: int
    name: str
    address: str
    walking_m: int
    products: list[OfferedProductOut]


class EstateBriefOut(Schema):
    slug: str
    name: str


class EstateOfferOut(Schema):
    estate: EstateBriefOut
    garages: list[OfferedGarageOut]
