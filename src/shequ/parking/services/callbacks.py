"""What payment providers tell us: signed callbacks and notifications, and the answers we ask
for when a notification never came.

A ``generic`` callback records its payment (``handle_callback``). An online provider's
notification (``handle_notification``; the demo cashier posts the same) is answered, on every
repeat, with its first answer byte for byte; refunds it makes owed are paid back by the
worker (``signals.refund_owed``) once the payment's transaction has committed.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shequ.core.services.audit import record
from shequ.parking.models import Order, Pass, Payment, PaymentIntent, Refund
from shequ.parking.providers import PROVIDERS, CallbackData, CallbackRejected, ProviderError
from shequ.parking.services.payments import get_provider, record_payment
from shequ.parking.signals import refund_owed

logger = logging.getLogger(__name__)


def receive(kind: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """A provider's request to the callback endpoint, whichever way the provider speaks;
    returns the answer to send back (``CallbackRejected`` when it is refused)."""
    cls = PROVIDERS.get(kind)
    if cls is not None and cls.online:
        return handle_notification(kind, body, headers)
    payment, new = handle_callback(kind, body, headers)
    if payment is None:
        return {"result": "ignored", "order": None, "order_status": None, "new": False}
    order = payment.order
    order.refresh_from_db()
    return {"result": "ok", "order": order.number, "order_status": order.status, "new": new}


def _owe(refunds: list[int]) -> None:
    """The worker pays these refunds back once the payment's transaction has committed."""
    for refund_pk in refunds:
        transaction.on_commit(partial(refund_owed.send, sender=Refund, refund_id=refund_pk))


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
    _owe(refunds)
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
        _owe(refunds)
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
