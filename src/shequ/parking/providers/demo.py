"""The demo provider: a stand-in for WeChat Pay / Alipay that takes no money.

It behaves like them where the platform can tell: ``create`` prepares a trade at the demo
cashier (``demo_cashier``: the provider's servers, and ``/parking/pay/demo/<token>/``, an H5
page that also shows its QR code) and returns its address; the payer pays or cancels there; the
cashier then sends an asynchronous notification signed with HMAC-SHA256 over the canonical body
(sorted keys, compact JSON, UTF-8) in the ``X-Demo-Signature`` header, keyed by
``SHEQU_PAYMENT_DEMO_SECRET`` (checked here with the cashier's own ``sign``). ``query`` and
``refund`` (full or partial, idempotent by refund id) answer from the cashier's own ledger
(``DemoTrade``), as a provider's servers would; the demo completes refunds at once, and also
reads WeChat-style refund notifications (``"event": "refund"``, ``refund_no``, ``status``).
Production refuses this provider.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.utils.translation import gettext as _

from shequ.parking.providers import demo_cashier
from shequ.parking.providers.base import (
    CallbackData,
    CallbackRejected,
    PaymentProvider,
    PaymentRequest,
    PaymentStart,
    RefundResult,
    TradeState,
)
from shequ.parking.providers.demo_cashier import HEADER, sign

STATUSES = ("SUCCESS", "CLOSED")
REFUND_STATUSES = ("SUCCESS", "ABNORMAL", "CLOSED")  # as WeChat Pay's refund notification


def _field(data: dict[str, Any], name: str, kind: type, required: bool = True) -> Any:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise CallbackRejected(f"{name}: this field is required.", 422, name)
        return kind()
    if not isinstance(value, kind) or isinstance(value, bool):
        raise CallbackRejected(f"{name}: expected {kind.__name__}.", 422, name)
    return value


class DemoProvider(PaymentProvider):
    kind = "demo"

    @property
    def label(self) -> str:
        return _("Demo cashier (no real money)")

    def create(self, request: PaymentRequest) -> PaymentStart:
        trade = demo_cashier.open_trade(request)
        return PaymentStart(
            provider_ref=trade.token,
            redirect_url=demo_cashier.cashier_path(trade),
            qr_payload=demo_cashier.cashier_path(trade),
        )

    def verify_callback(self, body: bytes, headers: dict[str, str]) -> CallbackData:
        given = headers.get(HEADER, "")
        if not given or not hmac.compare_digest(given.lower().encode(), sign(body).encode()):
            raise CallbackRejected("The notification's signature is missing or wrong.", 403)
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise CallbackRejected(f"body: not JSON ({exc}).", 422, "body") from exc
        if not isinstance(data, dict):
            raise CallbackRejected("body: expected a JSON object.", 422, "body")
        out_trade_no = _field(data, "out_trade_no", str)
        if data.get("event", "payment") == "refund":
            return self._refund_notification(data, out_trade_no)
        status = _field(data, "status", str)
        if status not in STATUSES:
            raise CallbackRejected(f"status: expected one of {', '.join(STATUSES)}.", 422, "status")
        amount = _field(data, "amount_fen", int)
        if amount < 0:
            raise CallbackRejected("amount_fen: must not be negative.", 422, "amount_fen")
        transaction_id = _field(data, "transaction_id", str, required=status == "SUCCESS")
        return CallbackData(
            order_number="",
            transaction_id=transaction_id[:64],
            amount_fen=amount,
            paid=status == "SUCCESS",
            closed=status == "CLOSED",
            raw=data,
            out_trade_no=out_trade_no[:32],
        )

    def _refund_notification(self, data: dict[str, Any], out_trade_no: str) -> CallbackData:
        refund_no = _field(data, "refund_no", str)
        status = _field(data, "status", str)
        if status not in REFUND_STATUSES:
            raise CallbackRejected(
                f"status: expected one of {', '.join(REFUND_STATUSES)}.", 422, "status"
            )
        return CallbackData(
            order_number="",
            transaction_id="",
            amount_fen=_field(data, "amount_fen", int),
            paid=status == "SUCCESS",
            closed=status != "SUCCESS",
            raw=data,
            out_trade_no=out_trade_no[:32],
            refund_no=refund_no[:64],
        )

    def query(self, out_trade_no: str) -> TradeState:
        return demo_cashier.state(out_trade_no)

    def refund(
        self, out_trade_no: str, refund_no: str, amount_fen: int, reason: str
    ) -> RefundResult:
        return demo_cashier.refund(out_trade_no, refund_no, amount_fen, reason)
