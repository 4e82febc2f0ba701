"""Ingest one staged input into a dataset's Delta table: one atomic version per run.

DuckDB runs the validation query (``validate.py``) once and writes the good rows
itself, straight into Parquet files in the run's staging folder
(``hub/staging/<dataset>/run-<id>/``). A rejected row is handed, as it goes by, to a
small Python function that appends its row number, column and reason to the run's
quarantine CSV. Only after the whole input was read and the reject rate is within the
limit are the files moved into the table's folder and committed as one Delta version,
with add actions whose statistics come from DuckDB's own per-file statistics (no second
pass over the data). A failed, refused or killed run leaves the previous version
exactly as it was: a failed or refused run deletes its staging folder; a killed one
leaves it, never referenced by the table, and a later run of the dataset removes it.

Memory stays bounded whatever the input's size: DuckDB works within
``SHEQU_HUB_MEMORY_LIMIT`` (spilling to disk) and writes row groups as it goes.
(delta-rs's own writer buffers far more, so it is used only for upserts and for appends
that add a column to the table, reading the staged files.)

This module holds the run's steps; ``datafiles.py`` writes the data and quarantine files,
``commit.py`` checks keys against the table and commits the version.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings

from shequ.hub.ingest.commit import (
    commit_files,
    held_keys_note,
    keys_in_table,
    keys_repeat,
    table_keys,
)
from shequ.hub.ingest.datafiles import Outcome, write_files
from shequ.hub.ingest.digest import content_digest
from shequ.hub.ingest.keys import unique_groups
from shequ.hub.ingest.staging import IngestError, StagedInput
from shequ.hub.ingest.validate import plan_columns, prepare_parts, validation_sql
from shequ.hub.storage import open_table, quarantine_dir, staging_dir
from shequ.hub.tableschema import TableSchema

log = logging.getLogger(__name__)

STALE_STAGING = timedelta(hours=6)  # a staging folder this old belongs to a killed run


class RejectRateExceeded(IngestError):
    """Too many rows failed; nothing is committed."""


class RepeatedContent(IngestError):
    """The input's rows are, by their content digest, rows the table already took."""


