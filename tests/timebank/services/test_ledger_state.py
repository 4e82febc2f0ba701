"""A hypothesis state machine drives random transfers, reversals and limit changes; after
every step the ledger's invariants hold and each balance matches a plain model of it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from shequ.core.models import Region
from shequ.timebank.models import Account, Transfer
from shequ.timebank.services import ledger
from shequ.timebank.services.errors import Conflict

pytestmark = pytest.mark.django_db


def machine(region: Region) -> type[RuleBasedStateMachine]:
    class LedgerMachine(RuleBasedStateMachine):
        transfers = Bundle("transfers")

        @initialize()
        def open_accounts(self) -> None:
            self.issue = Account.objects.create(
                region=region, kind="member", name="issue", lower_limit=None
            )
            self.accs = [
                Account.objects.create(region=region, kind="member", name=f"a{i}", lower_limit=0)
                for i in range(4)
            ]
            self.model = {a.pk: 0 for a in [self.issue, *self.accs]}
            self.limits: dict[int, tuple[int | None, int | None]] = {
                a.pk: (0, None) for a in self.accs
            }
            self.limits[self.issue.pk] = (None, None)
            self.reversed: set[int] = set()

        def fits(self, pk: int, balance: int) -> bool:
            lower, upper = self.limits[pk]
            return (lower is None or balance >= lower) and (upper is None or balance <= upper)

        def attempt(
            self, debit: Account, credit: Account, minutes: int, **kw: Any
        ) -> Transfer | None:
            ok = self.fits(debit.pk, self.model[debit.pk] - minutes) and self.fits(
                credit.pk, self.model[credit.pk] + minutes
            )
            try:
                made = ledger.transfer(debit, credit, minutes, kind="donation", **kw)
            except Conflict:
                assert not ok, "a transfer within the limits was refused"
                return None
            assert ok, "a transfer breaking a limit went through"
            self.model[debit.pk] -= minutes
            self.model[credit.pk] += minutes
            return made

        @rule(target=transfers, to=st.integers(0, 3), minutes=st.integers(1, 600))
        def seed(self, to: int, minutes: int) -> Transfer | None:
            return self.attempt(self.issue, self.accs[to], minutes)

        @rule(
            target=transfers, a=st.integers(0, 3), b=st.integers(0, 3), minutes=st.integers(1, 300)
        )
        def move(self, a: int, b: int, minutes: int) -> Transfer | None:
            if a == b:
                return None
            return self.attempt(self.accs[a], self.accs[b], minutes)

        @rule(t=transfers)
        def reverse(self, t: Transfer | None) -> None:
            if t is None or t.pk in self.reversed:
                return
            ok = self.fits(t.credit_id, self.model[t.credit_id] - t.minutes) and self.fits(
                t.debit_id, self.model[t.debit_id] + t.minutes
            )
            try:
                ledger.reverse(t)
            except Conflict:
                assert not ok
                return
            assert ok
            self.reversed.add(t.pk)
            self.model[t.credit_id] -= t.minutes
            self.model[t.debit_id] += t.minutes

        @rule(
            which=st.integers(0, 3),
            lower=st.integers(-300, 300),
            span=st.none() | st.integers(0, 900),
        )
        def change_limits(self, which: int, lower: int, span: int | None) -> None:
            acc = self.accs[which]
            upper = None if span is None else lower + span
            try:
                ledger.set_limits(acc, lower=lower, upper=upper)
            except Conflict:
                assert not (
                    lower <= self.model[acc.pk] and (upper is None or self.model[acc.pk] <= upper)
                )
                return
            self.limits[acc.pk] = (lower, upper)

        @invariant()
        def balanced(self) -> None:
            report = ledger.check()
            assert report.ok, report.problems
            for acc in Account.objects.filter(pk__in=list(self.model)):
                assert acc.balance == self.model[acc.pk]

    return LedgerMachine


def test_random_transfers_reversals_and_limits_keep_the_ledger_balanced(home: Region) -> None:
    run_state_machine_as_test(
        machine(home),
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
