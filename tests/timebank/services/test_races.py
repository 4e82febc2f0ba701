"""Races on PostgreSQL: many volunteers pressing "take" at once get one slot each and no
more than the request has; transfers at once never spend the same minutes twice nor deadlock.

On SQLite every write transaction runs alone and the test database's shared cache fails
table locks at once, so these run on PostgreSQL only (as tests/parking's races do).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from shequ.core.models import Region
from shequ.timebank.models import Account, HelpRequest, Member, Order
from shequ.timebank.services import ledger, orders
from shequ.timebank.services.errors import Conflict
from timebank.factories import NOW, add_volunteer, post, seed
from timebank.race import postgres_only, race

pytestmark = postgres_only
THREADS = 8


@pytest.mark.parametrize("slots", [1, 3])
def test_volunteers_taking_at_once_get_exactly_the_slots_there_are(
    daughter: Any, father: Member, tb_staff: Any, home: Region, slots: int
) -> None:
    crowd: list[Any] = [add_volunteer(tb_staff, home).user for _ in range(THREADS)]
    req = post(daughter, father, volunteers_needed=slots)
    answers = race([partial(orders.take, u, req, now=NOW) for u in crowd])
    taken = [a for a in answers if isinstance(a, Order)]
    refused = [a for a in answers if isinstance(a, Conflict)]
    assert len(taken) == slots and len(refused) == THREADS - slots, answers
    assert {a.code for a in refused} <= {"full", "not_open"}
    active = Order.objects.filter(request=req, status="taken")
    assert sorted(active.values_list("slot", flat=True)) == list(range(1, slots + 1))
    req.refresh_from_db()
    assert req.status == HelpRequest.Status.TAKEN


def test_transfers_at_once_never_spend_the_same_minutes_twice(home: Region) -> None:
    source = Account.objects.create(region=home, kind="member", name="s", lower_limit=0)
    seed(home, 300, source)
    targets = [
        Account.objects.create(region=home, kind="member", name=f"t{i}", lower_limit=0)
        for i in range(THREADS)
    ]
    answers = race([partial(ledger.transfer, source, t, 60, kind="donation") for t in targets])
    assert sum(not isinstance(a, Exception) for a in answers) == 5
    assert all(isinstance(a, Conflict) for a in answers if isinstance(a, Exception))
    source.refresh_from_db()
    assert source.balance == 0
    assert ledger.check().ok


def test_crossing_transfers_do_not_deadlock(home: Region) -> None:
    a = Account.objects.create(region=home, kind="member", name="a", lower_limit=0)
    b = Account.objects.create(region=home, kind="member", name="b", lower_limit=0)
    seed(home, 1000, a)
    seed(home, 1000, b)
    work = [
        (lambda: ledger.transfer(a, b, 7, kind="donation"))
        if i % 2
        else (lambda: ledger.transfer(b, a, 5, kind="donation"))
        for i in range(THREADS * 2)
    ]
    answers = race(work)
    assert not [x for x in answers if isinstance(x, Exception)]
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.balance, b.balance) == (1000 - 8 * 7 + 8 * 5, 1000 + 8 * 7 - 8 * 5)
    assert ledger.check().ok


def test_a_retried_confirmation_at_once_pays_once(
    daughter: Any, father: Member, volunteer: Any, home: Region
) -> None:
    from timebank.factories import serve

    seed(home, 600)
    order = serve(volunteer.user, post(daughter, father))
    answers = race([lambda: orders.confirm(daughter, order)] * 4)
    assert all(isinstance(x, Order) for x in answers), answers
    assert ledger.pool_of(home).balance == 540
    assert ledger.check().ok


def test_volunteers_taking_a_series_at_once_get_it_whole_or_not_at_all(
    daughter: Any, father: Member, tb_staff: Any, home: Region
) -> None:
    """Series takers and single-occurrence takers race: each occurrence ends with exactly
    one volunteer, and a series taker either holds every occurrence or none."""
    from datetime import timedelta

    from shequ.timebank.services import series
    from timebank.factories import START

    made = series.post(
        daughter,
        father,
        category="meals",
        description="每天送饭",
        first_starts_at=START,
        window_minutes=120,
        count=5,
        estimated_minutes=45,
        now=NOW,
    )
    occurrences = list(made.occurrences.order_by("starts_at"))
    whole = [add_volunteer(tb_staff, home).user for _ in range(4)]
    single = [add_volunteer(tb_staff, home).user for _ in range(4)]
    work = [partial(series.take, u, made, now=NOW) for u in whole] + [
        partial(orders.take, u, occurrences[i], now=NOW) for i, u in enumerate(single)
    ]
    answers = race(work)
    assert not [a for a in answers if isinstance(a, Exception) and not isinstance(a, Conflict)]
    winners = [a for a in answers[:4] if isinstance(a, list)]
    assert len(winners) <= 1
    for i, req in enumerate(occurrences):
        held = Order.objects.filter(request=req, status="taken").count()
        # Occurrences 0-3 were each wanted by a single taker: someone holds each. The last
        # one only by the series takers: held exactly when one of them got the series.
        assert held == (1 if i < 4 or winners else 0), (i, answers)
    for user, answer in zip(whole, answers[:4], strict=True):
        held = Order.objects.filter(volunteer__user=user, status="taken").count()
        assert held in (0, 5) and (held == 5) is isinstance(answer, list)
    assert START - timedelta(hours=1) < occurrences[0].starts_at
