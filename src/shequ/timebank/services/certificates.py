"""A printable certificate of a volunteer's confirmed service hours (志愿服务时长证明).

It carries the volunteer's own name in clear, so making one is audited (never the name itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Max, Min, Sum
from django.http import HttpRequest
from django.utils import timezone

from shequ.core import pii
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.timebank.models import Order
from shequ.timebank.services.access import member_of


@dataclass(frozen=True)
class Certificate:
    name: str
    community: str
    services: int
    minutes: int
    first: datetime | None
    last: datetime | None
    issued: date


def certificate(actor: User, *, request: HttpRequest | None = None) -> Certificate:
    """The signed-in volunteer's own certificate: confirmed services not reversed since."""
    volunteer = member_of(actor, volunteer=True)
    confirmed = Order.objects.filter(
        volunteer=volunteer, status=Order.Status.CONFIRMED, transfer__reversed_by__isnull=True
    )
    figures = confirmed.aggregate(
        n=Count("pk"),
        minutes=Sum("transfer__minutes"),
        first=Min("checked_out_at"),
        last=Max("checked_out_at"),
    )
    record("timebank.certificate", actor=actor, obj=volunteer, request=request)
    return Certificate(
        name=pii.decrypt(volunteer.person.name_enc),
        community=volunteer.region.name,
        services=figures["n"],
        minutes=int(figures["minutes"] or 0),
        first=figures["first"],
        last=figures["last"],
        issued=timezone.localdate(),
    )
