"""Money paid back: what an order has paid and had back, refunds owed, and paying them back.

A refund is its own entry, never an edit of a payment, and never more than was paid and not
yet refunded. An order paid online is paid back through its provider (``issue_refund``,
idempotent by refund id); otherwise staff pay it back and complete the entry with the
transfer's reference.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.parking.models import Order, PaymentIntent, Refund
from shequ.parking.providers import PROVIDERS, ProviderError
from shequ.parking.services.access import require_staff
from shequ.parking.services.errors import Conflict


def paid_amount(order: Order) -> int:
    return int(order.payments.aggregate(total=Sum("amount_fen"))["total"] or 0)


def refunded_amount(order: Order) -> int:
    return int(order.refunds.aggregate(total=Sum("amount_fen"))["total"] or 0)


def _online_intent(order: Order) -> PaymentIntent | None:
    """The order's paid online payment, if it was paid online: refunds go back through it."""
    return order.intents.filter(status=PaymentIntent.Status.PAID).order_by("-created").first()


def request_refund(order: Order, amount_fen: int, reason: str, actor: User | None = None) -> Refund:
    """Owe money back (never more than was paid and not yet refunded).

    An order paid online is refunded through its provider (``issue_refund``); otherwise staff
    pay it back and complete the entry with the transfer's reference.
    """
    room = paid_amount(order) - refunded_amount(order)
    amount = min(amount_fen, room)
    if amount <= 0:
        raise Conflict(_("Nothing is left to refund on this order."), "nothing_to_refund")
    intent = _online_intent(order)
    refund = Refund.objects.create(
        order=order,
        amount_fen=amount,
        reason=reason[:200],
        provider=intent.provider if intent else "",
    )
    record("parking.refund.request", actor=actor, obj=order, amount_fen=amount, reason=reason)
    return refund


def complete_refund(actor: User, refund: Refund, reference: str) -> Refund:
    require_staff(actor, refund.order.pass_obj.garage.region.code)
    if not reference.strip():
        raise ValidationError({"reference": [_("Give the transfer's reference.")]})
    done = Refund.objects.filter(pk=refund.pk, status=Refund.Status.REQUESTED).update(
        status=Refund.Status.COMPLETED,
        reference=reference.strip()[:64],
        completed_at=timezone.now(),
        completed_by=actor,
    )
    refund.refresh_from_db()
    if done:
        record("parking.refund.complete", actor=actor, obj=refund.order, refund=refund.pk)
    return refund


def issue_refund(refund: Refund, actor: User | None = None) -> Refund:
    """Pay a refund back through the provider the order was paid with.

    Idempotent by refund id: the provider is always asked with the same ``refund_no``, and
    only the first answer completes the entry (and is audited). A refusal leaves the entry
    requested, for staff to pay back by transfer.
    """
    if refund.status != Refund.Status.REQUESTED or not refund.provider:
        return refund
    intent = _online_intent(refund.order)
    if intent is None or intent.provider != refund.provider:
        raise Conflict(_("This order was not paid online."), "not_online")
    Refund.objects.filter(pk=refund.pk, refund_no="").update(
        refund_no=f"{refund.order.number}R{refund.pk}"
    )
    refund.refresh_from_db()
    try:
        result = PROVIDERS[refund.provider]().refund(
            intent.out_trade_no, refund.refund_no, refund.amount_fen, refund.reason
        )
    except ProviderError as exc:
        record("parking.refund.provider_failed", actor=actor, obj=refund.order, refund=refund.pk)
        if not exc.permanent:
            raise Conflict(
                _("The payment service did not answer; please try again."), "provider_unavailable"
            ) from exc
        raise Conflict(
            _("The payment service refused the refund: %(why)s") % {"why": exc.message},
            "provider_refused",
        ) from exc
    done = result.status == "succeeded"
    changed = Refund.objects.filter(pk=refund.pk, status=Refund.Status.REQUESTED).update(
        status=Refund.Status.COMPLETED if done else Refund.Status.PROCESSING,
        reference=(result.provider_ref or result.refund_no)[:64],
        completed_at=timezone.now() if done else None,
        completed_by=actor,
    )
    if changed:
        record(
            "parking.refund.provider",
            actor=actor,
            obj=refund.order,
            refund=refund.pk,
            refund_no=refund.refund_no,
            amount_fen=refund.amount_fen,
            status=result.status,
        )
    refund.refresh_from_db()
    return refund


def refund_online(actor: User, refund: Refund) -> Refund:
    """Staff pay a requested refund back through the provider (from the refunds page)."""
    require_staff(actor, refund.order.pass_obj.garage.region.code)
    return issue_refund(refund, actor)


def staff_refund(actor: User, order: Order, *, amount_fen: int, reason: str) -> Refund:
    """Staff refund all or part of a paid order (from the payments page); online-paid orders
    are paid back through their provider at once."""
    require_staff(actor, order.pass_obj.garage.region.code)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the money is paid back.")]})
    if amount_fen <= 0:
        raise ValidationError({"amount_yuan": [_("Give an amount above zero.")]})
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        refund = request_refund(locked, amount_fen, reason.strip(), actor=actor)
    if refund.provider:
        refund = issue_refund(refund, actor)
    return refund
