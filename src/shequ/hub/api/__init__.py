"""The hub's API under /api/v1/hub/, one module per feature; ``mount`` adds it to the project's.

No ``from __future__ import annotations`` in these modules: django-ninja reads the annotations.
"""

from ninja import NinjaAPI, Router

from shequ.hub.api import catalog, flowback, query, requests, runs, sources


def mount(api: NinjaAPI) -> None:
    """Add the hub's routes to the project's API at /hub."""
    router = Router()
    for feature in (catalog, runs, sources, requests, query, flowback):
        router.add_router("/", feature.router)
    api.add_router("/hub", router)
