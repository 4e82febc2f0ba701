"""What other apps (the dashboard) may call: read-only figures, no personal values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F
from django.utils import timezone

from shequ.access.models import AccessEvent, Alert, VisitorPass, WelfareCheck


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


def live_passes(region_code_prefix: str, now: datetime | None = None) -> int:
    """Visitor passes valid now (not revoked, uses left) under a region prefix."""
    now = now or timezone.now()
    return (
        VisitorPass.objects.filter(
            region__code__startswith=region_code_prefix,
            revoked_at__isnull=True,
            valid_from__lte=now,
            valid_until__gt=now,
            uses__lt=F("max_uses"),
        )
        .only("pk")
        .count()
    )


def welfare_figures(region_code_prefix: str, days: int = 30) -> dict[str, int]:
    """Welfare checks raised in the last ``days`` under a prefix, by outcome, and still open."""
    since = timezone.now() - timedelta(days=days)
    checks = WelfareCheck.objects.filter(region__code__startswith=region_code_prefix)
    recent = dict(
        checks.filter(raised_at__gte=since).values_list("outcome").annotate(n=Count("pk"))
    )
    return {
        "raised": sum(recent.values()),
        "fine": recent.get("fine", 0),
        "helped": recent.get("helped", 0),
        "escalated": recent.get("escalated", 0),
        "open": checks.filter(outcome=WelfareCheck.Outcome.OPEN).count(),
    }


@dataclass(frozen=True)
class OpenAlert:
    """An open door alert as a dashboard shows it: no person, only where, when and colour."""

    region_code: str
    colour: str
    colour_label: str
    at: datetime


def open_alerts(region_code_prefix: str, limit: int = 20) -> list[OpenAlert]:
    rows = (
        Alert.objects.filter(region__code__startswith=region_code_prefix, status=Alert.Status.OPEN)
        .select_related("region")
        .order_by("-last_at")[:limit]
    )
    return [
        OpenAlert(a.region.code, a.colour, str(a.get_colour_display()), a.last_at) for a in rows
    ]
