"""Ingestion runs: bookkeeping around the engine, for the CLI, API, pages and worker."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shequ.core import pii
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.hub.connectors import get_connector
from shequ.hub.connectors.base import Fetched, NothingToFetch
from shequ.hub.ingest.readers import open_input
from shequ.hub.ingest.run import Outcome, RepeatedContent, ingest_staged
from shequ.hub.ingest.staging import IngestError, StagedInput
from shequ.hub.models import Dataset, DatasetVersion, IngestRun, Mode, Source
from shequ.hub.storage import open_table, version_rows
from shequ.hub.tableschema import TableSchema

log = logging.getLogger(__name__)
Status = IngestRun.Status


@dataclass(frozen=True)
class InputSpec:
    """How to read a local file: all optional, detected when absent."""

    format: str | None = None
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    skip_hidden_rows: bool = False  # leave out rows a spreadsheet hides


def start_run(
    dataset: Dataset,
    *,
    mode: str,
    source: Source | None = None,
    user: User | None = None,
    input_name: str = "",
) -> IngestRun:
    if mode not in Mode.values:
        raise IngestError(f"mode must be one of {', '.join(Mode.values)}")
    return IngestRun.objects.create(
        dataset=dataset,
        source=source,
        mode=mode,
        status=Status.RUNNING,
        started=timezone.now(),
        triggered_by=user if getattr(user, "pk", None) else None,
        input_name=input_name[:300],
    )


def ingest_file(
    dataset: Dataset,
    path: Path,
    *,
    mode: str = Mode.APPEND,
    user: User | None = None,
    source: Source | None = None,
    spec: InputSpec | None = None,
    notes: list[str] | None = None,
) -> IngestRun:
    """Ingest one local file now; always returns the finished run (succeeded/failed/skipped).

    *notes*: said before the run's own notes (what inferring the dataset's schema proposed).
    """
    run = start_run(dataset, mode=mode, source=source, user=user, input_name=path.name)
    spec = spec or InputSpec()
    workdir = Path(tempfile.mkdtemp(prefix="shequ-stage-"))
    try:
        staged = open_input(
            path,
            workdir=workdir,
            format=spec.format,
            sheet=spec.sheet or _sheet(source),
            delimiter=spec.delimiter,
            encoding=spec.encoding,
            check=False,  # the engine parses the file once and explains errors itself
            skip_hidden_rows=spec.skip_hidden_rows or _skip_hidden(source),
        )
    except IngestError as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        run.log = "\n".join(notes or [])
        return _fail(run, str(exc))
    try:
        return ingest_run(run, staged, notes=notes)
    finally:
        staged.cleanup()


def ingest_run(run: IngestRun, staged: StagedInput, notes: list[str] | None = None) -> IngestRun:
    """Validate and commit a staged input under an already started run."""
    dataset = run.dataset
    run.log = "\n".join(notes or [])
    run.bytes_read, run.encoding = staged.bytes_read, staged.encoding
    duplicate = _same_file(run, staged)
    if duplicate is not None:
        return _finish(
            run,
            Status.SKIPPED,
            error=(
                f"skipped: this exact file (SHA-256 {run.file_hash[:12]}…) was already "
                f"ingested by run {duplicate.pk} into version {duplicate.version}; "
                "appending it again would duplicate its rows, so no version was committed"
            ),
        )
    source = run.source
    outcome = Outcome()
    outcome.notes[:0] = notes or []
    try:
        ingest_staged(
            dataset.key,
            TableSchema.from_dict(dataset.schema),
            staged,
            mode=run.mode,
            run_id=run.pk,
            column_map=source.column_map if source else {},
            max_reject_rate=source.max_reject_rate if source else _default_reject_rate(),
            outcome=outcome,
            year_start=_year_start(source),
            repeat_of=(lambda digest: _same_content(run, digest))
            if run.mode == Mode.APPEND
            else None,
        )
    except RepeatedContent as exc:
        run.file_hash, run.content_digest = staged.file_hash(), outcome.content_digest
        run.rows_read, run.rows_rejected = outcome.rows_read, outcome.rows_rejected
        run.log = "\n".join(outcome.notes)
        return _finish(run, Status.SKIPPED, error=str(exc))
    except IngestError as exc:
        # Nothing was committed: say how far the run got and keep its quarantine file.
        run.file_hash = staged.file_hash()
        run.rows_read, run.rows_rejected = outcome.rows_read, outcome.rows_rejected
        run.quarantine = _quarantine_if_any(dataset, run)
        run.log = "\n".join(outcome.notes)
        return _fail(run, str(exc))
    run.file_hash, run.content_digest = staged.file_hash(), outcome.content_digest
    run.rows_read, run.rows_written = outcome.rows_read, outcome.rows_written
    run.rows_rejected, run.version = outcome.rows_rejected, outcome.version
    run.quarantine = str(outcome.quarantine or "")
    run.log = "\n".join(outcome.notes)
    _record_version(run)
    return _finish(run, Status.SUCCEEDED)


# Source options for reading the input, kept in Source.config beside the connector's
# settings: they never reach the connector (see ``clear_config``).
READ_OPTIONS = ("sheet", "skip_hidden_rows", "two_digit_year_start")


def _sheet(source: Source | None) -> str | None:
    """``Source.config["sheet"]``: a sheet name, or "*" for all sheets with one header."""
    if source is None:
        return None
    return (source.config or {}).get("sheet") or None


def _skip_hidden(source: Source | None) -> bool:
    """``Source.config["skip_hidden_rows"]``: rows a spreadsheet hides are withdrawn ones."""
    return bool(source and (source.config or {}).get("skip_hidden_rows"))


def _year_start(source: Source | None) -> int | None:
    """The first of the 100 years the source's two-digit years fall in, if it declares one.

    ``Source.config["two_digit_year_start"]``, e.g. 1950: "85-07-12" is 1985-07-12 and
    "24-03-05" 2024-03-05. Without it a two-digit year is refused as ambiguous.
    """
    value = (source.config or {}).get("two_digit_year_start") if source else None
    if value is None:
        return None
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise IngestError(
            f"the source's two_digit_year_start must be a year such as 1950, not {value!r}"
        ) from None
    if not 1000 <= year <= 9899:
        raise IngestError(
            f"the source's two_digit_year_start must be a year such as 1950, not {year}"
        )
    return year


def _default_reject_rate() -> float:
    return float(settings.HUB_MAX_REJECT_RATE)


def _committed_since_replace(run: IngestRun) -> Any:
    """The dataset's other committed runs whose rows the table still holds (any mode counts,
    but only since the newest replace, which dropped all earlier rows)."""
    earlier = IngestRun.objects.filter(
        dataset=run.dataset, status=Status.SUCCEEDED, version__isnull=False
    ).exclude(pk=run.pk)
    last_replace = (
        DatasetVersion.objects.filter(dataset=run.dataset, operation=Mode.REPLACE)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    if last_replace is not None:
        earlier = earlier.filter(version__gte=last_replace)
    return earlier


def _same_content(run: IngestRun, digest: str) -> str | None:
    """For an append to a dataset without a primary key: why its rows are a repeat, if
    an earlier run stored the same rows (same content digest) in other bytes."""
    if not digest:
        return None
    first = _committed_since_replace(run).filter(content_digest=digest).order_by("-pk").first()
    if first is None:
        return None
    return (
        f"skipped: the same rows (recognised by content, content digest {digest[:12]}…) were "
        f"already ingested by run {first.pk} into version {first.version}, from a file with "
        "other bytes (another encoding, quoting, line endings or row order); appending them "
        "again would duplicate them, so no version was committed"
    )


def _same_file(run: IngestRun, staged: StagedInput) -> IngestRun | None:
    """For an append: the run that already committed this exact file's rows, if any.

    Any mode counts (appending a file that a replace or upsert loaded would double its
    rows), but only since the newest replace, which dropped all earlier rows. The input's
    hash may still be computed beside the read: it is waited for only when an earlier
    run read a file of the same size (a file of another size cannot be the same).
    """
    if run.mode != Mode.APPEND:
        return None
    earlier = _committed_since_replace(run).filter(bytes_read=run.bytes_read)
    if not earlier.exists():
        return None
    run.file_hash = staged.file_hash()
    if not run.file_hash:
        return None
    return earlier.filter(file_hash=run.file_hash).order_by("-pk").first()


def _quarantine_if_any(dataset: Dataset, run: IngestRun) -> str:
    from shequ.hub.storage import quarantine_dir

    path = quarantine_dir(dataset.key) / f"run-{run.pk}.csv"
    return str(path) if path.exists() else ""


def _record_version(run: IngestRun) -> None:
    """The committed version's row: its row count now, its statistics by a job after it."""
    dataset = run.dataset
    table = open_table(dataset.key)
    assert table is not None and run.version is not None
    rows = version_rows(table)
    with transaction.atomic():
        DatasetVersion.objects.create(
            dataset=dataset,
            version=run.version,
            run=run,
            operation=run.mode,
            row_count=rows,
            rows_added=run.rows_written,
            stats={},  # being computed (services.statistics)
            file_hash=run.file_hash,
            # The Delta log is linear: this commit's parent is the version before it.
            previous=run.version - 1 if run.version > 0 else None,
        )
        Dataset.objects.filter(pk=dataset.pk).update(version=run.version, row_count=rows)
    dataset.version, dataset.row_count = run.version, rows


