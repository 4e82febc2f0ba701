"""The hours ledger: equal and opposite movements, limits refused whole, reversals, keys."""

from __future__ import annotations

from typing import Any

import pytest

from shequ.core.models import Region
from shequ.timebank.models import Account, ImmutableError, Movement, Transfer
from shequ.timebank.services import ledger
from shequ.timebank.services.errors import Conflict, Invalid


def account(region: Region, lower: int | None = 0, upper: int | None = None) -> Account:
    return Account.objects.create(
        region=region, kind="member", name="test", lower_limit=lower, upper_limit=upper
    )


@pytest.fixture
def funded(home: Region) -> tuple[Account, Account]:
    a, b = account(home), account(home)
    ledger.transfer(ledger.issue_of(home), a, 120, kind="seed")
    return a, b


def test_a_transfer_writes_equal_and_opposite_movements(funded: tuple[Account, Account]) -> None:
    a, b = funded
    t = ledger.transfer(a, b, 90, kind="donation", memo="thanks")
    assert sorted(Movement.objects.filter(transfer=t).values_list("minutes", flat=True)) == [
        -90,
        90,
    ]
    assert (a.balance, b.balance) == (30, 90)
    assert ledger.check().ok


def test_it_refuses_to_go_below_the_lower_limit_and_writes_nothing(
    funded: tuple[Account, Account],
) -> None:
    a, b = funded
    before = (Transfer.objects.count(), Movement.objects.count())
    with pytest.raises(Conflict) as caught:
        ledger.transfer(a, b, 121, kind="donation")
    assert caught.value.code == "insufficient_hours"
    assert "holds 2 h" in caught.value.message and "needs 0.02 h more" in caught.value.message
    assert (Transfer.objects.count(), Movement.objects.count()) == before
    a.refresh_from_db()
    assert a.balance == 120


def test_it_refuses_to_pass_the_upper_limit(funded: tuple[Account, Account], home: Region) -> None:
    a, _ = funded
    capped = account(home, upper=60)
    with pytest.raises(Conflict) as caught:
        ledger.transfer(a, capped, 61, kind="donation")
    assert caught.value.code == "over_upper_limit"
    ledger.transfer(a, capped, 60, kind="donation")
    assert capped.balance == 60


@pytest.mark.parametrize("minutes", [0, -5, 10**9, True])
def test_it_refuses_minutes_that_are_not_a_positive_amount(
    funded: tuple[Account, Account], minutes: Any
) -> None:
    a, b = funded
    with pytest.raises(Invalid) as caught:
        ledger.transfer(a, b, minutes, kind="donation")
    assert "minutes" in caught.value.fields


def test_a_transfer_to_the_same_account_is_refused(funded: tuple[Account, Account]) -> None:
    a, _ = funded
    with pytest.raises(Invalid):
        ledger.transfer(a, a, 10, kind="donation")


def test_a_reversal_moves_the_minutes_back_once(funded: tuple[Account, Account]) -> None:
    a, b = funded
    t = ledger.transfer(a, b, 100, kind="donation")
    back = ledger.reverse(t)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.balance, b.balance) == (120, 0)
    assert back.reverses == t and back.kind == "reversal"
    with pytest.raises(Conflict) as caught:
        ledger.reverse(t)
    assert caught.value.code == "already_reversed"
    with pytest.raises(Conflict):
        ledger.reverse(back)
    assert ledger.check().ok


def test_a_reversal_that_would_break_a_limit_is_refused(
    funded: tuple[Account, Account], home: Region
) -> None:
    a, b = funded
    t = ledger.transfer(a, b, 100, kind="donation")
    ledger.transfer(b, account(home), 50, kind="donation")  # b spent half already
    with pytest.raises(Conflict) as caught:
        ledger.reverse(t)
    assert caught.value.code == "insufficient_hours"


def test_a_retried_transfer_with_its_key_moves_the_minutes_once(
    funded: tuple[Account, Account],
) -> None:
    a, b = funded
    first = ledger.transfer(a, b, 30, kind="donation", key="k1")
    again = ledger.transfer(a, b, 30, kind="donation", key="k1")
    assert first.pk == again.pk
    b.refresh_from_db()
    assert b.balance == 30
    with pytest.raises(Conflict) as caught:
        ledger.transfer(a, b, 31, kind="donation", key="k1")
    assert caught.value.code == "key_reused"


def test_movements_are_never_changed_nor_deleted(funded: tuple[Account, Account]) -> None:
    movement = Movement.objects.first()
    assert movement is not None
    movement.minutes = 1
    with pytest.raises(ImmutableError):
        movement.save()
    with pytest.raises(ImmutableError):
        movement.delete()


def test_the_check_finds_a_balance_that_is_not_the_sum_of_its_movements(
    funded: tuple[Account, Account],
) -> None:
    a, _ = funded
    Account.objects.filter(pk=a.pk).update(balance=500)
    report = ledger.check()
    assert not report.ok
    assert any(f"account {a.pk}: balance 500" in p for p in report.problems)
    assert any("balances sum to 380" in p for p in report.problems)


def test_limits_that_the_balance_already_breaks_are_refused(
    funded: tuple[Account, Account],
) -> None:
    a, _ = funded
    with pytest.raises(Conflict):
        ledger.set_limits(a, lower=0, upper=60)
    with pytest.raises(Invalid):
        ledger.set_limits(a, lower=None, upper=None)
    ledger.set_limits(a, lower=-60, upper=600)
    assert (a.lower_limit, a.upper_limit) == (-60, 600)


def test_the_pool_and_issuing_account_are_one_per_community(home: Region) -> None:
    assert ledger.pool_of(home).pk == ledger.pool_of(home).pk
    assert ledger.issue_of(home).lower_limit is None
    assert ledger.hours(90) == "1.5" and ledger.hours(120) == "2"


def test_the_cli_check_says_ok_or_names_the_problem(
    funded: tuple[Account, Account], capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse
    import json

    from shequ.timebank.cli import check

    assert check(argparse.Namespace(json=True)) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    Account.objects.filter(pk=funded[0].pk).update(balance=1)
    assert check(argparse.Namespace(json=False)) == 1
    assert "problem: account" in capsys.readouterr().out


def test_the_pool_pays_a_service_found_and_locked_by_one_statement(
    funded: tuple[Account, Account], home: Region
) -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    _, member = funded
    pool = ledger.pool_of(home)
    ledger.transfer(ledger.issue_of(home), pool, 120, kind="seed")
    with transaction.atomic(), CaptureQueriesContext(connection) as seen:
        made = ledger.transfer_locked_from_pool(home.pk, member, 45, kind="subsidy", key="k1")
    reads = [q["sql"] for q in seen.captured_queries if q["sql"].startswith("SELECT")]
    assert len(reads) == 1 and made.debit_id == pool.pk and made.minutes == 45
    pool.refresh_from_db()
    assert pool.balance == 75 and ledger.check().ok
    with pytest.raises(Conflict), transaction.atomic():
        ledger.transfer_locked_from_pool(home.pk, member, 100, kind="subsidy")
    pool.refresh_from_db()
    assert pool.balance == 75  # refused before any write


def test_a_pool_not_made_yet_is_made_and_its_limit_holds(
    funded: tuple[Account, Account], regions: dict[str, Region]
) -> None:
    from django.db import transaction

    from timebank.factories import SIBLING

    _, member = funded
    sibling = regions[SIBLING]
    with pytest.raises(Conflict) as refused, transaction.atomic():
        ledger.transfer_locked_from_pool(sibling.pk, member, 10, kind="subsidy")
    assert refused.value.code == "insufficient_hours"  # the new, empty pool's lower limit
