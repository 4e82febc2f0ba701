"""The staff's report of open requests nobody matches, with the first rule that leaves nobody,
and which regions' report a user may read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequ.core.models import Region
from shequ.core.types import Requester
from shequ.timebank.models import HelpRequest
from shequ.timebank.services.access import require_staff, staff_regions
from shequ.timebank.services.errors import Forbidden, NotFound
from shequ.timebank.services.matching.volunteers import Volunteers

WHY = {
    "no_skill": gettext_lazy("No volunteer has this skill"),
    "not_available": gettext_lazy("No volunteer with the skill is available in the window"),
    "too_far": gettext_lazy(
        "The request is out of the reach of every available volunteer with the skill"
    ),
    "overloaded": gettext_lazy("Every volunteer who fits holds too many orders already"),
}


@dataclass
class Unmatched:
    request: HelpRequest
    reason: str
    skilled: int
    available: int
    reachable: int

    @property
    def why(self) -> str:
        return str(WHY[self.reason])


def unmatched(region_ids: Iterable[int], *, now: datetime | None = None) -> list[Unmatched]:
    """Open requests of the regions that no volunteer fits, and the first rule that leaves
    none: the skill, then availability, then reach, then load."""
    now = now or timezone.now()
    ids = list(region_ids)
    open_requests = list(
        HelpRequest.objects.filter(
            region_id__in=ids, status=HelpRequest.Status.OPEN, ends_at__gt=now
        )
        .select_related("region", "beneficiary")
        .order_by("starts_at", "id")
    )
    pools = Volunteers.load({r.region_id for r in open_requests}, now=now)
    found = []
    for req in open_requests:
        pool = pools.get(req.region_id)
        if pool is None:
            found.append(Unmatched(req, "no_skill", 0, 0, 0))
            continue
        terms = pool.terms(req, req.beneficiary.languages or ())
        not_self = np.array([m.pk != req.beneficiary_id for m in pool.members], dtype=bool)
        skilled = terms.skilled & not_self
        available = skilled & terms.available
        reachable = available & terms.reachable
        free = reachable & ~pool.busy
        counts = (int(skilled.sum()), int(available.sum()), int(reachable.sum()))
        if free.any():
            continue
        reason = (
            "no_skill"
            if not counts[0]
            else "not_available"
            if not counts[1]
            else "too_far"
            if not counts[2]
            else "overloaded"
        )
        found.append(Unmatched(req, reason, *counts))
    return found


def staff_report_regions(user: Requester, code: str | None = None) -> list[int]:
    """The region ids whose report the user may read: the communities they staff, or the one
    asked for (refused when they do not staff it; unknown codes are not found)."""
    regions = staff_regions(user)
    if code is None:
        ids = list(regions.values_list("pk", flat=True))
        if not ids:
            raise Forbidden(_("Only the community's staff may do this."), "not_staff")
        return ids
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(
            _("No region %(code)s.") % {"code": code}, fields={"region": [_("Not found.")]}
        )
    require_staff(user, region)
    return list(regions.filter(code__startswith=region.prefix).values_list("pk", flat=True))
