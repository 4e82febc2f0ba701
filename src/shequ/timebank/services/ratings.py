"""Ratings (1–5 and a comment) both ways on a confirmed order, once a side."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.types import User
from shequ.timebank.models import Order, Rating
from shequ.timebank.services.errors import Conflict, Forbidden, Invalid
from shequ.timebank.services.requests import requester_side


def rate(
    actor: User, order: Order, *, score: int, text: str = "", now: datetime | None = None
) -> Rating:
    """The requester side rates the volunteer, or the volunteer rates the visit."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise Invalid(_("A score is 1 to 5."), fields={"score": [_("1 to 5.")]})
    if len(text) > 500:
        raise Invalid(_("At most 500 characters."), fields={"text": [_("At most 500 characters.")]})
    order = Order.objects.select_related("request", "volunteer").get(pk=order.pk)  # fresh state
    if order.volunteer.user_id == actor.pk:
        side = Rating.Side.VOLUNTEER
    elif requester_side(actor, order.request):
        side = Rating.Side.REQUESTER
    else:
        raise Forbidden(_("You took no part in this service."), "not_a_party")
    if order.status != Order.Status.CONFIRMED:
        raise Conflict(_("A service is rated once it is confirmed."), "not_confirmed")
    try:
        with transaction.atomic():
            return Rating.objects.create(
                order=order,
                side=side,
                score=score,
                text=text.strip(),
                by=actor,
                at=now or timezone.now(),
            )
    except IntegrityError:
        raise Conflict(_("This service has been rated from your side already."), "rated") from None
