"""Allocation rounds: the proposal from the database, and applying it once.

锦绣花园 (E001) has two garages within walking distance: 望湖大厦 (G01, the conftest's, 2 night
spaces) and 和达中心 (G02, 1 night space). Applicants' walking distances are set on their
applications, so every total can be counted by hand.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from parking.factories import ELSEWHERE, STREET
from shequ.core.models import InboxMessage, Role
from shequ.parking.models import (
    Application,
    Estate,
    Garage,
    Pass,
    Product,
    WaitingListEntry,
)
from shequ.parking.services import allocation as run
from shequ.parking.services.errors import Conflict

POSTGRES = os.environ.get("SHEQU_DATABASE_URL", "").split(":")[0] in ("postgresql", "postgres")

MakeApp = Callable[..., Application]


def proposal(estate: Estate) -> run.Proposal:
    return run.propose(estate, "night", run.periods_from()[0])


def served(p: run.Proposal) -> dict[int, str]:
    codes = {str(g.garage.pk): g.garage.code for g in p.garages}
    return {int(a.applicant): codes[a.garage] for a in p.min_cost.assignments}


def test_the_proposal_respects_capacity_and_ranks_the_rest(
    estate: Estate, applicant: Callable[..., Application]
) -> None:
    apps = [applicant(300 + 10 * k, 400) for k in range(6)]
    p = proposal(estate)
    assert [(g.garage.code, g.free) for g in p.garages] == [("G01", 2), ("G02", 1)]
    load = p.min_cost.load()
    assert load[(str(p.garages[0].garage.pk), "night")] == 2
    assert load[(str(p.garages[1].garage.pk), "night")] == 1
    assert len(p.greedy.assignments) == 3
    # Everyone in the same group: first come is first served; the rest wait in that order.
    assert set(served(p)) == {a.pk for a in apps[:3]}
    assert [int(w.applicant) for w in p.min_cost.waiting] == [a.pk for a in apps[3:]]
    assert [w.position for w in p.min_cost.waiting] == [1, 2, 3]


def test_residents_without_a_space_come_first_and_preferences_count(
    estate: Estate, applicant: Callable[..., Application]
) -> None:
    second = applicant(300, 400, group="second_car")
    others = [applicant(300, 400, group="other") for _ in range(2)]
    first = [applicant(300, 400, prefs=("G02",)), applicant(350, 450)]
    p = proposal(estate)
    got = served(p)
    assert got[first[0].pk] == "G02" and got[first[1].pk] == "G01"
    assert second.pk in got and not {o.pk for o in others} & set(got)
    assert [int(w.applicant) for w in p.min_cost.waiting] == [o.pk for o in others]


def test_passes_and_open_offers_are_neither_capacity_nor_applicants(
    estate: Estate, applicant: Callable[..., Application], sell: Any, monthly: Product
) -> None:
    holder = sell(["浙B11111"])
    waiting = applicant(300, 400)
    offered = applicant(300, 400)
    WaitingListEntry.objects.create(
        application=offered,
        garage=monthly.garage,
        plan_code="night",
        rank=1,
        status="offered",
        offered_until=timezone.now() + timedelta(hours=5),
    )
    p = proposal(estate)
    assert [(g.garage.code, g.free) for g in p.garages] == [("G01", 0), ("G02", 1)]
    assert set(p.applications) == {waiting.pk}
    assert holder.application_id not in p.applications


def test_applying_makes_offers_and_waiting_places_once(
    estate: Estate, applicant: Callable[..., Application], staff_jinxiu: Any
) -> None:
    apps = [applicant(300 + 10 * k, 400) for k in range(5)]
    payload = proposal(estate).payload()
    done = run.apply(staff_jinxiu, payload)
    assert (done.offered, done.waiting, done.unchanged) == (3, 2, 0)
    offers = WaitingListEntry.objects.filter(status="offered")
    assert {e.application_id for e in offers} == {a.pk for a in apps[:3]}
    assert all(e.offered_until > timezone.now() + timedelta(hours=47) for e in offers)
    rest = WaitingListEntry.objects.filter(status="waiting").order_by("rank")
    assert [e.application_id for e in rest] == [a.pk for a in apps[3:]]
    assert InboxMessage.objects.filter(title="A shared space is free for you").count() == 3
    snapshot = sorted(WaitingListEntry.objects.values_list("pk", "status", "rank"))

    again = run.apply(staff_jinxiu, payload)
    assert (again.offered, again.waiting, again.changed) == (0, 0, False)
    assert sorted(WaitingListEntry.objects.values_list("pk", "status", "rank")) == snapshot
    assert InboxMessage.objects.filter(title="A shared space is free for you").count() == 3
    # A fresh proposal now has nothing left to offer.
    assert not proposal(estate).min_cost.assignments


def test_a_space_sold_meanwhile_is_not_offered_twice(
    estate: Estate, applicant: Callable[..., Application], staff_jinxiu: Any, sell: Any
) -> None:
    for k in range(3):
        applicant(300 + 10 * k, 400)
    payload = proposal(estate).payload()
    sell(["浙B22222"])  # one of G01's two spaces goes before staff apply
    done = run.apply(staff_jinxiu, payload)
    assert (done.offered, done.taken_meanwhile) == (2, 1)
    g01 = Garage.objects.get(code="G01")
    holding = Pass.objects.filter(garage=g01, status__in=Pass.HOLDING).count()
    offers = WaitingListEntry.objects.filter(garage=g01, status="offered").count()
    assert holding + offers == 2


def test_a_tampered_or_foreign_proposal_is_refused(
    estate: Estate, applicant: Callable[..., Application], make_user: Any
) -> None:
    applicant(300, 400)
    token = run.sign(proposal(estate).payload())
    with pytest.raises(Conflict):
        run.unsign(token[:-2] + "xx")
    stranger = make_user(Role.COMMUNITY_STAFF, ELSEWHERE)
    with pytest.raises(PermissionDenied):
        run.apply(stranger, run.unsign(token))
    assert not WaitingListEntry.objects.exists()


# --- concurrency (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.skipif(not POSTGRES, reason="concurrent rounds run on PostgreSQL (SHEQU_DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
def test_two_staff_applying_at_once_offer_each_space_once(
    estate: Estate, applicant: Callable[..., Application], staff_jinxiu: Any, make_user: Any
) -> None:
    for k in range(6):
        applicant(300 + 10 * k, 400)
    payload = proposal(estate).payload()
    street = make_user(Role.STREET_STAFF, STREET, username="street")
    start = threading.Barrier(2)
    results: list[Any] = []

    def apply_as(user: Any) -> None:
        try:
            start.wait()
            results.append(run.apply(user, payload))
        finally:
            connection.close()

    threads = [threading.Thread(target=apply_as, args=(u,)) for u in (staff_jinxiu, street)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2
    assert sorted((r.offered, r.waiting) for r in results) == [(0, 0), (3, 3)]
    assert WaitingListEntry.objects.filter(status="offered").count() == 3
    ranks = list(
        WaitingListEntry.objects.filter(status="waiting").values_list("garage__code", "rank")
    )
    assert len(ranks) == len(set(ranks)) == 3
