"""The hours ledger: transfers between accounts, reversals, and the invariants' check.

A transfer locks both accounts in id order (``select_for_update``), so two transfers that
touch the same accounts queue instead of deadlocking or spending the same minutes twice; it
checks the limits on the locked balances, then writes the transfer, its two movements and the
new balances in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Case, Count, F, Q, Sum, Value, When
from django.utils.translation import gettext as _

from shequ.core.models import Region
from shequ.core.types import User
from shequ.timebank.models import Account, Movement, Transfer
from shequ.timebank.services.errors import Conflict, Invalid, NotFound

MAX_MINUTES = 100_000 * 60  # one transfer: far above any real service, below integer limits
POOL_LOWER_LIMIT = 0
MEMBER_LOWER_LIMIT = 0
KEY_LENGTH = Transfer._meta.get_field("key").max_length or 100


def hours(minutes: int) -> str:
    """``90`` -> ``"1.5"``: minutes shown as hours."""
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def pool_of(region: Region) -> Account:
    """The community's pool (seed hours, donations, subsidies), created on first use."""
    account, _ = Account.objects.get_or_create(
        region=region,
        kind=Account.Kind.POOL,
        defaults={"name": f"{region.name} pool", "lower_limit": POOL_LOWER_LIMIT},
    )
    return account


def pool_in(region_id: int) -> Account:
    """The pool of the region with this id (one query when it exists)."""
    found = Account.objects.filter(region_id=region_id, kind=Account.Kind.POOL).first()
    return found or pool_of(Region.objects.get(pk=region_id))


def issue_of(region: Region) -> Account:
    """The community's issuing account: seed hours leave it, so it has no lower limit."""
    account, _ = Account.objects.get_or_create(
        region=region,
        kind=Account.Kind.ISSUE,
        defaults={"name": f"{region.name} issued", "lower_limit": None},
    )
    return account


def _check_limits(account: Account, new_balance: int) -> None:
    if account.lower_limit is not None and new_balance < account.lower_limit:
        short = account.lower_limit - new_balance
        raise Conflict(
            _(
                "Not enough hours in %(account_name)s: it holds %(balance)s h, may not go "
                "below %(limit)s h, and this needs %(hours_short)s h more."
            )
            % {
                "account_name": account.name,
                "balance": hours(account.balance),
                "limit": hours(account.lower_limit),
                "hours_short": hours(short),
            },
            "insufficient_hours",
        )
    if account.upper_limit is not None and new_balance > account.upper_limit:
        raise Conflict(
            _(
                "%(account_name)s may hold at most %(limit)s h; this would bring it to "
                "%(hours_new_balance)s h."
            )
            % {
                "account_name": account.name,
                "limit": hours(account.upper_limit),
                "hours_new_balance": hours(new_balance),
            },
            "over_upper_limit",
        )


