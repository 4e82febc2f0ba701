"""The time bank API under /api/v1/timebank/: requests, orders, members, indicators.

No ``from __future__ import annotations`` in these modules: django-ninja reads the annotations.
"""

from ninja import NinjaAPI

from shequ.timebank.api import (  # noqa: F401  (add routes)
    accounts,
    matching,
    members,
    orders,
    requests,
    series,
)
from shequ.timebank.api.common import router

__all__ = ["mount", "router"]


def mount(api: NinjaAPI) -> None:
    """Add the time bank routes to the project's API, under /timebank."""
    api.add_router("/timebank", router)
