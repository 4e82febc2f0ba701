"""Residents' feedback, the resident's side: rate a service, read "my feedback".

A comment is seen by its author and by the staff of the author's community and street, never by
other residents: so there is no public wall to report from, and "report" is a staff flag
(``feedback_staff.report``) that escalates a comment to the street. Abuse is held back by a
rate limit per resident (``PER_HOUR`` comments in any hour, HTTP 429), length limits and
moderation.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.errors import Forbidden, Invalid, Throttled
from shequ.core.models import Membership, Region, Role
from shequ.core.models.regions import RegionLevel
from shequ.core.types import Requester, User
from shequ.dashboard.models import Feedback, ServiceKind
from shequ.dashboard.models.feedback import COMMENT_MAX, OBJECT_REF_MAX

PER_HOUR = 5  # comments a resident may give in any hour
AUTHOR_ROLES = (Role.RESIDENT, Role.VOLUNTEER)
COMMUNITY_LEVELS = (RegionLevel.COMMUNITY, RegionLevel.VILLAGE)


def communities_of(user: Requester) -> list[Region]:
    """The communities (villages) where the user lives or volunteers, in code order."""
    if not isinstance(user, User) or not user.is_active:
        return []
    return list(
        Region.objects.filter(
            pk__in=Membership.objects.filter(user=user, role__in=AUTHOR_ROLES).values("region_id"),
            level__in=COMMUNITY_LEVELS,
        ).order_by("code")
    )


def _community(user: Requester, region_code: str) -> Region:
    own = communities_of(user)
    if not own:
        raise Forbidden(_("Only residents and volunteers of a community can rate a service."))
    for region in own:
        if region_code and region.code == region_code:
            return region
    return own[0]


def _check(service: str, rating: int, comment: str, object_ref: str) -> None:
    problems: dict[str, list[str]] = {}
    if service not in ServiceKind.values:
        problems["service"] = [_("Choose one of the services.")]
    if not 1 <= rating <= 5:
        problems["rating"] = [_("Give 1 to 5 stars.")]
    if len(comment) > COMMENT_MAX:
        problems["comment"] = [
            _("Keep the comment to %(max)d characters (it has %(n)d).")
            % {"max": COMMENT_MAX, "n": len(comment)}
        ]
    if len(object_ref) > OBJECT_REF_MAX:
        # Cut short it would name another object (pass:1234… as pass:123), so it is refused.
        problems["object_ref"] = [
            _("What was rated is named in at most %(max)d characters (it has %(n)d).")
            % {"max": OBJECT_REF_MAX, "n": len(object_ref)}
        ]
    if problems:
        raise Invalid(" ".join(m for ms in problems.values() for m in ms), fields=problems)


def submit(
    user: Requester,
    *,
    service: str,
    rating: int,
    comment: str = "",
    object_ref: str = "",
    region_code: str = "",
    now: datetime | None = None,
) -> Feedback:
    """File a resident's rating and comment in their community (the first one, or ``region_code``
    when it is one of theirs)."""
    now = now or timezone.now()
    comment, object_ref = comment.strip(), object_ref.strip()
    _check(service, rating, comment, object_ref)
    region = _community(user, region_code)
    assert isinstance(user, User)
    with transaction.atomic():
        # Lock the author's row so two quick posts cannot both pass the limit.
        User.objects.select_for_update().filter(pk=user.pk).first()
        recent = Feedback.objects.filter(author=user, created_at__gt=now - timedelta(hours=1))
        if recent.count() >= PER_HOUR:
            raise Throttled(
                _(
                    "You have given %(n)d comments in the last hour; please wait a while "
                    "before giving another."
                )
                % {"n": PER_HOUR}
            )
        return Feedback.objects.create(
            author=user,
            region=region,
            service=service,
            object_ref=object_ref,
            rating=rating,
            comment=comment,
            created_at=now,
        )


def mine(user: Requester) -> list[Feedback]:
    """The resident's own feedback, newest first, with the replies (hidden ones too: the author
    sees that a comment was hidden)."""
    if not isinstance(user, User):
        return []
    return list(Feedback.objects.filter(author=user).select_related("region")[:200])
