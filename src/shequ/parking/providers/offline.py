"""Cash or bank transfer at the community office; staff confirm it with its reference."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from shequ.parking.providers.base import PaymentProvider


class OfflineProvider(PaymentProvider):
    kind = "offline"
    online = False

    @property
    def label(self) -> str:
        return _("At the community office")

    def start(self, order: Any) -> dict[str, Any]:
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
