"""The staff side: requests nobody takes, objections, and telling volunteers who match."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.models import Membership, Role
from shequ.core.types import User
from shequ.timebank.models import ACTIVE_ORDER, HelpRequest, Member, Order
from shequ.timebank.services import reliability
from shequ.timebank.services.notices import tell
from shequ.timebank.services.requests import untaken

MATCHES_TOLD = 10
LOAD_DAYS = 30


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
    """Volunteers of the community with the request's skill: the same building, then the same
    estate, first; then the more reliable (recent no-shows weigh more); then the least busy of
    late (spreading the work)."""
    now = now or timezone.now()
    since = now - timedelta(days=LOAD_DAYS)
    candidates = (
        Member.objects.filter(region=req.region, is_volunteer=True, active=True, user__isnull=False)
        .exclude(pk=req.beneficiary_id)
        .annotate(load=Count("orders", filter=Q(orders__taken_at__gte=since)))
        .select_related("user")
    )
    skilled = [m for m in candidates if req.category in m.skills]
    reliable = reliability.scores([m.pk for m in skilled], now)

    def rank(m: Member) -> tuple[int, int, int, int]:
        near = (
            0
            if req.building and m.building == req.building and m.estate == req.estate
            else (1 if req.estate and m.estate == req.estate else 2)
        )
        # Reliability in bands of a tenth: it orders volunteers, not hairs between them.
        return (near, -int(reliable[m.pk] * 10), getattr(m, "load", 0), m.pk)

    ranked: list[Member] = sorted(skilled, key=rank)
    return ranked[:MATCHES_TOLD]


def tell_matching_volunteers(request_id: int) -> int:
    req = HelpRequest.objects.select_related("region").filter(pk=request_id).first()
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
