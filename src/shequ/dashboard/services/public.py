"""What other apps may call of the dashboards: the latest value of an indicator, read-only."""

from __future__ import annotations

from shequ.core.models import Region
from shequ.dashboard.indicators import get
from shequ.dashboard.services import values


def latest_value(key: str, region: Region) -> float | None:
    """The newest value of indicator ``key`` for ``region`` (None: none, or no data)."""
    indicator = get(key)
    if indicator is None:
        return None
    return values.latest([indicator], [region])[(key, region.code, "")].value
