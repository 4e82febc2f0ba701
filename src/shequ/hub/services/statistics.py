"""A version's column statistics, computed by a worker job after its commit.

Nothing a query needs waits for them: a run commits its version, records its row count
(from the Delta log) and returns; the null counts, distinct-count sketches, minima and
maxima are worked out by ``jobs.version_statistics``, which the jobs module queues when a
version's row is saved (once its transaction has committed). Until then
``DatasetVersion.stats`` is empty and the pages say the statistics are being computed.
Statistics belong to one version (``storage.version_stats`` reads that version of the
table, whatever has been committed since), so the job can run late, twice or beside
another version's job; a sweep catches any the worker missed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from shequ.hub.models import DatasetVersion
from shequ.hub.storage import open_table, version_stats
from shequ.hub.tableschema import TableSchema

log = logging.getLogger(__name__)


def pending(version: DatasetVersion) -> bool:
    """Whether the version's statistics are still to be computed."""
    return not version.stats


def compute(dataset_id: int, version: int) -> bool:
    """Compute and store the statistics of one version; False if there was nothing to do."""
    row = (
        DatasetVersion.objects.select_related("dataset")
        .filter(dataset_id=dataset_id, version=version)
        .first()
    )
    if row is None or not pending(row):
        return False
    dataset = row.dataset
    table = open_table(dataset.key, version=version)
    if table is None:
        return False
    stats = version_stats(table, TableSchema.from_dict(dataset.schema))
    # Only the empty value is replaced: a second job finds the statistics there already.
    DatasetVersion.objects.filter(pk=row.pk, stats={}).update(stats=stats)
    return True


def sweep(older_than: timedelta = timedelta(minutes=2)) -> int:
    """Compute what the job queued at commit did not (worker down, job failed)."""
    cutoff = timezone.now() - older_than
    done = 0
    versions = DatasetVersion.objects.filter(stats={}, created__lt=cutoff).order_by("version")
    for dataset_id, version in versions.values_list("dataset_id", "version")[:50]:
        try:
            done += compute(dataset_id, version)
        except Exception:  # one damaged table must not stop the others
            log.exception("statistics of dataset %s version %s failed", dataset_id, version)
    return done
