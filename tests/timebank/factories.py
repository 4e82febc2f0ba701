"""What the time bank tests build: people, members, requests and orders at known times.

Plain functions, imported by name (``from timebank.factories import ...``); the fixtures of
``conftest.py`` call them.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from shequ.core import pii
from shequ.core.models import Membership, Person, Region, Role
from shequ.timebank.models import HelpRequest, Member, Order
from shequ.timebank.services import ledger, members, orders, requests

SHANGHAI = ZoneInfo("Asia/Shanghai")
STREET = "990102001000"  # 望湖街道
HOME = "990102001001"  # 锦绣社区
SIBLING = "990102001002"  # 和园社区
ELSEWHERE = "990103001001"  # 北山社区, another district
# A Monday morning; requests start at 18:00 the same day.
NOW = datetime(2026, 10, 5, 9, 0, tzinfo=SHANGHAI)
START = NOW.replace(hour=18)

_seq = itertools.count(1)


def add_person(region: Region, name: str = "张建国", phone: str = "") -> Person:
    n = next(_seq)
    phone = phone or f"139{n:08d}"
    return Person.objects.create(
        region=region,
        name_enc=pii.encrypt(name),
        name_masked=pii.mask_name(name),
        phone_enc=pii.encrypt(phone),
        phone_hash=pii.lookup_hash("phone", phone),
        phone_masked=pii.mask_phone(phone),
        id_number_masked=pii.mask_id_number(
            pii.make_id_number("990102", date(1950, 1, 1), n % 999)
        ),
    )


def add_user(role: str | None, region: Region, username: str = "") -> Any:
    user = get_user_model().objects.create_user(
        username=username or f"u{next(_seq)}", password="correct horse battery staple"
    )
    if role:
        Membership.objects.create(user=user, region=region, role=role)
    return user


def add_member(
    staff: Any,
    region: Region,
    *,
    user: Any = None,
    volunteer: bool = False,
    skills: tuple[str, ...] = ("meals",),
    name: str = "王秀英",
    **extra: Any,
) -> Member:
    return members.register(
        staff,
        add_person(region, name),
        region=region,
        user=user,
        volunteer=volunteer,
        skills=skills if volunteer else (),
        joined=NOW - timedelta(days=30),
        **extra,
    )


def add_volunteer(staff: Any, region: Region, username: str = "", **extra: Any) -> Member:
    user = add_user(Role.VOLUNTEER, region, username)
    return add_member(staff, region, user=user, volunteer=True, **extra)


def seed(region: Region, minutes: int, account: Any = None) -> None:
    """Seed hours into the community pool (or into ``account``) from the issuing account."""
    target = account or ledger.pool_of(region)
    ledger.transfer(ledger.issue_of(region), target, minutes, kind="seed")


def post(actor: Any, beneficiary: Member, **fields: Any) -> HelpRequest:
    values: dict[str, Any] = {
        "category": "meals",
        "description": "父亲独居，想请人晚上送一份热饭。",
        "starts_at": START,
        "ends_at": START + timedelta(hours=2),
        "estimated_minutes": 60,
        "address": "锦绣花园3幢2单元501室",
        "estate": "锦绣花园",
        "building": "3幢",
        "now": NOW,
    }
    return requests.post(actor, beneficiary, **(values | fields))


def serve(volunteer_user: Any, req: HelpRequest, minutes: int = 60) -> Order:
    """Take, check in at the start and check out ``minutes`` later."""
    order = orders.take(volunteer_user, req, now=NOW)
    orders.check_in(volunteer_user, order, now=req.starts_at)
    return orders.check_out(volunteer_user, order, now=req.starts_at + timedelta(minutes=minutes))
