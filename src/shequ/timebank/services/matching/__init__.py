"""Matching (撮合): open requests ranked for a volunteer, volunteers ranked for a request, and
the staff's report of requests nobody matches, with the reason.

The rules live here once, in ``rules.pair``, written over numpy arrays so that one call ranks a
volunteer against every open request of a community (or a request against every volunteer):

- a volunteer **fits** a request when they have its skill, are available in its window (weekly
  availability overlaps it; a volunteer who stated none counts as available) and the request
  is within their reach (same building, same estate, or anywhere in the community);
- among those, the nearer first (same building, then same estate, then the community), then
  the more languages/dialects shared with the beneficiary;
- requests for a volunteer: then the urgent, then the sooner, then the older (id);
- volunteers for a request: then the more reliable (in bands of a tenth), then the least busy
  of late (spreading the work), then the longer registered (id); volunteers holding
  ``TIMEBANK_MAX_ACTIVE_ORDERS`` orders not yet served are left out (overloaded).

Times are weekly local minutes: Monday 00:00 is 0, a week is ``WEEK`` minutes, and a
volunteer's availability is a cumulative count of available minutes (``week.cumulative``), so the
overlap of any window is two look-ups, whatever its length.

The package, one concern a module: ``week`` (weekly local minutes and availability), ``rules``
(the rules over arrays), ``hall`` (a community's open requests ranked for a volunteer),
``volunteers`` (volunteers ranked for a request) and ``report`` (requests nobody matches).
"""

from __future__ import annotations

from shequ.timebank.services.matching.hall import (
    OpenRequests,
    Ranked,
    ranked_requests,
    requests_for,
)
from shequ.timebank.services.matching.report import (
    WHY,
    Unmatched,
    staff_report_regions,
    unmatched,
)
from shequ.timebank.services.matching.rules import Terms, pair
from shequ.timebank.services.matching.volunteers import Volunteers, volunteers_for
from shequ.timebank.services.matching.week import (
    WEEK,
    cumulative,
    local_minutes,
    weekly_overlap,
)

__all__ = [
    "WEEK",
    "WHY",
    "OpenRequests",
    "Ranked",
    "Terms",
    "Unmatched",
    "Volunteers",
    "cumulative",
    "local_minutes",
    "pair",
    "ranked_requests",
    "requests_for",
    "staff_report_regions",
    "unmatched",
    "volunteers_for",
    "weekly_overlap",
]
