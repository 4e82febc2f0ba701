"""What other apps (the dashboard) may call: read-only figures, no personal values."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from shequ.access.models import AccessEvent, Alert


def figures(region_code_prefix: str) -> dict[str, int]:
    """Checks and refusals of the last 24 hours and open alerts under a region prefix."""
    since = timezone.now() - timedelta(hours=24)
    events = AccessEvent.objects.filter(region__code__startswith=region_code_prefix, at__gte=since)
    return {
        "checks_24h": events.count(),
        "refused_24h": events.filter(allow=False).count(),
        "open_alerts": Alert.objects.filter(
            region__code__startswith=region_code_prefix, status=Alert.Status.OPEN
        ).count(),
    }
