"""What other apps (the dashboard) may call of the hub besides ``hub.query``: catalog figures
and how promptly data requests are answered.

Read-only; nothing personal. Datasets of the shared catalog (no region) count for every
region; a region's own datasets count for it and the regions above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from shequ.core.models import AuditEvent
from shequ.core.models.regions import covering_codes
from shequ.hub.models import DataRequest, Dataset, DatasetVersion, VersionNotice


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


@dataclass(frozen=True)
class RequestsOnTime:
    """Data requests with a decision deadline in a window, and those decided by it."""

    due: int
    on_time: int


def requests_on_time(prefix: str, now: datetime, days: int = 30) -> RequestsOnTime:
    """How many data requests a region answered by their deadline (``due_at``) in the ``days``
    before ``now``.

    A request belongs to the region that decides it: its dataset's region, else the region of
    the dataset's department. Requests for shared-catalog datasets that neither a region nor a
    department owns are decided by the platform's managers and count for no region.

    Counted: requests whose deadline fell in the window, and requests decided in the window
    (one decided early, before a deadline still to come, is on time). A request still pending
    after its deadline is late; a withdrawn one is not counted (nobody owed it an answer).
    A decision after ``now`` has not happened yet at ``now``.
    """
    since = now - timedelta(days=days)
    owned = Q(dataset__region__code__startswith=prefix) | Q(
        dataset__region__isnull=True, dataset__department__region__code__startswith=prefix
    )
    decided = Q(decided_at__isnull=False, decided_at__lte=now)
    window = Q(due_at__gt=since, due_at__lte=now) | (decided & Q(decided_at__gt=since))
    counted = DataRequest.objects.filter(owned, window, due_at__isnull=False, created__lte=now)
    counts = counted.exclude(status=DataRequest.Status.WITHDRAWN).aggregate(
        due=Count("pk"), on_time=Count("pk", filter=decided & Q(decided_at__lte=F("due_at")))
    )
    return RequestsOnTime(int(counts["due"]), int(counts["on_time"]))
