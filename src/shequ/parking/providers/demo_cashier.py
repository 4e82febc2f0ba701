"""The demo cashier: the provider's side of the demo provider (its servers and its H5 page).

A real provider keeps its trades on its own servers; the demo keeps them in ``DemoTrade`` and
answers ``create``, ``query`` and ``refund`` from there. When the payer pays or cancels, the
cashier builds the notification the provider would post (canonical JSON, signed) and the
cashier page hands it to the platform's callback service, exactly what
``POST /api/v1/parking/payments/callback/demo`` does with a provider's request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shequ.parking.models import DemoTrade
from shequ.parking.providers.base import (
    PaymentRequest,
    ProviderError,
    RefundResult,
    TradeState,
)

HEADER = "X-Demo-Signature"
STATES = {"NOTPAY": "pending", "SUCCESS": "paid", "CLOSED": "closed"}


def canonical(data: dict[str, Any]) -> bytes:
    """The one byte form of a notification body that is signed."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(body: bytes, secret: str | None = None) -> str:
    """The notification's signature (``HEADER``); the demo provider checks it with this too."""
    key = (secret if secret is not None else settings.PAYMENT_DEMO_SECRET).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def cashier_path(trade: DemoTrade) -> str:
    return reverse("parking:pay-demo", args=[trade.token])


def open_trade(request: PaymentRequest) -> DemoTrade:
    """A trade for ``out_trade_no``; the same number again is the same trade (if it matches)."""
    trade, _new = DemoTrade.objects.get_or_create(
        out_trade_no=request.out_trade_no,
        defaults={
            "token": secrets.token_urlsafe(16),
            "amount_fen": request.amount_fen,
            "description": request.description[:128],
            "notify_url": request.notify_url[:300],
            "return_url": request.return_url[:300],
        },
    )
    if trade.amount_fen != request.amount_fen:
        # WeChat Pay answers INVALID_REQUEST: an out_trade_no is never reused for other terms.
        raise ProviderError("out_trade_no was used with another amount", permanent=True)
    return trade


def notification(trade: DemoTrade) -> tuple[bytes, dict[str, str]]:
    """The body and headers the cashier posts to the platform's notify URL."""
    body = canonical(
        {
            "event": "payment",
            "out_trade_no": trade.out_trade_no,
            "transaction_id": trade.transaction_id,
            "amount_fen": trade.amount_fen,
            "status": trade.status,
            "time": (trade.paid_at or timezone.now()).isoformat(),
        }
    )
    return body, {HEADER: sign(body), "Content-Type": "application/json"}


def _finish(trade: DemoTrade, status: str) -> DemoTrade:
    changes: dict[str, Any] = {"status": status}
    if status == DemoTrade.Status.SUCCESS:
        changes |= {"transaction_id": "DEMO" + secrets.token_hex(12), "paid_at": timezone.now()}
    DemoTrade.objects.filter(pk=trade.pk, status=DemoTrade.Status.NOTPAY).update(**changes)
    trade.refresh_from_db()
    if trade.status != status:
        raise ProviderError(f"the trade is already {trade.status}", permanent=True)
    return trade


def pay(trade: DemoTrade) -> DemoTrade:
    """The payer confirmed: the trade is paid (once; paying a paid trade changes nothing)."""
    if trade.status == DemoTrade.Status.SUCCESS:
        return trade
    return _finish(trade, DemoTrade.Status.SUCCESS)


def close(trade: DemoTrade) -> DemoTrade:
    """The payer cancelled: the trade is closed and can no longer be paid."""
    if trade.status == DemoTrade.Status.CLOSED:
        return trade
    return _finish(trade, DemoTrade.Status.CLOSED)


def state(out_trade_no: str) -> TradeState:
    trade = DemoTrade.objects.filter(out_trade_no=out_trade_no).first()
    if trade is None:
        raise ProviderError("ORDER_NOT_EXIST", permanent=True)
    return TradeState(
        out_trade_no=trade.out_trade_no,
        status=STATES[trade.status],
        amount_fen=trade.amount_fen,
        transaction_id=trade.transaction_id,
        refunded_fen=sum(trade.refunds.values()),
    )


def refund(out_trade_no: str, refund_no: str, amount_fen: int, reason: str) -> RefundResult:
    """Refund part or all of a paid trade; a known ``refund_no`` returns its first result."""
    with transaction.atomic():
        trade = DemoTrade.objects.select_for_update().filter(out_trade_no=out_trade_no).first()
        if trade is None:
            raise ProviderError("ORDER_NOT_EXIST", permanent=True)
        if refund_no in trade.refunds:
            return RefundResult(refund_no, "succeeded", trade.refunds[refund_no], refund_no)
        if trade.status != DemoTrade.Status.SUCCESS:
            raise ProviderError("the trade is not paid", permanent=True)
        if not 0 < amount_fen <= trade.amount_fen - sum(trade.refunds.values()):
            raise ProviderError("NOT_ENOUGH: more than is left to refund", permanent=True)
        trade.refunds = {**trade.refunds, refund_no: amount_fen}
        trade.save(update_fields=["refunds"])
    return RefundResult(refund_no, "succeeded", amount_fen, refund_no, {"reason": reason[:80]})
