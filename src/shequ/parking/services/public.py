"""What other apps may call of parking (the dashboards, a city overview): read-only figures.

Anything not named here is parking's own and may change without notice; another app imports
this module, never the others.
"""

from __future__ import annotations

from shequ.parking.indices import published_berth, published_nights, published_window
from shequ.parking.services.capacity import free_spaces
from shequ.parking.services.figures import active_passes, revenue_fen
from shequ.parking.services.garages import shared_spaces_by_garage
from shequ.parking.services.occupancy import snapshot as garage_snapshot

__all__ = [
    "active_passes",
    "free_spaces",
    "garage_snapshot",
    "published_berth",
    "published_nights",
    "published_window",
    "revenue_fen",
    "shared_spaces_by_garage",
]
