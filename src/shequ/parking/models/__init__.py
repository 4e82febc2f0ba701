"""Shared parking models, split by concept."""

from shequ.parking.models.gates import (
    Decision,
    GateEvent,
    OccupancyCount,
    Presence,
    Violation,
)
from shequ.parking.models.passes import MAX_PLATES, Pass, PassPlate
from shequ.parking.models.payments import DemoTrade, Order, Payment, PaymentIntent, Refund
from shequ.parking.models.places import (
    PRODUCT_MONTHS,
    Estate,
    Garage,
    GateDevice,
    NormalRule,
    Product,
    ProductKind,
    PublicHoliday,
    RefundRule,
    SharingPlan,
    TenantPlate,
)
from shequ.parking.models.residents import (
    Application,
    PhoneCode,
    PriorityGroup,
    ResidentAccount,
    WaitingListEntry,
)

__all__ = [
    "MAX_PLATES",
    "PRODUCT_MONTHS",
    "Application",
    "Decision",
    "DemoTrade",
    "Estate",
    "Garage",
    "GateDevice",
    "GateEvent",
    "NormalRule",
    "OccupancyCount",
    "Order",
    "Pass",
    "PassPlate",
    "Payment",
    "PaymentIntent",
    "PhoneCode",
    "Presence",
    "PriorityGroup",
    "Product",
    "ProductKind",
    "PublicHoliday",
    "Refund",
    "RefundRule",
    "ResidentAccount",
    "SharingPlan",
    "TenantPlate",
    "Violation",
    "WaitingListEntry",
]
