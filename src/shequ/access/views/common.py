"""What the access pages share: the staff gate."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from shequ.access.services.access import is_staff_somewhere
from shequ.core.types import Requester


def require_staff_somewhere(user: Requester) -> None:
    if not is_staff_somewhere(user):
        raise PermissionDenied(_("Only community staff may do this."))
