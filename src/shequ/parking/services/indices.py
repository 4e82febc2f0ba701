"""The parking indices job: compute the figures from hub data and publish them back (R2.6).

The computation is the ``shequ.parking.indices`` engine; this is what the worker, the demo and
the command line call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from shequ.parking.indices import (
    DEFAULT_WEEKS,
    EstateIndex,
    Window,
    berth_hours,
    default_window,
    estate_indices,
    night_idle,
    publish_all,
)

log = logging.getLogger(__name__)


@dataclass
class IndicesReport:
    """What ``compute_and_publish_indices`` computed and published."""

    window: Window | None
    garages: int = 0
    hours: int = 0
    estates: list[EstateIndex] = field(default_factory=list)
    published: dict[str, int | None] = field(default_factory=dict)  # dataset -> version


def compute_and_publish_indices(
    weeks: int = DEFAULT_WEEKS, until: datetime | None = None, radius_m: float | None = None
) -> IndicesReport:
    """The worker job: compute the indices over the last ``weeks`` weeks and publish them."""
    window = default_window(weeks, until)
    if window is None:
        log.info("parking indices: no gate records yet, nothing to compute")
        return IndicesReport(window=None)
    hours = berth_hours(window)
    nights = night_idle(window)
    estates = estate_indices({n.garage_code: n for n in nights}, radius_m=radius_m)
    report = IndicesReport(window, garages=len(nights), hours=len(hours), estates=estates)
    report.published = publish_all(window, hours, nights, estates)
    log.info(
        "parking indices: %d garages, %d hours, %d estates published",
        len(nights),
        len(hours),
        len(estates),
    )
    return report
