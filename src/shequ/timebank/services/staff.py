"""The staff side: requests nobody takes, objections, and telling volunteers who match."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.models import Membership, Role
from shequ.core.types import User
from shequ.timebank.models import ACTIVE_ORDER, HelpRequest, Member, Order
from shequ.timebank.services import matching
from shequ.timebank.services.notices import tell
from shequ.timebank.services.requests import untaken

MATCHES_TOLD = 10


def staff_of(req: HelpRequest) -> list[User]:
    """Street and community staff whose region covers the request's community."""
    found = Membership.objects.filter(
        role__in=(Role.STREET_STAFF, Role.COMMUNITY_STAFF), user__is_active=True
    ).select_related("region", "user")
    return [m.user for m in found if req.region.code.startswith(m.region.prefix)]


def alert_untaken(now: datetime | None = None) -> int:
    """Tell staff, once per request, about open requests nobody took in time."""
    now = now or timezone.now()
    told = 0
    for req in untaken(now=now):
        if req.alerted_at is not None:
            continue
        if HelpRequest.objects.filter(pk=req.pk, alerted_at__isnull=True).update(alerted_at=now):
            tell(
                staff_of(req),
                _("Help request #%(pk)s (%(category)s) has not been taken")
                % {"pk": req.pk, "category": req.get_category_display()},
                url=f"/timebank/requests/{req.pk}/",
            )
            told += 1
    return told


def matching_volunteers(req: HelpRequest, *, now: datetime | None = None) -> list[Member]:
    """The volunteers to tell about a request, ranked by ``matching`` (its one set of rules)."""
    return matching.volunteers_for(req, now=now, limit=MATCHES_TOLD)


def tell_matching_volunteers(request_id: int) -> int:
    req = HelpRequest.objects.select_related("region", "beneficiary").filter(pk=request_id).first()
    if req is None or req.status != HelpRequest.Status.OPEN:
        return 0
    return tell(
        [m.user for m in matching_volunteers(req)],
        _("New help request near you: %(category)s (#%(pk)s)")
        % {"category": req.get_category_display(), "pk": req.pk},
        url=f"/timebank/requests/{req.pk}/",
    )


def disputed(region_ids: QuerySet | list[int]) -> QuerySet[Order]:
    return Order.objects.filter(
        status=Order.Status.DISPUTED, request__region_id__in=region_ids
    ).select_related("request", "volunteer__person")


def active_orders(member: Member) -> QuerySet[Order]:
    return member.orders.filter(status__in=ACTIVE_ORDER).select_related("request")
