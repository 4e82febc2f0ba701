"""Public holidays (``PH``) as the gate needs them: cheap to read on every event."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from shequ.core.models.regions import covering_codes
from shequ.parking.models import PublicHoliday

# Holidays change a few times a year; other processes see a change within this many seconds.
TTL = 300.0
_cache: dict[str, tuple[float, frozenset[date]]] = {}


def holidays_for(region_code: str) -> frozenset[date]:
    """Holiday dates that hold in a region: nationwide ones and those of it or above it."""
    hit = _cache.get(region_code)
    if hit is not None and time.monotonic() - hit[0] < TTL:
        return hit[1]
    days = frozenset(
        PublicHoliday.objects.filter(
            Q(region__isnull=True) | Q(region__code__in=covering_codes(region_code))
        ).values_list("day", flat=True)
    )
    _cache[region_code] = (time.monotonic(), days)
    return days


def invalidate() -> None:
    _cache.clear()


@receiver([post_save, post_delete], sender=PublicHoliday, dispatch_uid="parking.holidays")
def _holidays_changed(**_kwargs: Any) -> None:
    invalidate()  # this process at once; the others within TTL
