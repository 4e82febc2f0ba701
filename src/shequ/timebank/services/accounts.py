"""What people do with hours beyond services: donate them, and staff's corrections and seeding.

Every one goes through ``ledger.transfer`` (limits, locks, keys) and leaves an audit event.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shequ.core.models import Region
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.timebank.models import Member, Transfer
from shequ.timebank.services import ledger
from shequ.timebank.services.access import member_of, require_staff
from shequ.timebank.services.errors import Invalid, NotFound


def donate(
    actor: User,
    *,
    to: Member | None,
    minutes: int,
    key: str | None = None,
    request: HttpRequest | None = None,
) -> Transfer:
    """A member gives hours to another member of the community, or to its pool (``to=None``)."""
    giver = member_of(actor)
    if to is not None and to.region_id != giver.region_id:
        raise NotFound(_("No such member in your community."), fields={"to": [_("Not found.")]})
    if to is not None and to.pk == giver.pk:
        raise Invalid(_("Give to somebody else, or to the pool."), fields={"to": [_("Yourself.")]})
    target = to.account if to is not None else ledger.pool_of(giver.region)
    full_key = f"donate:{actor.pk}:{key}" if key else None
    retry = (
        full_key is not None and Transfer.objects.filter(key=ledger.stored_key(full_key)).exists()
    )
    with transaction.atomic():
        made = ledger.transfer(
            giver.account,
            target,
            minutes,
            kind=Transfer.Kind.DONATION,
            memo="donation",
            actor=actor,
            key=full_key,
        )
        if not retry:  # a retry returns the first donation, already audited
            record("timebank.donate", actor=actor, obj=giver, request=request, minutes=minutes)
    return made


def reverse(
    actor: User, transfer: Transfer, *, reason: str, request: HttpRequest | None = None
) -> Transfer:
    """Staff of the community correct a transfer by reversing it (once), saying why."""
    region = transfer.debit.region
    require_staff(actor, region)
    if not reason.strip():
        raise Invalid(_("Say why the transfer is reversed."), fields={"reason": [_("Required.")]})
    with transaction.atomic():
        made = ledger.reverse(transfer, actor=actor, memo=reason.strip()[:200])
        record("timebank.reverse", actor=actor, obj=region, request=request, transfer=transfer.pk)
    return made


def seed_pool(actor: User, region: Region, *, minutes: int, key: str | None = None) -> Transfer:
    """Staff put seed hours into their community's pool (from its issuing account)."""
    require_staff(actor, region)
    with transaction.atomic():
        made = ledger.transfer(
            ledger.issue_of(region),
            ledger.pool_of(region),
            minutes,
            kind=Transfer.Kind.SEED,
            memo="seed hours",
            actor=actor,
            key=f"seed:{key}" if key else None,
        )
        record("timebank.seed", actor=actor, obj=region, minutes=minutes)
    return made
