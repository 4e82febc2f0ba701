"""One refresh as the worker and the demo run it: compute what is due, publish it (flowback)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from shequ.dashboard.models import Value
from shequ.dashboard.services import compute, flowback

log = logging.getLogger(__name__)


def run(
    keys: Iterable[str] | None = None, *, force: bool = False, now: datetime | None = None
) -> int:
    """Compute the due indicators (all with ``force``) and publish their rows; rows stored."""
    now = now or timezone.now()
    done = compute.refresh(keys, now=now, force=force)
    if done:
        values = Value.objects.filter(indicator__in=list(done), at=now).select_related("region")
        try:
            flowback.publish(values)
        except Exception:  # the values are kept; the next run publishes again
            log.exception("dashboard: publishing the indicator values to the hub failed")
    return sum(done.values())
