"""Places and what happens in them: garages, estates, plans, prices, holidays, the gate, counts.

No ``from __future__ import annotations`` here: django-ninja reads the annotations.
"""

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from shequ.parking.models import Estate, Garage, GateEvent, PublicHoliday, Violation


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
