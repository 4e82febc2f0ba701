"""Parking fixtures: an estate beside an office garage, its people, and API clients.

锦绣花园 (estate E001) is in 锦绣社区 990102001001; 望湖大厦 garage G01 is in the same
community, 300 m away, sharing 2 spaces on weekday nights and all weekend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from parking.factories import (  # noqa: F401  (hub, load: fixtures of the indices tests)
    ELSEWHERE,
    HOME,
    add_estate,
    add_garage,
    add_plan,
    add_product,
    hub,
    load,
)
from parking_people import add_application, add_resident_account
from shequ.core.models import Membership, Role
from shequ.parking.models import (
    Application,
    Estate,
    Garage,
    Presence,
    Product,
    SharingPlan,
    Violation,
)
from shequ.parking.services import garages, holidays, passes, payments, refunds, waiting


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
    holidays.invalidate()


@pytest.fixture
def estate(regions: dict[str, Any]) -> Estate:
    return add_estate(regions[HOME])


@pytest.fixture
def operator(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.GARAGE_OPERATOR, HOME, username="operator")


@pytest.fixture
def garage(regions: dict[str, Any], operator: Any) -> Garage:
    return add_garage(regions[HOME], operator, entrances=["north", "south"])


@pytest.fixture
def plan(garage: Garage) -> SharingPlan:
    return add_plan(garage, capacity=2)


@pytest.fixture
def monthly(plan: SharingPlan) -> Product:
    return add_product(plan.garage)


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


# --- allocation rounds: a second garage, and applicants with set walking distances ---------


@pytest.fixture
def g02(regions: dict[str, Any]) -> Garage:
    """和达中心 (G02), 1 night space, also within walking distance of 锦绣花园."""
    garage = add_garage(
        regions[HOME],
        code="G02",
        name="和达中心地下车库",
        lat=30.2770,
        lon=120.1600,
        total_spaces=100,
    )
    add_plan(garage, capacity=1, name="夜间")
    return garage


@pytest.fixture
def lots(plan: SharingPlan, g02: Garage) -> tuple[Garage, Garage]:
    """G01 with 2 night spaces, G02 with 1."""
    return plan.garage, g02


@pytest.fixture
def applicant(
    make_resident: Any, make_application: Callable[..., Application], lots: tuple[Garage, Garage]
) -> Callable[..., Application]:
    """applicant(g01_m, g02_m, group="no_space", prefs=("G02",)): one more application."""
    counter = iter(range(100, 10_000))
    g01, g02 = lots
    pk = {"G01": g01.pk, "G02": g02.pk}

    def make(
        g01_m: int, g02_m: int, group: str = "no_space", prefs: tuple[str, ...] = ()
    ) -> Application:
        n = next(counter)
        app = make_application(make_resident(), [f"浙A{n:05d}"])
        app.walking_m = {str(g01.pk): g01_m, str(g02.pk): g02_m}
        app.priority_group = group
        app.preferences = [pk[code] for code in prefs]
        app.created = timezone.now() - timedelta(hours=1) + timedelta(minutes=n)
        app.save()
        return app

    return make


# --- query counts of the lists ---------------------------------------------------------


@pytest.fixture
def add_rows(
    make_resident: Any,
    make_application: Any,
    monthly: Product,
    plan: SharingPlan,
    staff_jinxiu: Any,
    operator: Any,
    regions: dict[str, Any],
) -> Callable[[int], None]:
    """add_rows(n): n more of every row the lists show, and n more garages of the operator."""
    SharingPlan.objects.filter(pk=plan.pk).update(capacity=100)
    garage = plan.garage
    counter = iter(range(1000))

    def add(n: int) -> None:
        for _ in range(n):
            i = next(counter)
            buyer = make_resident()
            paid = passes.buy(buyer, make_application(buyer, [f"浙A1{i:04d}"]), monthly)
            payments.confirm_offline(
                staff_jinxiu, paid, reference=f"R{i}", amount_fen=paid.amount_fen
            )
            refunds.request_refund(paid, 100, "test")
            pass_obj = paid.pass_obj
            now = timezone.now()
            presence = Presence.objects.create(
                garage=garage,
                plate_hash=f"h{i}",
                plate_masked="浙A1***0",
                pass_obj=pass_obj,
                entered_at=now - timedelta(hours=3),
            )
            Violation.objects.create(
                pass_obj=pass_obj,
                garage=garage,
                presence=presence,
                plate_masked="浙A1***0",
                window_end=now - timedelta(hours=1),
                detected_at=now,
            )
            pending = make_resident()
            passes.buy(pending, make_application(pending, [f"浙B1{i:04d}"]), monthly)
            waiter = make_resident()
            waiting.join(waiter, make_application(waiter, [f"浙C1{i:04d}"]), garage, "night")
            reviewed = make_resident()
            make_application(reviewed, [f"浙D1{i:04d}"], status="in_review")
            other = Garage.objects.create(
                region=garage.region,
                code=f"G9{i}",
                name=f"车库{i}",
                lat=30.27,
                lon=120.15,
                total_spaces=50,
            )
            other.operators.add(operator)
            SharingPlan.objects.create(
                garage=other,
                code="night",
                name="夜间",
                capacity=3,
                hours=plan.hours,
                valid_from=plan.valid_from,
            )

    return add


def _query_counts(client: Client, urls: list[str]) -> dict[str, int]:
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        counts[url] = len(queries)
    return counts


@pytest.fixture
def same_queries_for_more_rows(
    add_rows: Callable[[int], None],
) -> Callable[[Client, list[str]], None]:
    """check(client, urls): each list takes as many queries with three rows of each kind as
    with one (asked once first to warm the caches: holidays, the session)."""

    def check(client: Client, urls: list[str]) -> None:
        add_rows(1)
        _query_counts(client, urls)
        few = _query_counts(client, urls)
        add_rows(2)
        assert _query_counts(client, urls) == few

    return check


@pytest.fixture
def device(garage: Garage, operator: Any) -> tuple[Any, Client]:
    """A gate device of G01, and a client sending its bearer token."""
    dev, raw = garages.issue_device(operator, garage, "north-in")
    return dev, Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")
