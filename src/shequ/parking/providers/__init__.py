"""Payment providers: a registry from kind to class, one module per kind.

``PROVIDERS`` is a plain dict so a deployment can register more kinds, e.g.
``PROVIDERS["wechatpay"] = WeChatPayProvider`` (see docs/payments.md for what one needs).
``SHEQU_PAYMENT_PROVIDER`` names the kind residents are offered online; ``offline`` (paying at
the community office) is always offered as well.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from shequ.parking.providers.base import (
    CallbackData,
    CallbackRejected,
    PaymentProvider,
    PaymentRequest,
    PaymentStart,
    ProviderError,
    RefundResult,
    TradeState,
)
from shequ.parking.providers.demo import DemoProvider
from shequ.parking.providers.generic import SignedCallbackProvider, signature
from shequ.parking.providers.offline import OfflineProvider

__all__ = [
    "PROVIDERS",
    "CallbackData",
    "CallbackRejected",
    "DemoProvider",
    "OfflineProvider",
    "PaymentProvider",
    "PaymentRequest",
    "PaymentStart",
    "ProviderError",
    "RefundResult",
    "SignedCallbackProvider",
    "TradeState",
    "online_provider",
    "signature",
]

PROVIDERS: dict[str, type[PaymentProvider]] = {
    cls.kind: cls for cls in (OfflineProvider, SignedCallbackProvider, DemoProvider)
}


def online_provider() -> PaymentProvider | None:
    """The provider residents may pay with online (``SHEQU_PAYMENT_PROVIDER``), or None."""
    kind = settings.PAYMENT_PROVIDER
    if not kind:
        return None
    cls = PROVIDERS.get(kind)
    if cls is None or not cls.online:
        online = ", ".join(k for k, c in PROVIDERS.items() if c.online)
        raise ImproperlyConfigured(
            f"SHEQU_PAYMENT_PROVIDER={kind!r} is not an online payment provider ({online})"
        )
    return cls()
