"""Parking fixtures: an estate beside an office garage, its people, and API clients.

锦绣花园 (estate E001) is in 锦绣社区 990102001001; 望湖大厦 garage G01 is in the same
community, 300 m away, sharing 2 spaces on weekday nights and all weekend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from parking_people import add_application, add_resident_account
from shequ.core.models import Membership, Role
from shequ.parking.models import (
    Application,
    Estate,
    Garage,
    Product,
    SharingPlan,
)

HOME = "990102001001"  # 锦绣社区
SIBLING = "990102001002"  # 和园社区
ELSEWHERE = "990103001001"  # 北山社区, another district
HOURS = "Mo-Fr 18:30-08:00; Sa,Su,PH 00:00-24:00"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English, whatever an earlier test left active (zh-hans is the default)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PARKING_PAYMENT_SECRET = "test-payment-secret"
    settings.PARKING_OTP_CHANNEL = 0
    settings.PARKING_OTP_CONSOLE = True
    from shequ.parking.services import holidays

    holidays.invalidate()


@pytest.fixture
def estate(regions: dict[str, Any]) -> Estate:
    return Estate.objects.create(
        region=regions[HOME], code="E001", name="锦绣花园", slug="jinxiu", lat=30.2741, lon=120.1551
    )


@pytest.fixture
def operator(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.GARAGE_OPERATOR, HOME, username="operator")


@pytest.fixture
def garage(regions: dict[str, Any], operator: Any) -> Garage:
    garage = Garage.objects.create(
        region=regions[HOME],
        code="G01",
        name="望湖大厦地下车库",
        lat=30.2760,
        lon=120.1570,
        total_spaces=200,
        entrances=["north", "south"],
    )
    garage.operators.add(operator)
    return garage


@pytest.fixture
def plan(garage: Garage) -> SharingPlan:
    return SharingPlan.objects.create(
        garage=garage,
        code="night",
        name="夜间错峰",
        capacity=2,
        hours=HOURS,
        valid_from=date(2020, 1, 1),
    )


@pytest.fixture
def monthly(plan: SharingPlan) -> Product:
    return Product.objects.create(
        garage=plan.garage, plan_code="night", kind="monthly", price_fen=30000
    )


ResidentFactory = Callable[..., Any]


@pytest.fixture
def make_resident(regions: dict[str, Any], estate: Estate) -> ResidentFactory:
    """A resident account with a phone, a member of the estate's community."""
    counter = iter(range(10_000))

    def make(phone: str | None = None, username: str | None = None) -> Any:
        n = next(counter)
        phone = phone or f"1390000{n:04d}"
        user = get_user_model().objects.create_user(username=username or f"resident{n}")
        add_resident_account(user, estate, phone)
        Membership.objects.create(user=user, region=estate.region, role=Role.RESIDENT)
        return user

    return make


@pytest.fixture
def make_application(estate: Estate) -> Callable[..., Application]:
    """An application that data has verified (what ``apply`` makes when the hub matches)."""

    def make(resident: Any, plate_list: list[str], status: str = "verified") -> Application:
        return add_application(resident, estate, plate_list, status)

    return make


@pytest.fixture
def staff_jinxiu(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.COMMUNITY_STAFF, HOME, username="jinxiu_staff")


@pytest.fixture
def sell(
    make_resident: ResidentFactory,
    make_application: Callable[..., Application],
    monthly: Product,
    staff_jinxiu: Any,
) -> Callable[..., Any]:
    """sell(["浙A12345"]) -> an active, paid pass of the night plan, for a new resident."""
    from shequ.parking.services import passes, payments

    counter = iter(range(10_000))

    def make(plate_list: list[str], resident: Any = None, product: Product | None = None) -> Any:
        resident = resident or make_resident()
        app = make_application(resident, plate_list)
        order = passes.buy(resident, app, product or monthly)
        payments.confirm_offline(
            staff_jinxiu, order, reference=f"CASH-{next(counter)}", amount_fen=order.amount_fen
        )
        order.pass_obj.refresh_from_db()
        return order.pass_obj

    return make


@pytest.fixture
def people(  # everyone the page-access matrices try, by role
    make_user: Any, make_resident: Any, operator: Any, staff_jinxiu: Any, garage: Garage
) -> dict[str, Any]:
    return {
        "anonymous": None,
        "resident": make_resident(),
        "operator": operator,
        "other_operator": make_user(Role.GARAGE_OPERATOR, HOME, username="other_op"),
        "staff": staff_jinxiu,
        "staff_elsewhere": make_user(Role.COMMUNITY_STAFF, ELSEWHERE, username="beishan"),
        "street_staff": make_user(Role.STREET_STAFF, "990102001000", username="street"),
    }
