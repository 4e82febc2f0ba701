"""The parking API under /api/v1/parking/: operators, residents, staff, gates, payments.

No ``from __future__ import annotations`` in these modules: django-ninja reads the annotations.
"""

from ninja import NinjaAPI

from shequ.parking.api import gates, operator, resident, staff  # noqa: F401  (they add routes)
from shequ.parking.api.common import router
from shequ.parking.api.indices import router as indices_router

__all__ = ["mount", "router"]


def mount(api: NinjaAPI) -> None:
    """Add the parking routes to the project's API, under /parking."""
    api.add_router("/parking", router)
    api.add_router("/parking", indices_router)  # /parking/indices/...
