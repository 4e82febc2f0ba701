"""Telling residents and operators: the in-app inbox, plus the region's channels for staff."""

from __future__ import annotations

from shequ.core.models import InboxMessage
from shequ.core.services.notify import notify_region_later
from shequ.core.transports.base import Message
from shequ.core.types import User
from shequ.parking.models import Garage


def tell_user(user: User, title: str, body: str, level: str = "info", url: str = "") -> None:
    InboxMessage.objects.create(user=user, title=title[:200], body=body, level=level, url=url)


def tell_operators(garage: Garage, title: str, body: str, level: str = "warning") -> None:
    """Each operator's inbox, and the garage region's notification channels."""
    for user in garage.operators.filter(is_active=True):
        tell_user(user, title, body, level)
    notify_region_later(
        garage.region,
        Message(title=title[:200], body=body, level=level, region_code=garage.region.code),
    )