def _locked(*account_ids: int) -> dict[int, Account]:
    """Lock the accounts in id order (the one order every transfer takes: no deadlock)."""
    ids = sorted(set(account_ids))
    locked = {
        a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    if len(locked) != len(ids):
        raise NotFound(_("No such hours account."), "no_account")
    return locked


def stored_key(key: str) -> str:
    """A caller's key as the ledger keeps it: as it is, or its digest when the scope a service
    put before it (``donate:<user>:``, ``seed:``) makes it longer than the column."""
    if len(key) <= KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _existing(key: str, debit: Account, credit: Account, minutes: int) -> Transfer | None:
    found = Transfer.objects.filter(key=key).first()
    if found is None:
        return None
    if (found.debit_id, found.credit_id, found.minutes) != (debit.pk, credit.pk, minutes):
        raise Conflict(
            _("This request key was already used for a different transfer."),
            "key_reused",
            fields={"key": [_("Already used for a different transfer.")]},
        )
    return found


def _check_amount(debit: Account, credit: Account, minutes: int) -> None:
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        raise Invalid(
            _("Minutes must be a whole number above 0."), fields={"minutes": [_("Above 0.")]}
        )
    if minutes > MAX_MINUTES:
        raise Invalid(
            _("At most %(max_minutes)s minutes in one transfer.") % {"max_minutes": MAX_MINUTES},
            fields={"minutes": [_("At most %(max_minutes)s.") % {"max_minutes": MAX_MINUTES}]},
        )
    if debit.pk == credit.pk:
        raise Invalid(
            _("A transfer needs two different accounts."), fields={"credit": [_("Same.")]}
        )


def _write(debit: Account, credit: Account, minutes: int, **what: Any) -> Transfer:
    """Lock, check the limits, write the transfer, its movements and both balances (five
    statements); the caller's account objects get the new balances."""
    accounts = _locked(debit.pk, credit.pk)
    source, target = accounts[debit.pk], accounts[credit.pk]
    return _write_locked(source, target, minutes, debit=debit, credit=credit, **what)


def _write_locked(
    source: Account,
    target: Account,
    minutes: int,
    *,
    kind: str,
    memo: str,
    actor: User | None,
    key: str | None,
    reverses: Transfer | None,
    debit: Account,
    credit: Account,
) -> Transfer:
    """``_write`` once both rows are locked (``source`` and ``target`` as read under the lock);
    ``debit`` and ``credit``, the caller's objects, get the new balances."""
    _check_limits(source, source.balance - minutes)
    _check_limits(target, target.balance + minutes)
    made = Transfer.objects.create(
        kind=kind,
        debit=source,
        credit=target,
        minutes=minutes,
        memo=memo[:200],
        key=key,
        reverses=reverses,
        created_by=actor,
    )
    Movement.objects.bulk_create(
        [
            Movement(transfer=made, account=source, minutes=-minutes),
            Movement(transfer=made, account=target, minutes=minutes),
        ]
    )
    Account.objects.filter(pk__in=(source.pk, target.pk)).update(
        balance=F("balance")
        + Case(
            When(pk=source.pk, then=Value(-minutes)),
            default=Value(minutes),
            output_field=BigIntegerField(),
        )
    )
    debit.balance, credit.balance = source.balance - minutes, target.balance + minutes
    return made


def transfer(
    debit: Account,
    credit: Account,
    minutes: int,
    *,
    kind: str,
    memo: str = "",
    actor: User | None = None,
    key: str | None = None,
    reverses: Transfer | None = None,
) -> Transfer:
    """Move ``minutes`` from ``debit`` to ``credit``; refuse what would break a limit.

    With ``key``, a retried call returns the first transfer instead of moving the minutes
    twice.
    """
    _check_amount(debit, credit, minutes)
    if key is not None:
        key = stored_key(key)
    if key is not None and (found := _existing(key, debit, credit, minutes)):
        return found
    try:
        with transaction.atomic():
            return _write(
                debit,
                credit,
                minutes,
                kind=kind,
                memo=memo,
                actor=actor,
                key=key,
                reverses=reverses,
            )
    except IntegrityError:
        # Two retries with one key at once, or two reversals of one transfer: the first won.
        if key is not None and (found := _existing(key, debit, credit, minutes)):
            return found
        if reverses is not None:
            raise Conflict(
                _("This transfer has been reversed already."), "already_reversed"
            ) from None
        raise


def transfer_locked(
    debit: Account,
    credit: Account,
    minutes: int,
    *,
    kind: str,
    memo: str = "",
    actor: User | None = None,
    key: str | None = None,
) -> Transfer:
    """``transfer`` inside the caller's transaction, for a caller whose own lock already makes
    ``key`` unused (``orders.confirm`` holds the order's row and has seen it unconfirmed): no
    look-up of the key and no savepoint. A refusal (a limit) comes before any write, so the
    caller's transaction stays usable; a key used after all fails the caller's transaction.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transfer_locked runs inside the caller's transaction")
    _check_amount(debit, credit, minutes)
    return _write(
        debit,
        credit,
        minutes,
        kind=kind,
        memo=memo,
        actor=actor,
        key=None if key is None else stored_key(key),
        reverses=None,
    )


def transfer_locked_from_pool(
    region_id: int,
    credit: Account,
    minutes: int,
    *,
    kind: str,
    memo: str = "",
    actor: User | None = None,
    key: str | None = None,
) -> Transfer:
    """``transfer_locked`` from the pool of the region with this id: the pool is found by the
    statement that locks both rows (in id order, as every transfer locks), not read first."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transfer_locked_from_pool runs inside the caller's transaction")
    pool_row = Q(region_id=region_id, kind=Account.Kind.POOL)
    rows = list(
        Account.objects.select_for_update().filter(Q(pk=credit.pk) | pool_row).order_by("pk")
    )
    pool = next((a for a in rows if a.kind == Account.Kind.POOL and a.region_id == region_id), None)
    target = next((a for a in rows if a.pk == credit.pk), None)
    what: dict[str, Any] = {"kind": kind, "memo": memo, "actor": actor, "key": key}
    if pool is None or target is None:  # no pool yet (made on first use), or no such account
        return transfer_locked(pool_in(region_id), credit, minutes, **what)
    _check_amount(pool, target, minutes)
    what["key"] = None if key is None else stored_key(key)
    return _write_locked(pool, target, minutes, reverses=None, debit=pool, credit=credit, **what)


