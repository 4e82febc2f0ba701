"""A gateway that posts ``{"order", "transaction_id", "amount_fen", "status"}`` signed.

The first online kind shequ had: the gateway learns of orders outside shequ, and its
callbacks name the order itself (``order.provider`` is ``generic`` from the purchase on).
It is kept for gateways already wired that way; new providers follow ``demo``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings

from shequ.parking.providers.base import CallbackData, CallbackRejected, PaymentProvider


def signature(body: bytes, secret: str | None = None) -> str:
    key = (secret if secret is not None else settings.PARKING_PAYMENT_SECRET).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


class SignedCallbackProvider(PaymentProvider):
    kind = "generic"
    online = False  # no create/query/refund: orders name it when they are bought
    header = "X-Shequ-Signature"

    def start(self, order: Any) -> dict[str, Any]:
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
