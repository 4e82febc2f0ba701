"""Who may do what in the time bank: one place for the questions pages, API and jobs ask.

Staff of a community (and of the street or district above it) run its time bank; residents
and volunteers act through their own membership. Everything is scoped by region
(``core.permissions.scope``): nobody sees another community's requests.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shequ.core.models import Region, Role
from shequ.core.permissions import Perm, has_global, prefixes_for, scope
from shequ.core.types import Requester, User
from shequ.timebank.models import HelpRequest, Member, Order
from shequ.timebank.services.errors import Forbidden, NotFound

STAFF_ROLES = (Role.PLATFORM_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF)


def is_staff_at(user: Requester, region: Region) -> bool:
    """Staff of the region (or above it) who run its time bank."""
    if has_global(user, Perm.TIMEBANK):
        return True
    prefixes = prefixes_for(user, Perm.TIMEBANK, roles=STAFF_ROLES)
    return any(region.code.startswith(p) for p in prefixes)


def staff_regions(user: Requester) -> QuerySet[Region]:
    return scope(Region.objects.all(), user, Perm.TIMEBANK, region_field="code", roles=STAFF_ROLES)


def require_staff(user: Requester, region: Region) -> None:
    if not is_staff_at(user, region):
        raise Forbidden(_("Only the community's staff may do this."), "not_staff")


def memberships(user: Requester) -> QuerySet[Member]:
    """The user's own memberships, in communities where they still hold the time bank."""
    if not isinstance(user, User):
        return Member.objects.none()
    mine = Member.objects.filter(user=user, active=True).select_related(
        "region", "account", "person"
    )
    return scope(mine, user, Perm.TIMEBANK)


def member_of(user: Requester, *, volunteer: bool = False) -> Member:
    """The user's membership (the first one); refused when there is none."""
    found = memberships(user)
    if volunteer:
        found = found.filter(is_volunteer=True)
    member = found.first()
    if member is None:
        message = (
            _("You are not a volunteer of a time bank yet: ask your community.")
            if volunteer
            else _("You are not a member of a time bank yet: ask your community.")
        )
        raise Forbidden(message, "no_member")
    return member


def visible_requests(user: Requester) -> QuerySet[HelpRequest]:
    """Requests a user may see: all of the communities they staff, open ones in communities
    where they volunteer, and their own (posted by them, for them, or taken by them)."""
    base = HelpRequest.objects.select_related("region", "beneficiary__person")
    staffed = scope(base, user, Perm.TIMEBANK, roles=STAFF_ROLES)
    if not isinstance(user, User):
        return base.none()
    mine = list(memberships(user))
    volunteer_regions = [m.region_id for m in mine if m.is_volunteer]
    member_ids = [m.pk for m in mine]
    own = scope(
        base.filter(posted_by=user)
        | base.filter(beneficiary_id__in=member_ids)
        | base.filter(orders__volunteer_id__in=member_ids)
        | base.filter(region_id__in=volunteer_regions, status=HelpRequest.Status.OPEN),
        user,
        Perm.TIMEBANK,
    )
    return (staffed | own).distinct()


def get_request(user: Requester, pk: int) -> HelpRequest:
    found = visible_requests(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No help request %(pk)s that you may see.") % {"pk": pk}, "no_request")
    return found


def get_order(user: Requester, pk: int) -> Order:
    """An order of a request the user may see."""
    order = (
        Order.objects.select_related("request__region", "volunteer__person", "transfer")
        .filter(pk=pk, request__in=visible_requests(user))
        .first()
    )
    if order is None:
        raise NotFound(_("No order %(pk)s that you may see.") % {"pk": pk}, "no_order")
    return order
