"""Orders (接单): taking a slot of a request, handing it back, checking in and out,
confirming (the hours move), objecting, no-shows, and the worker's auto-confirmation.

Taking relies on the database: a partial unique index allows one active order per
(request, slot), so of many volunteers pressing "take" at once exactly one gets each slot;
the others' inserts fail and they try the next slot, or are told the request is full.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.types import User
from shequ.timebank.models import ACTIVE_ORDER, HelpRequest, Order, Transfer
from shequ.timebank.services import ledger
from shequ.timebank.services.access import is_staff_at, member_of
from shequ.timebank.services.errors import Conflict, Forbidden, Invalid
from shequ.timebank.services.notices import is_muted, tell, tell_requester
from shequ.timebank.services.requests import (
    LOCKED_WITH,
    History,
    lock,
    refresh_status,
    requester_side,
)

S = Order.Status
MAX_REPORTED = 12 * 60


# What a step reads of the locked rows beyond the order and its request: who is told of
# it, and the accounts that pay. Each step joins only what it reads: the join is compiled
# anew on every call, which cost a checked-in order more CPU than its statements' round trips.
TOLD = tuple(f"request__{name}" for name in LOCKED_WITH)
PAYING = ("request__beneficiary__account", "volunteer__user", "volunteer__account")
EVERYTHING = (*TOLD, *PAYING)


def _locked(order: Order, related: tuple[str, ...] = EVERYTHING) -> Order:
    """The order and its request, both rows locked by one statement, with ``related`` (by
    default all that any step reads: who is told, the accounts that pay)."""
    locked = (
        Order.objects.select_for_update(of=("self", "request"))
        .select_related("request", *related)
        .get(pk=order.pk)
    )
    # What the caller read and never changes (the region, the volunteer) rather than reading
    # it again.
    known = order.request if Order.request.is_cached(order) else None
    if known is not None and HelpRequest.region.is_cached(known):
        locked.request.region = known.region
    if Order.volunteer.is_cached(order) and not Order.volunteer.is_cached(locked):
        locked.volunteer = order.volunteer
    return locked


def _move(
    history: History,
    order: Order,
    to: str,
    actor: User | None,
    at: datetime,
    action: str,
    note: str = "",
) -> None:
    history.add(
        order.request,
        action,
        to,
        actor=actor,
        at=at,
        order=order,
        from_status=order.status,
        note=note,
    )
    order.status = to


def take(actor: User, req: HelpRequest, *, now: datetime | None = None) -> Order:
    """The volunteer takes the first free slot of an open request."""
    now = now or timezone.now()
    volunteer = member_of(actor, volunteer=True)
    if volunteer.region_id != req.region_id:
        raise Forbidden(_("You volunteer in another community."), "other_community")
    if req.beneficiary_id == volunteer.pk:
        raise Conflict(_("You cannot take your own request."), "own_request")
    if req.status != HelpRequest.Status.OPEN or req.ends_at <= now:
        mine = req.orders.filter(volunteer=volunteer, status__in=ACTIVE_ORDER).first()
        if mine is not None:
            return mine  # a retried take
        raise Conflict(_("This request is no longer open."), "not_open")
    for slot in range(1, req.volunteers_needed + 1):
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    request=req, slot=slot, volunteer=volunteer, status=S.TAKEN, taken_at=now
                )
                locked = lock(req)
                if locked.status != HelpRequest.Status.OPEN:
                    raise Conflict(_("This request is no longer open."), "not_open")
                history = History()
                history.add(locked, "take", S.TAKEN, actor=actor, at=now, order=order)
                refresh_status(
                    locked,
                    actor=actor,
                    at=now,
                    action="take",
                    history=history,
                    changed=order,
                    also={"first_taken_at": now} if locked.first_taken_at is None else None,
                )
                history.write()
                tell_requester(
                    locked,
                    _("A volunteer (%(name)s) took your help request #%(pk)s")
                    % {"name": volunteer.name, "pk": req.pk},
                )
        except IntegrityError:
            # The slot went to someone else a moment ago, or this volunteer holds one already
            # (a retried take at the same moment): their order is the answer.
            mine = req.orders.filter(volunteer=volunteer, status__in=ACTIVE_ORDER).first()
            if mine is not None:
                return mine
            continue
        req.status, req.first_taken_at = locked.status, locked.first_taken_at
        return order
    raise Conflict(_("Every slot of this request has been taken."), "full")


def _require_volunteer(actor: User, order: Order) -> None:
    if order.volunteer.user_id != actor.pk:
        raise Forbidden(_("This is another volunteer's order."), "not_your_order")


def hand_back(actor: User, order: Order, *, reason: str = "", now: datetime | None = None) -> Order:
    """Before the service starts, the volunteer gives the slot back to the pool of requests."""
    now = now or timezone.now()
    _require_volunteer(actor, order)
    with transaction.atomic():
        order = _locked(order)
        if order.status == S.HANDED_BACK:
            return order
        if order.status != S.TAKEN or now >= order.request.starts_at:
            raise Conflict(
                _("An order can be handed back only before its service starts."), "too_late"
            )
        req = order.request
        history = History()
        _move(history, order, S.HANDED_BACK, actor, now, "hand_back", reason)
        order.save(update_fields=["status"])
        refresh_status(req, actor=actor, at=now, action="hand_back", history=history, changed=order)
        history.write()
        tell_requester(
            req,
            _("The volunteer handed back help request #%(pk)s; it is open again") % {"pk": req.pk},
            reason,
        )
    return order


def check_in(actor: User, order: Order, *, now: datetime | None = None) -> Order:
    now = now or timezone.now()
    _require_volunteer(actor, order)
    with transaction.atomic():
        order = _locked(order, ())
        if order.status == S.IN_SERVICE:
            return order
        if order.status != S.TAKEN:
            raise Conflict(
                _("An order that is %(display)s cannot start.")
                % {"display": order.get_status_display()},
                "bad_state",
            )
        if now < order.request.starts_at - timedelta(hours=2) or now > order.request.ends_at:
            raise Conflict(_("Check in within the request's time window."), "outside_window")
        req = order.request
        history = History()
        _move(history, order, S.IN_SERVICE, actor, now, "check_in")
        order.checked_in_at = now
        order.save(update_fields=["status", "checked_in_at"])
        refresh_status(req, actor=actor, at=now, action="check_in", history=history, changed=order)
        history.write()
    return order


def check_out(
    actor: User, order: Order, *, minutes: int | None = None, now: datetime | None = None
) -> Order:
    """The volunteer ends the service and reports its minutes (by default, the time checked in)."""
    now = now or timezone.now()
    _require_volunteer(actor, order)
    with transaction.atomic():
        order = _locked(order, TOLD)
        if order.status in (S.COMPLETED, S.CONFIRMED):
            return order
        if order.status != S.IN_SERVICE or order.checked_in_at is None:
            raise Conflict(_("Check in before checking out."), "bad_state")
        spent = max(1, round((now - order.checked_in_at).total_seconds() / 60))
        reported = spent if minutes is None else minutes
        if not 1 <= reported <= MAX_REPORTED:
            raise Invalid(
                _("Report between 1 and %(max_reported)s minutes.")
                % {"max_reported": MAX_REPORTED},
                fields={
                    "minutes": [
                        _("Between 1 and %(max_reported)s.") % {"max_reported": MAX_REPORTED}
                    ]
                },
            )
        req = order.request
        history = History()
        _move(history, order, S.COMPLETED, actor, now, "check_out")
        order.checked_out_at, order.reported_minutes = now, reported
        order.save(update_fields=["status", "checked_out_at", "reported_minutes"])
        refresh_status(req, actor=actor, at=now, action="check_out", history=history, changed=order)
        history.write()
        tell_requester(
            req,
            _("Help request #%(pk)s is done: please confirm %(n)s minutes and rate")
            % {"pk": req.pk, "n": reported},
        )
    return order


def _pay(order: Order, minutes: int, actor: User | None) -> Transfer:
    """Hours from the beneficiary, or from the community pool when they have too few.

    Inside ``confirm``'s transaction, which holds the order's lock and has seen it
    unconfirmed: the key cannot have been used, so the ledger writes without looking it up."""
    req = order.request
    key = f"order:{order.pk}:confirm"
    payer = req.beneficiary.account
    credit = order.volunteer.account
    memo = f"help request #{req.pk}"
    # The balance read here only saves a refused attempt; the transfer checks it under lock.
    if payer.lower_limit is None or payer.balance - minutes >= payer.lower_limit:
        try:
            return ledger.transfer_locked(
                payer, credit, minutes, kind=Transfer.Kind.SERVICE, memo=memo, actor=actor, key=key
            )
        except Conflict as exc:
            if exc.code != "insufficient_hours":
                raise
    return ledger.transfer_locked_from_pool(
        req.region_id,
        credit,
        minutes,
        kind=Transfer.Kind.SUBSIDY,
        memo=memo,
        actor=actor,
        key=f"{key}:pool",
    )


def confirm(
    actor: User | None,
    order: Order,
    *,
    minutes: int | None = None,
    now: datetime | None = None,
    note: str = "",
) -> Order:
    """The requester side (or staff, or the worker after the objection period) confirms the
    service: the reported minutes move to the volunteer. Only staff settle an objection, and
    only they may change the minutes."""
    now = now or timezone.now()
    staff = actor is not None and is_staff_at(actor, order.request.region)
    if actor is not None and not (staff or requester_side(actor, order.request)):
        raise Forbidden(
            _("Only the requester, their family or staff may confirm."), "not_requester"
        )
    if minutes is not None and not staff:
        raise Forbidden(_("Only staff may change the minutes."), "not_staff")
    with transaction.atomic():
        order = _locked(order, PAYING)
        if order.status == S.CONFIRMED:
            return order  # a retried confirmation
        allowed = (S.COMPLETED, S.DISPUTED) if staff else (S.COMPLETED,)
        if order.status not in allowed:
            raise Conflict(
                _("An order that is %(display)s cannot be confirmed.")
                % {"display": order.get_status_display()},
                "bad_state",
            )
        paid = minutes if minutes is not None else order.reported_minutes or 0
        if not 1 <= paid <= MAX_REPORTED:
            raise Invalid(
                _("Between 1 and %(max_reported)s minutes.") % {"max_reported": MAX_REPORTED},
                fields={"minutes": [_("Range.")]},
            )
        req = order.request
        history = History()
        action = "confirm" if actor else "auto_confirm"
        _move(history, order, S.CONFIRMED, actor, now, action, note)
        order.confirmed_at = now
        refresh_status(req, actor=actor, at=now, action="confirm", history=history, changed=order)
        history.write()
        # The accounts last: the community pool pays most services, so its row lock is held
        # from here to the commit only (all confirmations queue on it).
        order.transfer = _pay(order, paid, actor)
        order.save(update_fields=["status", "confirmed_at", "transfer"])
        if not is_muted():
            tell(
                [order.volunteer.user],
                _("%(n)s minutes confirmed for help request #%(pk)s") % {"n": paid, "pk": req.pk},
            )
    return order


def object_to(actor: User, order: Order, *, reason: str, now: datetime | None = None) -> Order:
    """The requester side objects to a completed service: it waits for staff."""
    now = now or timezone.now()
    if not requester_side(actor, order.request):
        raise Forbidden(_("Only the requester or their family may object."), "not_requester")
    if not reason.strip():
        raise Invalid(_("Say what is wrong."), fields={"reason": [_("Required.")]})
    with transaction.atomic():
        order = _locked(order)
        if order.status == S.DISPUTED:
            return order
        if order.status != S.COMPLETED:
            raise Conflict(
                _("Only a completed, unconfirmed service can be objected to."), "bad_state"
            )
        history = History()
        _move(history, order, S.DISPUTED, actor, now, "object", reason)
        order.save(update_fields=["status"])
        history.write()
    return order


def mark_no_show(actor: User, order: Order, *, now: datetime | None = None) -> Order:
    """The volunteer did not come: the requester side or staff say so after the start."""
    now = now or timezone.now()
    if not requester_side(actor, order.request):
        raise Forbidden(_("Only the requester, their family or staff may say so."), "not_requester")
    with transaction.atomic():
        order = _locked(order)
        if order.status == S.NO_SHOW:
            return order
        if order.status != S.TAKEN or now < order.request.starts_at:
            raise Conflict(_("A no-show is marked on a taken order after its start."), "bad_state")
        req = order.request
        history = History()
        _move(history, order, S.NO_SHOW, actor, now, "no_show")
        order.save(update_fields=["status"])
        refresh_status(req, actor=actor, at=now, action="no_show", history=history, changed=order)
        history.write()
    return order


def auto_confirm(now: datetime | None = None) -> int:
    """Completed services nobody objected to within the period are confirmed (the worker)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.TIMEBANK_AUTO_CONFIRM_DAYS)
    due = Order.objects.filter(status=S.COMPLETED, checked_out_at__lte=cutoff)
    done = 0
    for order in due.select_related("request"):
        try:
            confirm(None, order, now=now, note="no objection within the period")
            done += 1
        except Conflict:
            continue  # neither the beneficiary nor the pool has the hours: staff see it
    return done
