"""Parking's own refusal; the others are the services' common ones in ``shequ.core.errors``."""

from __future__ import annotations

from shequ.core.errors import Conflict, Throttled

__all__ = ["Conflict", "SoldOut", "Throttled"]


class SoldOut(Conflict):
    """No shared space is left for the period: HTTP 409 with code ``sold_out``."""

    default_code = "sold_out"
