"""Ratings (1–5 and a comment) both ways on a confirmed order, once a side; thank-you notes
from the requester side to the volunteer."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.types import User
from shequ.timebank.models import Order, Rating, ThankYou
from shequ.timebank.services.errors import Conflict, Forbidden, Invalid
from shequ.timebank.services.notices import tell
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


MAX_THANKS = 300


def thank(actor: User, order: Order, *, text: str, now: datetime | None = None) -> ThankYou:
    """The requester side thanks the volunteer of a served order, once; the same note sent
    again (a retry) returns the first."""
    text = text.strip()
    if not text or len(text) > MAX_THANKS:
        raise Invalid(
            _("Write a few words, at most %(n)s characters.") % {"n": MAX_THANKS},
            fields={"text": [_("1 to %(n)s characters.") % {"n": MAX_THANKS}]},
        )
    order = Order.objects.select_related("request", "volunteer__user").get(pk=order.pk)
    if not requester_side(actor, order.request) or order.volunteer.user_id == actor.pk:
        raise Forbidden(
            _("Only the requester or their family may thank the volunteer."), "not_requester"
        )
    if order.status not in (Order.Status.COMPLETED, Order.Status.CONFIRMED):
        raise Conflict(_("A volunteer is thanked once the service is done."), "not_served")
    found = ThankYou.objects.filter(order=order).first()
    if found is not None:
        if found.text == text:
            return found
        raise Conflict(_("This service has been thanked for already."), "thanked")
    try:
        with transaction.atomic():
            made = ThankYou.objects.create(
                order=order, text=text, by=actor, at=now or timezone.now()
            )
            tell(
                [order.volunteer.user],
                _("A thank-you note for help request #%(pk)s") % {"pk": order.request_id},
                text,
                "/timebank/hours/",
            )
    except IntegrityError:
        found = ThankYou.objects.filter(order=order).first()
        if found is not None and found.text == text:
            return found  # the same note sent twice at once
        raise Conflict(_("This service has been thanked for already."), "thanked") from None
    return made


def thanks_for(volunteer_ids: list[int], limit: int = 50) -> list[ThankYou]:
    """Thank-you notes to these members as volunteers, newest first."""
    return list(
        ThankYou.objects.filter(order__volunteer_id__in=volunteer_ids)
        .select_related("order__request")
        .order_by("-at", "-id")[:limit]
    )