def ingest_staged(
    key: str,
    schema: TableSchema,
    staged: StagedInput,
    *,
    mode: str,
    run_id: int,
    column_map: dict[str, str] | None = None,
    max_reject_rate: float = 0.05,
    outcome: Outcome | None = None,
    year_start: int | None = None,
    repeat_of: Callable[[str], str | None] | None = None,
) -> Outcome:
    """Validate and commit one input as one new Delta version of dataset ``key``.

    Pass ``outcome`` to see the counts and notes of a run that raised IngestError
    (e.g. rows read and rejected when the reject rate was exceeded). ``year_start``:
    the source's declaration of the 100 years two-digit years fall in (1950: "85" is
    1985, "24" is 2024); without it a date with a two-digit year is refused.

    A dataset without a primary key gets ``outcome.content_digest`` (see ``digest``);
    ``repeat_of(digest)`` says which earlier run already stored the same rows, if one
    did: then nothing is committed and ``RepeatedContent`` raised with its message.
    """
    outcome = outcome if outcome is not None else Outcome()
    outcome.notes[:0] = staged.notes
    if mode == "upsert" and not schema.primary_key:
        raise IngestError(
            "upsert merges rows by primary key, but this dataset's schema has none: "
            "declare a primaryKey or use append or replace"
        )
    plan = plan_columns(staged, schema, column_map or {})
    if plan.ignored:
        outcome.notes.append(
            "ignored columns not in the schema: "
            + ", ".join(plan.ignored[:20])
            + (f" and {len(plan.ignored) - 20} more" if len(plan.ignored) > 20 else "")
        )
    absent = [name for name, src in plan.sources.items() if src is None]
    if absent:
        outcome.notes.append("columns not in the input, left empty: " + ", ".join(absent))
    staging = _new_staging(key, run_id)
    try:
        qpath = quarantine_dir(key) / f"run-{run_id}.csv"
        # Keys rarely repeat within one input, and finding the first of each repeated key
        # means holding every row until the whole input was read (a 10-million-row file
        # spilled to disk and took 40 % longer). So the first pass does not look: the keys
        # of the files it wrote are checked afterwards (a columnar pass over the key
        # columns), and only if some repeat is the input read again with the full query.
        clock = _Clock()
        if staged.opened_seconds:
            clock.phases.append(("input opened", staged.opened_seconds))
        sql = validation_sql(
            staged,
            schema,
            plan,
            duplicates=False,
            zone=settings.TIME_ZONE,
            year_start=year_start,
        )
        # A wide input is typed and checked in parts first (see validate.prepare_parts).
        parts = prepare_parts(staged, schema, plan, zone=settings.TIME_ZONE, year_start=year_start)
        with clock("read, checked and written"):
            files = write_files(sql, staged, schema, staging, qpath, outcome, parts)
        groups = unique_groups(schema)
        with clock("keys checked"):
            repeat = bool(groups) and keys_repeat(files, groups, schema)
            # Keys are unique across the whole table, not only within one input.
            held = table_keys(key, schema, mode)
            in_table = held is not None and keys_in_table(files, held)
        if repeat or in_table:
            staging = _new_staging(key, run_id)
            sql = validation_sql(
                staged,
                schema,
                plan,
                duplicates=True,
                zone=settings.TIME_ZONE,
                held=held if in_table else None,
                year_start=year_start,
            )
            with clock("read again for repeated keys"):
                files = write_files(sql, staged, schema, staging, qpath, outcome, parts)
        outcome.notes += outcome.dropped
        held_note = held_keys_note(outcome.quarantine, mode) if in_table else ""
        if held_note:
            outcome.notes.append(held_note + ": quarantined")
        _check_totals(outcome, max_reject_rate, held_note)
        if not schema.primary_key:
            with clock("content digested"):
                outcome.content_digest = content_digest(
                    [f.path for f in files],
                    schema,
                    max(1, int(settings.HUB_THREADS)),
                    settings.HUB_MEMORY_LIMIT,
                )
            earlier = repeat_of(outcome.content_digest) if repeat_of is not None else None
            if earlier:
                raise RepeatedContent(earlier)
        with clock("committed"):
            commit_files(key, schema, files, mode=mode, run_id=run_id, file_hash=staged.file_hash())
        outcome.notes.append(clock.text())
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if staged.stop is not None:
            staged.stop()
    table = open_table(key)
    assert table is not None
    outcome.version = table.version()
    return outcome


class _Clock:
    """Seconds per phase of a run, for its notes: where a slow run spent its time."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, float]] = []

    @contextlib.contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phases.append((phase, time.perf_counter() - start))

    def text(self) -> str:
        return "time: " + "; ".join(f"{phase} {seconds:.2f} s" for phase, seconds in self.phases)


def _new_staging(key: str, run_id: int) -> Path:
    """The run's empty staging folder; folders left by killed runs are removed."""
    parent = staging_dir(key)
    if parent.is_dir():
        cutoff = time.time() - STALE_STAGING.total_seconds()
        for old in parent.iterdir():
            with contextlib.suppress(OSError):  # another run may remove it first
                if old.stat().st_mtime < cutoff:
                    shutil.rmtree(old, ignore_errors=True)
    path = parent / f"run-{run_id}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _check_totals(outcome: Outcome, max_reject_rate: float, why: str = "") -> None:
    if outcome.rows_read == 0:
        raise IngestError(
            "the input has no data rows (only a header, or nothing below it); nothing was committed"
        )
    rate = outcome.rows_rejected / outcome.rows_read
    if rate > max_reject_rate:
        raise RejectRateExceeded(
            f"{outcome.rows_rejected} of {outcome.rows_read} rows ({rate:.1%}) were rejected, "
            f"above the limit of {max_reject_rate:.1%}; nothing was committed. "
            "See the quarantine file for each row's reason." + (f" Of them, {why}." if why else "")
        )


__all__ = ["IngestError", "Outcome", "RejectRateExceeded", "RepeatedContent", "ingest_staged"]
