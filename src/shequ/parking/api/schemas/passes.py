"""Residents' things: login, applications, passes, orders, refunds, waiting places, the offer.

No ``from __future__ import annotations`` here: django-ninja reads the annotations.
"""

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from shequ.parking.api.schemas.places import PlanOut
from shequ.parking.models import Application, Order, Pass, Refund, WaitingListEntry


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
