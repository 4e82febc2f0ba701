"""The dashboard API under /api/v1/dashboard/: indicators, their series, the big screen's data.

No ``from __future__ import annotations`` in these modules: django-ninja reads the annotations.
"""

from ninja import NinjaAPI

from shequ.dashboard.api import feedback, indicators, screen  # noqa: F401
from shequ.dashboard.api.common import router

__all__ = ["mount", "router"]


def mount(api: NinjaAPI) -> None:
    """Add the dashboard routes to the project's API, under /dashboard."""
    api.add_router("/dashboard", router)
