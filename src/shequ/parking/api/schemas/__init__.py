"""What the parking endpoints answer: one schema per shape, read straight from the models.

No ``from __future__ import annotations`` in this package: django-ninja and pydantic read the
annotations. A ``resolve_<field>`` reads what the model names differently (plates are always the
masked ones). The error statuses each kind of route declares come from ``shequ.core.schemas``
(``READ``, ``WRITE``, ``errors``), shared by every app.
"""

from shequ.parking.api.schemas.passes import (
    ApplicationOut,
    CancelledOut,
    CodeSentOut,
    ConfirmedOut,
    EstateBriefOut,
    EstateOfferOut,
    LoginOut,
    OfferedGarageOut,
    OfferedProductOut,
    OrderOut,
    PassOut,
    PayOnlineOut,
    RefundBriefOut,
    RefundOut,
    WaitingOut,
)
from shequ.parking.api.schemas.places import (
    CountOut,
    DeviceIssuedOut,
    EstateOut,
    EventOut,
    GarageOut,
    HolidayOut,
    IncomeOut,
    InsideOut,
    OccupancyNowOut,
    PlanOut,
    ProductOut,
    RevealOut,
    TenantOut,
    ViolationOut,
)

__all__ = [
    "ApplicationOut",
    "CancelledOut",
    "CodeSentOut",
    "ConfirmedOut",
    "CountOut",
    "DeviceIssuedOut",
    "EstateBriefOut",
    "EstateOfferOut",
    "EstateOut",
    "EventOut",
    "GarageOut",
    "HolidayOut",
    "IncomeOut",
    "InsideOut",
    "LoginOut",
    "OccupancyNowOut",
    "OfferedGarageOut",
    "OfferedProductOut",
    "OrderOut",
    "PassOut",
    "PayOnlineOut",
    "PlanOut",
    "ProductOut",
    "RefundBriefOut",
    "RefundOut",
    "RevealOut",
    "TenantOut",
    "ViolationOut",
    "WaitingOut",
]
