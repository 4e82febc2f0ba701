"""Paying for orders: choosing a provider, recording a payment once, starting an online one.

The providers live in ``shequ.parking.providers`` (a registry from kind to class). Everything
after a provider has spoken is shared here: a payment is recorded once per (provider,
transaction id); a paid order activates its pass, or is refunded (``services.refunds``) when
the pass can no longer be had.

Online payments (``SHEQU_PAYMENT_PROVIDER``): ``start_online`` opens a ``PaymentIntent`` (one
``out_trade_no`` at the provider) and returns where the payer goes; what the provider answers
is handled in ``services.callbacks``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.parking.models import Garage, Order, Pass, Payment, PaymentIntent
from shequ.parking.providers import (
    PROVIDERS,
    OfflineProvider,
    PaymentProvider,
    PaymentRequest,
    ProviderError,
    online_provider,
)
from shequ.parking.services.access import require_staff
from shequ.parking.services.capacity import free_spaces
from shequ.parking.services.errors import Conflict
from shequ.parking.services.refunds import request_refund

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
    actor: User | None = None,
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


def confirm_offline(actor: User, order: Order, *, reference: str, amount_fen: int) -> Payment:
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


def mark_free_order_paid(order: Order) -> None:
    order.status, order.paid_at = Order.Status.PAID, timezone.now()
    order.save(update_fields=["status", "paid_at"])
    _activate(order)


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
    resident: User, order: Order, *, site: str = "", return_url: str = ""
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
