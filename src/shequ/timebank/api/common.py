"""The one router of the time bank endpoints."""

from ninja import Router

router = Router(tags=["timebank"])
