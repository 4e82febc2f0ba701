"""The flood API under /api/v1/flood/: device readings and camera events, points and alerts.

No ``from __future__ import annotations`` in these modules: django-ninja reads the annotations.
"""

from ninja import NinjaAPI

from shequ.flood.api import (  # noqa: F401  (they add routes)
    alerts,
    cameras,
    devices,
    readings,
    response,
    roster,
    tasks,
)
from shequ.flood.api.common import router

__all__ = ["mount", "router"]


def mount(api: NinjaAPI) -> None:
    """Add the flood routes to the project's API, under /flood."""
    api.add_router("/flood", router)
