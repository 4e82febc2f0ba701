"""Expiry of replaced data files: delete the files no version within the retention needs.

Compaction (and a ``replace`` or ``upsert`` run) removes files from a table's newest version
but leaves them on disk, so that earlier versions stay readable; without expiry a compacted
table takes its size twice. ``vacuum`` deletes the files a later version removed more than
``HUB_VACUUM_RETENTION_HOURS`` ago (default 168: a week), never a file of the table's newest
version or of the version the platform records as the dataset's. A version whose files were
removed is then no longer readable (a query pinning it is told it has expired); versions
committed within the retention, and every version whose files are all still current, read
as before.

delta-rs lists the files (``DeltaTable.vacuum`` in its "lite" mode, as a dry run: only files
the log says were removed, never a file it does not know, such as a run's files not yet
committed), and this module deletes them itself: delta-rs's own vacuum would also commit two
versions (``VACUUM START``/``END``) to the table, which would become versions the platform has
not recorded (and make compaction give way each time). So expiry commits nothing; running it
twice deletes nothing more.

Backups (``shequ backup``) copy the version the platform records, whose files were current
when the backup began: a file removed later is deleted only once the retention has passed
since its removal, so a backup is safe as long as it takes less than the retention.
Besides, a running backup holds a pin (``hub.pins``) and expiry waits while there is one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from django.conf import settings

from shequ.hub.models import Dataset
from shequ.hub.pins import held_pins
from shequ.hub.storage import open_table

log = logging.getLogger(__name__)


@dataclass
class Vacuum:
    dataset: str
    files: int
    bytes: int


def retention_hours() -> float:
    return float(settings.HUB_VACUUM_RETENTION_HOURS)


def vacuum(dataset: Dataset, *, hours: float | None = None, dry_run: bool = False) -> Vacuum:
    """Delete the files of *dataset*'s table that later versions removed more than *hours*
    (``HUB_VACUUM_RETENTION_HOURS``) ago; what was (or would be) deleted."""
    hours = retention_hours() if hours is None else hours
    done = Vacuum(dataset.key, 0, 0)
    table = open_table(dataset.key) if dataset.version is not None else None
    if table is None:
        return done
    keep = sorted({table.version(), *([dataset.version] if dataset.version is not None else [])})
    names = table.vacuum(
        retention_hours=int(hours),
        dry_run=True,
        enforce_retention_duration=False,
        full=False,
        keep_versions=[v for v in keep if v <= table.version()],
    )
    root = Path(unquote(table.table_uri.removeprefix("file://"))).resolve()
    for name in names:
        path = (root / unquote(name)).resolve()
        if root not in path.parents or "_delta_log" in path.relative_to(root).parts:
            log.warning("vacuum of %s: %r is not a data file of the table", dataset.key, name)
            continue
        try:
            size = path.stat().st_size
            if not dry_run:
                path.unlink()
        except FileNotFoundError:
            continue  # deleted already (another vacuum)
        done.files += 1
        done.bytes += size
    return done


def vacuum_all(*, hours: float | None = None) -> list[Vacuum]:
    """Expire replaced files of every dataset (the worker's hourly job); nothing while a
    backup runs."""
    done = []
    for dataset in Dataset.objects.filter(version__isnull=False).order_by("key"):
        if held_pins():
            log.info("expiry of replaced hub files waits for a running backup")
            break
        try:
            result = vacuum(dataset, hours=hours)
        except Exception:  # one damaged table must not stop the others
            log.exception("vacuum of %s failed", dataset.key)
            continue
        if result.files:
            log.info("vacuum of %s: %d files, %d bytes", result.dataset, result.files, result.bytes)
            done.append(result)
    return done
