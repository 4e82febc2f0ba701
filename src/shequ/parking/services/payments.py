"""Payment providers, confirming payments idempotently, and refunds as separate entries.

A provider turns an order into what the resident must do to pay (``start``) and, for online
providers, checks the provider's callback (``verify_callback``). Two ship with shequ:

- ``offline``: cash or bank transfer; community staff confirm it with the transfer's reference;
- ``generic``: any gateway that signs its JSON callback with HMAC-SHA256 of the raw body under
  ``SHEQU_PARKING_PAYMENT_SECRET`` (header ``X-Shequ-Signature: <hex>``).

WeChat Pay and Alipay plug in as further subclasses registered in ``PROVIDERS``: ``start``
calls their unified-order API and returns the QR code or mini-program parameters;
``verify_callback`` checks their signature (WeChat Pay v3: the platform certificate's RSA
signature and AES-GCM resource decryption; Alipay: RSA2 over the sorted parameters) and
returns the same :class:`CallbackData`. Everything after that, the idempotency by transaction id
included, is shared.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.services.audit import record
from shequ.parking.models import Order, Pass, Payment, Refund
from shequ.parking.services.access import require_staff
from shequ.parking.services.errors import Conflict


@dataclass(frozen=True)
class CallbackData:
    order_number: str
    transaction_id: str
    amount_fen: int
    paid: bool
    raw: dict[str, Any]


class CallbackRejected(Exception):
    """A callback that is forged, malformed or about another order: nothing was changed."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class PaymentProvider:
    kind: ClassVar[str] = ""

    def start(self, order: Order) -> dict[str, Any]:
        raise NotImplementedError

    def verify_callback(self, body: bytes, headers: dict[str, str]) -> CallbackData:
        raise CallbackRejected(f"{self.kind} payments have no callback", 404)


class OfflineProvider(PaymentProvider):
    """Cash or bank transfer at the community office; staff confirm with its reference."""

    kind = "offline"

    def start(self, order: Order) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "order": order.number,
            "amount_fen": order.amount_fen,
            "instructions": _(
                "Pay %(yuan)s yuan in cash or by bank transfer at the community office, "
                "quoting order %(order)s. Staff will confirm it."
            )
            % {"yuan": f"{order.amount_fen / 100:.2f}", "order": order.number},
        }


def signature(body: bytes, secret: str | None = None) -> str:
    key = (secret if secret is not None else settings.PARKING_PAYMENT_SECRET).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


class SignedCallbackProvider(PaymentProvider):
    """A gateway that posts ``{"order", "transaction_id", "amount_fen", "status"}`` signed."""

    kind = "generic"
    header = "X-Shequ-Signature"

    def start(self, order: Order) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "order": order.number,
            "amount_fen": order.amount_fen,
            "callback": "/api/v1/parking/payments/callback/generic",
        }

    def verify_callback(self, body: bytes, headers: dict[str, str]) -> CallbackData:
        given = headers.get(self.header, "")
        if not given or not hmac.compare_digest(given.lower(), signature(body)):
            raise CallbackRejected("The callback's signature is missing or wrong.", 401)
        try:
            data = json.loads(body)
            return CallbackData(
                order_number=str(data["order"]),
                transaction_id=str(data["transaction_id"])[:64],
                amount_fen=int(data["amount_fen"]),
                paid=data.get("status", "paid") == "paid",
                raw=data,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CallbackRejected(f"The callback body is not understood: {exc}.") from exc


PROVIDERS: dict[str, type[PaymentProvider]] = {
    OfflineProvider.kind: OfflineProvider,
    SignedCallbackProvider.kind: SignedCallbackProvider,
}


def get_provider(kind: str) -> PaymentProvider:
    try:
        return PROVIDERS[kind]()
    except KeyError:
        raise ValidationError(
            {"provider": [_("Choose one of: %(v)s.") % {"v": ", ".join(PROVIDERS)}]}
        ) from None


def paid_amount(order: Order) -> int:
    return int(order.payments.aggregate(total=Sum("amount_fen"))["total"] or 0)


def refunded_amount(order: Order) -> int:
    return int(order.refunds.aggregate(total=Sum("amount_fen"))["total"] or 0)


def request_refund(order: Order, amount_fen: int, reason: str) -> Refund:
    """Owe money back (never more than was paid and not yet refunded)."""
    room = paid_amount(order) - refunded_amount(order)
    amount = min(amount_fen, room)
    if amount <= 0:
        raise Conflict(_("Nothing is left to refund on this order."), "nothing_to_refund")
    refund = Refund.objects.create(order=order, amount_fen=amount, reason=reason[:200])
    record("parking.refund.request", obj=order, amount_fen=amount, reason=reason)
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
    from shequ.parking.services.passes import free_spaces

    pass_obj = Pass.objects.select_for_update().get(pk=order.pass_obj_id)
    if pass_obj.status != Pass.Status.PENDING:
        if pass_obj.status == Pass.Status.CANCELLED:
            request_refund(order, order.amount_fen, _("Paid after the pass was cancelled"))
        return
    hold_ok = pass_obj.hold_until is not None and pass_obj.hold_until > timezone.now()
    if not hold_ok:
        # The hold ran out: the space is this order's only if it is still free.
        from shequ.parking.models import Garage

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
    """Verify and apply a provider callback. Forged or unknown: CallbackRejected, no change."""
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
