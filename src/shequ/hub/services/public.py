"""What other apps (the dashboard) may call of the hub besides ``hub.query``: catalog figures.

Read-only; nothing personal. Datasets of the shared catalog (no region) count for every
region; a region's own datasets count for it and the regions above it.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, Sum
from django.utils import timezone

from shequ.core.models import AuditEvent
from shequ.core.models.regions import covering_codes
from shequ.hub.models import Dataset, DatasetVersion, VersionNotice


def _datasets(region_code: str, prefix: str) -> Q:
    return (
        Q(region__isnull=True)
        | Q(region__code__startswith=prefix)
        | Q(region__code__in=covering_codes(region_code))
    )


def figures(region_code: str, prefix: str, days: int = 30) -> dict[str, int]:
    """Datasets with data, their records and versions, flowback notices sent and user queries
    of the last ``days`` for a region (its code and prefix)."""
    since = timezone.now() - timedelta(days=days)
    datasets = Dataset.objects.filter(_datasets(region_code, prefix), version__isnull=False)
    notices = VersionNotice.objects.filter(
        status=VersionNotice.Status.SENT,
        created__gte=since,
        subscription__dataset__in=datasets,
    )
    queries = AuditEvent.objects.filter(
        action="hub.query", at__gte=since, actor__isnull=False, region_code__startswith=prefix
    )
    return {
        "datasets": datasets.count(),
        "records": int(datasets.aggregate(n=Sum("row_count"))["n"] or 0),
        "versions": DatasetVersion.objects.filter(dataset__in=datasets).count(),
        "flowback_notices": notices.count(),
        "queries": queries.count(),
    }


def has_data(key: str) -> bool:
    """Whether dataset ``key`` exists and holds a committed version."""
    return Dataset.objects.filter(key=key, version__isnull=False).exists()
