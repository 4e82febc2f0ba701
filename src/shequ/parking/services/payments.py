"""Paying for orders: providers, idempotent confirmation, online payments, refunds.

The providers live in ``shequ.parking.providers`` (a registry from kind to class). Everything
after a provider has spoken is shared here: a payment is recorded once per (provider,
transaction id); a paid order activates its pass, or is refunded when the pass can no longer be
had; refunds are their own entries, never edits of a payment.

Online payments (``SHEQU_PAYMENT_PROVIDER``): ``start_online`` opens a ``PaymentIntent`` (one
``out_trade_no`` at the provider) and returns where the payer goes; the provider's signed
notification arrives at ``handle_notification`` (the callback endpoint calls it, and so does
the demo cashier), which answers a repeat with its first answer, byte for byte.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.services.audit import record
from shequ.parking.models import Garage, Order, Pass, Payment, PaymentIntent, Refund
from shequ.parking.providers import (
    PROVIDERS,
    CallbackData,
    CallbackRejected,
    OfflineProvider,
    PaymentProvider,
    PaymentRequest,
    ProviderError,
    SignedCallbackProvider,
    online_provider,
    signature,
)
from shequ.parking.services.access import require_staff
from shequ.parking.services.capacity import free_spaces
from shequ.parking.services.errors import Conflict

__all__ = [
    "PROVIDERS",
    "CallbackData",
    "CallbackRejected",
    "OfflineProvider",
    "PaymentProvider",
    "SignedCallbackProvider",
    "signature",
]

logger = logging.getLogger(__name__)
CALLBACK_PATH = "/api/v1/parking/payments/callback/{kind}"


def get_provider(kind: str) -> PaymentProvider:
    try:
        return PROVIDERS[kind]()
    except KeyError:
        raise ValidationError(
            {"provider": [_("Choose one of: %(v)s.") % {"v": ", ".join(PROVIDERS)}]}
        ) from None


def provider_label(kind: str) -> str:
    """How people call a payment method ("At the community office", the provider's name)."""
    cls = PROVIDERS.get(kind)
    return cls().label if cls else kind


def paid_amount(order: Order) -> int:
    return int(order.payments.aggregate(total=Sum("amount_fen"))["total"] or 0)


def refunded_amount(order: Order) -> int:
    return int(order.refunds.aggregate(total=Sum("amount_fen"))["total"] or 0)


def _online_intent(order: Order) -> PaymentIntent | None:
    """The order's paid online payment, if it was paid online: refunds go back through it."""
    return order.intents.filter(status=PaymentIntent.Status.PAID).order_by("-created").first()


def request_refund(order: Order, amount_fen: int, reason: str, actor: Any = None) -> Refund:
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


def complete_refund(actor: Any, refund: Refund, reference: str) -> Refund:
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


def _activate(order: Order) -> None:
    """The order is paid: activate its pass, or refund if the pass can no longer be had."""
    pass_obj = Pass.objects.select_for_update().get(pk=order.pass_obj_id)
    if pass_obj.status != Pass.Status.PENDING:
        if pass_obj.status == Pass.Status.CANCELLED:
            request_refund(order, order.amount_fen, _("Paid after the pass was cancelled"))
        return
    hold_ok = pass_obj.hold_until is not None and pass_obj.hold_until > timezone.now()
    if not hold_ok:
        # The hold ran out: the space is this order's only if it is still free.
        garage = Garage.objects.select_for_update().get(pk=pass_obj.garage_id)
        free = free_spaces(garage, pass_obj.plan_code, pass_obj.starts_on, pass_obj.ends_on)
        if free < 1:
            pass_obj.status = Pass.Status.CANCELLED
            pass_obj.save(update_fields=["status"])
            request_refund(order, order.amount_fen, _("Paid after the reservation ran out"))
            return
    pass_obj.status = Pass.Status.ACTIVE
    pass_obj.hold_until = None
    pass_obj.save(update_fields=["status", "hold_until"])


def record_payment(
    order: Order,
    *,
    provider: str,
    transaction_id: str,
    amount_fen: int,
    raw: dict[str, Any] | None = None,
    actor: Any = None,
) -> tuple[Payment, bool]:
    """Record money received for an order, once per (provider, transaction id).

    Returns the payment and whether it is new; a repeat returns the first and changes nothing.
    """
    existing = Payment.objects.filter(provider=provider, transaction_id=transaction_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            if amount_fen != locked.amount_fen:
                raise ValidationError(
                    {
                        "amount_fen": [
                            _("The order is for %(due)d fen, not %(paid)d.")
                            % {"due": locked.amount_fen, "paid": amount_fen}
                        ]
                    }
                )
            payment = Payment.objects.create(
                order=locked,
                provider=provider,
                transaction_id=transaction_id,
                amount_fen=amount_fen,
                raw=raw or {},
                confirmed_by=actor,
            )
            if locked.status == Order.Status.PAID:
                request_refund(locked, amount_fen, _("Paid twice"))
            else:
                was_cancelled = locked.status == Order.Status.CANCELLED
                locked.status, locked.paid_at = Order.Status.PAID, timezone.now()
                locked.save(update_fields=["status", "paid_at"])
                if was_cancelled:
                    Pass.objects.filter(pk=locked.pass_obj_id, status=Pass.Status.PENDING).update(
                        status=Pass.Status.CANCELLED
                    )
                _activate(locked)
            record(
                "parking.payment",
                actor=actor,
                obj=locked,
                provider=provider,
                transaction_id=transaction_id,
                amount_fen=amount_fen,
            )
    except IntegrityError:
        # The same transaction id won a race with us: its first result stands.
        return Payment.objects.get(provider=provider, transaction_id=transaction_id), False
    order.refresh_from_db()
    return payment, True


def confirm_offline(actor: Any, order: Order, *, reference: str, amount_fen: int) -> Payment:
    """Staff confirm a cash or bank-transfer payment, quoting its reference."""
    require_staff(actor, order.pass_obj.garage.region.code)
    if not reference.strip():
        raise ValidationError({"reference": [_("Give the receipt or transfer reference.")]})
    payment, _new = record_payment(
        order,
        provider=OfflineProvider.kind,
        transaction_id=reference.strip()[:64],
        amount_fen=amount_fen,
        actor=actor,
    )
    return payment


def handle_callback(kind: str, body: bytes, headers: dict[str, str]) -> tuple[Payment | None, bool]:
    """Verify and apply a ``generic`` callback. Forged or unknown: CallbackRejected, no change.

    Online providers (``provider.online``) go through ``handle_notification`` instead.
    """
    if kind not in PROVIDERS:
        raise CallbackRejected(f"Unknown payment provider {kind!r}.", 404)
    data = get_provider(kind).verify_callback(body, headers)
    order = Order.objects.filter(number=data.order_number).first()
    if order is None:
        raise CallbackRejected(f"There is no order {data.order_number}.", 404)
    if order.provider != kind:
        raise CallbackRejected("The order is paid another way.", 409)
    if not data.paid:
        return None, False
    try:
        return record_payment(
            order,
            provider=kind,
            transaction_id=data.transaction_id,
            amount_fen=data.amount_fen,
            raw=data.raw,
        )
    except ValidationError as exc:
        raise CallbackRejected(" ".join(exc.messages), 409) from exc


def mark_free_order_paid(order: Order) -> None:
    order.status, order.paid_at = Order.Status.PAID, timezone.now()
    order.save(update_fields=["status", "paid_at"])
    _activate(order)


# Online payments ----------------------------------------------------------------------------


def notify_url(kind: str, site: str = "") -> str:
    """The absolute address the provider posts its notifications to (``PAYMENT_NOTIFY_BASE``
    when set: real providers need a public https URL)."""
    return (settings.PAYMENT_NOTIFY_BASE or site.rstrip("/")) + CALLBACK_PATH.format(kind=kind)


def online_label() -> str:
    """The name of the online provider residents are offered, or "" when there is none (or
    the setting is wrong: the system check ``parking.E001`` says so at start-up)."""
    try:
        provider = online_provider()
    except ImproperlyConfigured:
        logger.exception("online payment is off")
        return ""
    return provider.label if provider else ""


def start_online(
    resident: Any, order: Order, *, site: str = "", return_url: str = ""
) -> PaymentIntent:
    """Open (or reopen) the order's online payment; its ``redirect_url`` is where the payer goes.

    Idempotent by order: while an attempt is open, asking again returns it (its
    ``out_trade_no`` unchanged). Refused when online payment is off, the order is not
    awaiting payment or its 30-minute hold has run out.
    """
    if order.resident_id != resident.pk:
        raise PermissionDenied(_("This is not your order."))
    try:
        provider = online_provider()
    except ImproperlyConfigured:
        logger.exception("online payment is off")
        provider = None
    if provider is None:
        raise Conflict(_("Online payment is not offered here."), "no_online_payment")
    with transaction.atomic():
        locked = (
            Order.objects.select_for_update(of=("self",))  # the order row alone, not its garage
            .select_related("pass_obj__garage")
            .get(pk=order.pk)
        )
        pass_obj = locked.pass_obj
        if locked.status != Order.Status.PENDING:
            raise Conflict(_("This order is not awaiting payment."), "not_pending")
        if pass_obj.hold_until is None or pass_obj.hold_until <= timezone.now():
            raise Conflict(
                _("The 30 minutes your space was held have run out; please order again."),
                "hold_lapsed",
            )
        intent = locked.intents.filter(provider=provider.kind, status="created").first()
        if intent is None:
            intent = PaymentIntent.objects.create(
                order=locked,
                provider=provider.kind,
                out_trade_no=f"{locked.number}{locked.intents.count() + 1:02d}",
                amount_fen=locked.amount_fen,
            )
            record(
                "parking.payment.start",
                actor=resident,
                obj=locked,
                provider=provider.kind,
                out_trade_no=intent.out_trade_no,
            )
    if intent.redirect_url or intent.qr_payload:
        return intent
    # Outside the transaction: a real provider is an HTTP call. Two racing starts send the
    # same out_trade_no, which the provider answers with the same payment.
    try:
        started = provider.create(
            PaymentRequest(
                out_trade_no=intent.out_trade_no,
                amount_fen=intent.amount_fen,
                description=f"{pass_obj.garage.name} {locked.number}",
                notify_url=notify_url(provider.kind, site),
                return_url=return_url,
                expires_at=pass_obj.hold_until,
            )
        )
    except ProviderError as exc:
        logger.warning("%s create %s failed: %s", provider.kind, intent.out_trade_no, exc.message)
        raise Conflict(
            _("The payment service did not answer; please try again."), "provider"
        ) from exc
    PaymentIntent.objects.filter(pk=intent.pk).update(
        provider_ref=started.provider_ref[:64],
        redirect_url=started.redirect_url[:300],
        qr_payload=started.qr_payload[:300],
    )
    intent.refresh_from_db()
    return intent


def handle_notification(kind: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """Verify and apply an online provider's notification; return the answer to send back.

    Signature first (403), then the body (422 naming the field), then the payment attempt
    (404). The first answer about an attempt is kept and returned to every repeat; two
    notifications at once are served one after the other (the attempt's row is locked).
    """
    cls = PROVIDERS.get(kind)
    if cls is None or not cls.online:
        raise CallbackRejected(f"Unknown payment provider {kind!r}.", 404)
    data = cls().verify_callback(body, headers)
    if data.refund_no:
        return _refund_notified(kind, data)
    refunds: list[int] = []
    with transaction.atomic():
        intent = (
            PaymentIntent.objects.select_for_update()
            .filter(provider=kind, out_trade_no=data.out_trade_no)
            .first()
        )
        if intent is None:
            raise CallbackRejected(f"There is no payment {data.out_trade_no}.", 404)
        if intent.answer is not None:
            return dict(intent.answer)
        if data.amount_fen != intent.amount_fen:
            raise CallbackRejected(
                f"The payment is for {intent.amount_fen} fen, not {data.amount_fen}.", 409
            )
        answer = _apply(intent, data, refunds)
    for refund_pk in refunds:
        transaction.on_commit(partial(_refund_later, refund_pk))
    return answer


def _apply(intent: PaymentIntent, data: CallbackData, refunds: list[int]) -> dict[str, Any]:
    order = Order.objects.get(pk=intent.order_id)
    if data.closed:
        intent.status = PaymentIntent.Status.CLOSED
    else:
        intent.status, intent.transaction_id = PaymentIntent.Status.PAID, data.transaction_id
        intent.save(update_fields=["status", "transaction_id"])  # refunds go back through it
        before = set(order.refunds.values_list("pk", flat=True))
        record_payment(
            order,
            provider=intent.provider,
            transaction_id=data.transaction_id,
            amount_fen=data.amount_fen,
            raw=data.raw,
        )
        refunds.extend(
            r.pk for r in order.refunds.exclude(pk__in=before) if r.provider == intent.provider
        )
        Order.objects.filter(pk=order.pk).update(provider=intent.provider)
    order.refresh_from_db()
    pass_status = Pass.objects.filter(pk=order.pass_obj_id).values_list("status", flat=True)[0]
    intent.answer = {
        "result": "closed" if data.closed else "ok",
        "out_trade_no": intent.out_trade_no,
        "order": order.number,
        "order_status": order.status,
        "pass_status": pass_status,
        "refund_fen": sum(
            Refund.objects.filter(pk__in=refunds).values_list("amount_fen", flat=True)
        ),
    }
    intent.save(update_fields=["status", "answer"])
    return dict(intent.answer)


def _refund_notified(kind: str, data: CallbackData) -> dict[str, Any]:
    """A refund the provider finished later (WeChat Pay answers PROCESSING, then notifies):
    success completes the entry, failure hands it back to staff. A repeat changes nothing."""
    with transaction.atomic():
        refund = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("order")
            .filter(provider=kind, refund_no=data.refund_no)
            .first()
        )
        if refund is None:
            raise CallbackRejected(f"There is no refund {data.refund_no}.", 404)
        if data.amount_fen != refund.amount_fen:
            raise CallbackRejected(
                f"The refund is for {refund.amount_fen} fen, not {data.amount_fen}.", 409
            )
        waiting = (Refund.Status.PROCESSING, Refund.Status.REQUESTED)
        if refund.status in waiting and data.paid:
            refund.status, refund.completed_at = Refund.Status.COMPLETED, timezone.now()
            refund.save(update_fields=["status", "completed_at"])
            record("parking.refund.provider_done", obj=refund.order, refund=refund.pk)
        elif refund.status == Refund.Status.PROCESSING and data.closed:
            refund.status = Refund.Status.REQUESTED  # staff pay it back another way
            refund.save(update_fields=["status"])
            record("parking.refund.provider_failed", obj=refund.order, refund=refund.pk)
    return {
        "result": "ok",
        "out_trade_no": data.out_trade_no,
        "order": refund.order.number,
        "refund_no": refund.refund_no,
        "refund_status": refund.status,
    }


def _refund_later(refund_pk: int) -> None:
    from shequ.parking.jobs import issue_refund_job

    issue_refund_job(refund_pk)


def sync_online(order: Order) -> PaymentIntent | None:
    """Ask the provider about the order's open attempt and apply what it says (for a
    notification that never came); returns the attempt, or None when there is none."""
    intent = order.intents.filter(status=PaymentIntent.Status.CREATED).first()
    if intent is None:
        return None
    provider = get_provider(intent.provider)
    try:
        state = provider.query(intent.out_trade_no)
    except ProviderError as exc:
        logger.warning("%s query %s failed: %s", intent.provider, intent.out_trade_no, exc.message)
        return intent
    if state.status in ("paid", "closed"):
        data = CallbackData(
            order_number="",
            transaction_id=state.transaction_id,
            amount_fen=state.amount_fen,
            paid=state.status == "paid",
            closed=state.status == "closed",
            raw={"query": state.status},
            out_trade_no=state.out_trade_no,
        )
        refunds: list[int] = []
        with transaction.atomic():
            locked = PaymentIntent.objects.select_for_update().get(pk=intent.pk)
            if locked.answer is None and data.amount_fen == locked.amount_fen:
                _apply(locked, data, refunds)
        for refund_pk in refunds:
            transaction.on_commit(partial(_refund_later, refund_pk))
    intent.refresh_from_db()
    return intent


def sync_lapsing() -> int:
    """Before unpaid holds are released: ask the provider about every open online attempt of
    an order whose hold has run out, so a payment whose notification was lost is not
    mistaken for no payment. Returns how many orders turned out paid."""
    lapsing = PaymentIntent.objects.filter(
        status=PaymentIntent.Status.CREATED,
        order__status=Order.Status.PENDING,
        order__pass_obj__status=Pass.Status.PENDING,
        order__pass_obj__hold_until__lte=timezone.now(),
    ).select_related("order")
    paid = 0
    for intent in lapsing:
        after = sync_online(intent.order)
        paid += after is not None and after.status == PaymentIntent.Status.PAID
    return paid


def issue_refund(refund: Refund, actor: Any = None) -> Refund:
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
        result = get_provider(refund.provider).refund(
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


def refund_online(actor: Any, refund: Refund) -> Refund:
    """Staff pay a requested refund back through the provider (from the refunds page)."""
    require_staff(actor, refund.order.pass_obj.garage.region.code)
    return issue_refund(refund, actor)


def staff_refund(actor: Any, order: Order, *, amount_fen: int, reason: str) -> Refund:
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