def _fail(run: IngestRun, message: str) -> IngestRun:
    return _finish(run, Status.FAILED, error=message)


def _finish(run: IngestRun, status: str, error: str = "") -> IngestRun:
    # An error may quote the input it failed on (a malformed line, a value that did not
    # convert): masked as the quarantine file is, since every hub user reads run errors.
    error = pii.mask_text(error)
    run.status, run.error, run.finished = status, error[:5000], timezone.now()
    run.save()
    record(
        f"hub.ingest.{status}",
        actor=run.triggered_by,
        obj=run,
        region_code=run.dataset.region.code if run.dataset.region else "",
        dataset=run.dataset.key,
        rows_written=run.rows_written,
        rows_rejected=run.rows_rejected,
        version=run.version,
    )
    log.info("ingest run %s %s: %s", run.pk, status, error or f"{run.rows_written} rows")
    return run


def fetch_source(source: Source, workdir: Path) -> Fetched:
    return get_connector(source.connector).fetch(clear_config(source), workdir)


def clear_config(source: Source) -> dict[str, Any]:
    """The connector's configuration with its secret values decrypted (without the
    options for reading the input, ``READ_OPTIONS``)."""
    return {
        k: json.loads(pii.decrypt(v["enc"])) if isinstance(v, dict) and set(v) == {"enc"} else v
        for k, v in source.config.items()
        if k not in READ_OPTIONS
    }


