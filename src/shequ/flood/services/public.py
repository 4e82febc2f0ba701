"""What other apps (the dashboard) may call: read-only figures of the flood watch."""

from __future__ import annotations

from django.db.models import Count

from shequ.flood.models import OPEN_STATES, Alert


def open_alerts_by_level(region_prefix: str) -> dict[int, int]:
    """Open alerts per level (1 blue … 4 red) in the regions under a code prefix."""
    rows = (
        Alert.objects.filter(state__in=OPEN_STATES, point__region__code__startswith=region_prefix)
        .values_list("level")
        .annotate(n=Count("id"))
    )
    return {level: n for level, n in rows}
