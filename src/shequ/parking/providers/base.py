"""What every payment provider answers to (after ``core/transports``: one class per kind).

A provider is the platform's side of one payment service (a gateway SDK, in effect): it
creates a payment for an order, checks the provider's signed asynchronous notifications,
queries a payment's state and refunds. It holds no platform state and never touches orders:
``services/payments.py``, ``callbacks.py`` and ``refunds.py`` do that, the same way for every
provider.

Amounts are integer fen (分) everywhere; ``out_trade_no`` is the platform's id of one payment
attempt (the provider's merchant order number) and ``refund_no`` the platform's id of one
refund: both are idempotency keys, so asking twice gives the first answer.

This module must import without Django settings configured.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar


class ProviderError(Exception):
    """A provider call that failed; ``permanent`` ones fail again if retried unchanged."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class CallbackRejected(Exception):
    """A callback that is forged, malformed or about another order: nothing was changed.

    ``field`` names the part of the body that is wrong (malformed bodies answer 422).
    """

    def __init__(self, message: str, status: int = 400, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


@dataclass(frozen=True)
class PaymentRequest:
    out_trade_no: str
    amount_fen: int
    description: str
    notify_url: str  # where the provider posts its signed notification
    return_url: str  # where the payer's browser goes back to after paying
    expires_at: datetime | None = None  # the hold's end: WeChat time_expire, Alipay time_expire


@dataclass(frozen=True)
class PaymentStart:
    """What the payer must do: open ``redirect_url`` (H5 / web cashier) or scan ``qr_payload``."""

    provider_ref: str  # the provider's id of the prepared payment (prepay_id, trade token)
    redirect_url: str = ""
    qr_payload: str = ""


@dataclass(frozen=True)
class CallbackData:
    """A verified notification. ``order_number`` is set by the legacy ``generic`` provider;
    the others name the payment attempt by ``out_trade_no``. A refund notification (WeChat
    Pay's ``REFUND.SUCCESS``) sets ``refund_no``: ``paid`` then means the refund succeeded and
    ``closed`` that it failed."""

    order_number: str
    transaction_id: str
    amount_fen: int
    paid: bool
    raw: dict[str, Any]
    out_trade_no: str = ""
    closed: bool = False
    refund_no: str = ""


@dataclass(frozen=True)
class TradeState:
    """A payment as the provider sees it (``query``)."""

    out_trade_no: str
    status: str  # "pending" | "paid" | "closed"
    amount_fen: int
    transaction_id: str = ""
    refunded_fen: int = 0


@dataclass(frozen=True)
class RefundResult:
    refund_no: str
    status: str  # "succeeded" | "processing"
    amount_fen: int
    provider_ref: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


class PaymentProvider(abc.ABC):
    """One kind of payment. Online kinds implement every method; ``offline`` only ``start``."""

    kind: ClassVar[str]
    #: True when payments go through ``create`` / callbacks by ``out_trade_no`` / ``refund``.
    online: ClassVar[bool] = True

    @property
    def label(self) -> str:
        return self.kind

    def start(self, order: Any) -> dict[str, Any]:
        """What the order page says about paying this way (no call to the provider)."""
        return {"kind": self.kind, "order": order.number, "amount_fen": order.amount_fen}

    def create(self, request: PaymentRequest) -> PaymentStart:
        """Prepare a payment; the same ``out_trade_no`` again returns the same payment."""
        raise ProviderError(f"{self.kind} payments are not created online", permanent=True)

    def verify_callback(self, body: bytes, headers: dict[str, str]) -> CallbackData:
        """Check the notification's signature first, then read it; else CallbackRejected."""
        raise CallbackRejected(f"{self.kind} payments have no callback", 404)

    def query(self, out_trade_no: str) -> TradeState:
        raise ProviderError(f"{self.kind} payments cannot be queried", permanent=True)

    def refund(
        self, out_trade_no: str, refund_no: str, amount_fen: int, reason: str
    ) -> RefundResult:
        """Refund all or part of a paid payment; the same ``refund_no`` again is one refund."""
        raise ProviderError(f"{self.kind} payments are refunded by staff", permanent=True)
