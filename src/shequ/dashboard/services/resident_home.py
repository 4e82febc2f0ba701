"""A resident's entries on the home page: their community's public figures, rating a service."""

from __future__ import annotations

from django.utils.translation import gettext as _

from shequ.core.types import User
from shequ.dashboard.services.feedback import communities_of
from shequ.dashboard.services.values import english


def lives_in_a_community(user: User) -> bool:
    """Residents and volunteers of a community (staff reach the dashboards their own way)."""
    return bool(communities_of(user))


def describe_figures(user: User) -> str:
    joint = ", " if english() else "、"
    names = joint.join(r.name for r in communities_of(user)[:3])
    return _("The public indicators of %(names)s, on one phone page.") % {"names": names}