def reverse(original: Transfer, *, actor: User | None = None, memo: str = "") -> Transfer:
    """Correct a transfer by moving its minutes back (once); the limits apply as ever."""
    if original.kind == Transfer.Kind.REVERSAL:
        raise Conflict(
            _("A reversal is not reversed; make a new transfer."), "reversal_of_reversal"
        )
    if Transfer.objects.filter(reverses=original).exists():
        raise Conflict(_("This transfer has been reversed already."), "already_reversed")
    return transfer(
        original.credit,
        original.debit,
        original.minutes,
        kind=Transfer.Kind.REVERSAL,
        memo=memo or f"reverses #{original.pk}",
        actor=actor,
        key=f"reverse:{original.pk}",
        reverses=original,
    )


def set_limits(account: Account, *, lower: int | None, upper: int | None) -> Account:
    """Change an account's limits; a limit its balance already breaks is refused."""
    if account.kind == Account.Kind.MEMBER and lower is None:
        raise Invalid(
            _("A member's account needs a lower limit."), fields={"lower": [_("Required.")]}
        )
    if lower is not None and upper is not None and lower > upper:
        raise Invalid(
            _("The lower limit is above the upper one."), fields={"lower": [_("Too high.")]}
        )
    with transaction.atomic():
        locked = _locked(account.pk)[account.pk]
        locked.lower_limit, locked.upper_limit = lower, upper
        _check_limits(locked, locked.balance)
        locked.save(update_fields=["lower_limit", "upper_limit"])
    account.refresh_from_db()
    return account


@dataclass
class CheckReport:
    """What ``check`` found: empty ``problems`` means every invariant holds."""

    accounts: int = 0
    transfers: int = 0
    total_balance: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check() -> CheckReport:
    """Verify the ledger: balances sum to zero, each balance is the sum of its movements,
    each transfer has two opposite movements, and no balance breaks its account's limits."""
    report = CheckReport()
    with transaction.atomic():  # one snapshot on PostgreSQL (repeatable within the queries)
        sums = dict(
            Movement.objects.values_list("account_id").annotate(total=Sum("minutes")).order_by()
        )
        for account in Account.objects.all():
            report.accounts += 1
            report.total_balance += account.balance
            moved = int(sums.get(account.pk) or 0)
            if moved != account.balance:
                report.problems.append(
                    f"account {account.pk}: balance {account.balance} but movements sum to {moved}"
                )
            if account.lower_limit is not None and account.balance < account.lower_limit:
                report.problems.append(f"account {account.pk}: below its lower limit")
            if account.upper_limit is not None and account.balance > account.upper_limit:
                report.problems.append(f"account {account.pk}: above its upper limit")
        if report.total_balance != 0:
            report.problems.append(f"balances sum to {report.total_balance}, not 0")
        lopsided = (
            Transfer.objects.annotate(
                n=Count("movements"),
                net=Sum("movements__minutes"),
                plus=Sum("movements__minutes", filter=Q(movements__minutes__gt=0)),
            )
            .exclude(n=2, net=0, plus=F("minutes"))
            .values_list("pk", flat=True)
        )
        report.problems.extend(
            f"transfer {pk}: movements not equal and opposite" for pk in lopsided
        )
        report.transfers = Transfer.objects.count()
    return report