def run_source(
    source: Source, *, user: User | None = None, run: IngestRun | None = None
) -> IngestRun:
    """Fetch a source's input through its connector and ingest it (under ``run`` if given)."""
    if run is None:
        run = start_run(
            source.dataset, mode=source.mode, source=source, user=user, input_name=source.name
        )
    workdir = Path(tempfile.mkdtemp(prefix="shequ-fetch-"))
    try:
        fetched = fetch_source(source, workdir)
        run.input_name = fetched.name[:300]
        (workdir / "stage").mkdir()
        staged = open_input(
            fetched.path,
            workdir=workdir / "stage",
            format=fetched.format,
            sheet=_sheet(source),
            check=False,
            skip_hidden_rows=_skip_hidden(source),
        )
        staged.notes[:0] = fetched.notes
        result = ingest_run(run, staged)
        if source.connector == "folder":
            from shequ.hub.connectors.folder import FolderConnector

            done = result.status != Status.FAILED
            mover = FolderConnector.mark_done if done else FolderConnector.mark_failed
            mover(clear_config(source), fetched.path)
        return result
    except NothingToFetch as exc:
        return _finish(run, Status.SKIPPED, error=str(exc))
    except IngestError as exc:
        return _fail(run, str(exc))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def mark_interrupted_runs(older_than: timedelta = timedelta(hours=6)) -> int:
    """Runs left 'running' by a killed process: fail them so people are not misled."""
    stale = IngestRun.objects.filter(status=Status.RUNNING, started__lt=timezone.now() - older_than)
    return stale.update(
        status=Status.FAILED,
        finished=timezone.now(),
        error="the ingest process stopped before finishing; no version was committed",
    )
