"""The allocation review page: who may open it and apply a proposal; both walking totals shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from parking.factories import ELSEWHERE, STREET, client_of, logged_in
from shequ.core.models import Role
from shequ.parking.models import (
    Application,
    Estate,
    SharingPlan,
    WaitingListEntry,
)
from shequ.parking.services import allocation as run


@pytest.fixture
def people(make_user: Any, make_resident: Any, operator: Any, staff_jinxiu: Any) -> dict[str, Any]:
    return {
        "anonymous": None,
        "resident": make_resident(),
        "operator": operator,
        "staff": staff_jinxiu,
        "staff_elsewhere": make_user(Role.COMMUNITY_STAFF, ELSEWHERE, username="beishan"),
        "street_staff": make_user(Role.STREET_STAFF, STREET, username="street"),
        "admin": make_user(Role.PLATFORM_ADMIN, "990000000000", username="admin"),
    }


# who -> (the page without an estate, the page for E001, applying E001's proposal)
MATRIX = {
    "anonymous": (302, 302, 302),
    "resident": (403, 403, 403),
    "operator": (403, 403, 403),
    "staff": (200, 200, 302),
    "staff_elsewhere": (200, 404, 403),
    "street_staff": (200, 200, 302),
    "admin": (200, 200, 302),
}


def test_who_may_review_and_apply_an_allocation(
    estate: Estate, applicant: Callable[..., Application], people: dict[str, Any]
) -> None:
    applicant(300, 400)
    token = run.sign(run.propose(estate, "night", run.periods_from()[0]).payload())
    got = {}
    for who in MATRIX:
        client = client_of(people[who])
        got[who] = (
            client.get("/parking/staff/allocation/").status_code,
            client.get("/parking/staff/allocation/?estate=E001&plan=night").status_code,
            client.post("/parking/staff/allocation/apply/", {"proposal": token}).status_code,
        )
        WaitingListEntry.objects.all().delete()
    assert got == MATRIX


def test_the_page_shows_both_walking_totals_and_applies(
    estate: Estate, applicant: Callable[..., Application], staff_jinxiu: Any, plan: SharingPlan
) -> None:
    plan.capacity = 1
    plan.save()
    # First come sends the first applicant to G01 (300 m), the second then walks 790 m to G02;
    # the min-cost proposal swaps them: 400 + 500 m.
    first = applicant(300, 400)
    second = applicant(500, 790)
    client = logged_in(staff_jinxiu)
    page = client.get("/parking/staff/allocation/?estate=E001&plan=night")
    html = page.content.decode()
    assert page.context["review"]["min_cost"]["metres"] == 900
    assert page.context["review"]["greedy"]["metres"] == 1090
    assert "min-cost: 0.90 km walking, greedy first-come: 1.09 km" in html
    assert "浙A***" in html and "浙A00" not in html  # plates masked
    rows = {r["app"].pk: r for r in page.context["review"]["rows"]}
    assert (rows[first.pk]["garage"], rows[second.pk]["garage"]) == (
        "和达中心地下车库",
        "望湖大厦地下车库",
    )
    token = page.context["review"]["token"]
    answer = client.post("/parking/staff/allocation/apply/", {"proposal": token}, follow=True)
    assert "2 offers made" in answer.content.decode()
    answer = client.post("/parking/staff/allocation/apply/", {"proposal": token}, follow=True)
    assert "applied already" in answer.content.decode()
    assert WaitingListEntry.objects.filter(status="offered").count() == 2
