"""The access API under /api/v1/access/: device checks and removals; staff alerts and log.

No ``from __future__ import annotations`` in these modules: django-ninja reads the annotations.
"""

from ninja import NinjaAPI

from shequ.access.api import alerts, credentials, devices, log, offline  # noqa: F401
from shequ.access.api.common import router

__all__ = ["mount", "router"]


def mount(api: NinjaAPI) -> None:
    """Add the access routes to the project's API, under /access."""
    api.add_router("/access", router)
