"""Sources: where a dataset's rows come from, on what schedule; queued runs for the worker."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from croniter import croniter
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shequ.core import pii
from shequ.core.permissions import Perm, can, has_global, prefixes_for
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.hub.connectors import get_connector
from shequ.hub.connectors.base import safe_file_name
from shequ.hub.models import Dataset, IngestRun, Mode, Source, Tier
from shequ.hub.services import runs
from shequ.hub.signals import run_queued


def can_manage(user: User, dataset: Dataset) -> bool:
    """Hub managers of the dataset's region; any hub manager for the shared catalog.

    A dataset that flowed back from a community is also managed by that community's publishers.
    """
    from shequ.hub.services.flowback import can_publish

    if can_publish(user, dataset):
        return True
    if dataset.region is None:
        return has_global(user, Perm.MANAGE_HUB) or bool(prefixes_for(user, Perm.MANAGE_HUB))
    return can(user, Perm.MANAGE_HUB, dataset.region)


def require_manage(user: User, dataset: Dataset) -> None:
    from django.core.exceptions import PermissionDenied

    if not can_manage(user, dataset):
        raise PermissionDenied("You do not manage this dataset.")


def next_run_after(schedule: str, after: datetime) -> datetime | None:
    if not schedule:
        return None
    local = timezone.localtime(after)  # cron expressions read in the configured time zone
    return croniter(schedule, local).get_next(datetime)


def save_source(
    actor: User,
    dataset: Dataset,
    *,
    name: str,
    connector: str,
    config: dict[str, Any],
    mode: str = Mode.APPEND,
    schedule: str = "",
    tier: str = Tier.DISTRICT,
    provider: str = "",
    column_map: dict[str, str] | None = None,
    max_reject_rate: float = 0.05,
    source: Source | None = None,
) -> Source:
    require_manage(actor, dataset)
    errors: dict[str, list[str]] = {}
    try:
        connector_cls = get_connector(connector)
    except (KeyError, ValueError):
        raise ValidationError({"connector": [f"unknown connector {connector!r}"]}) from None
    # Options for reading the input (a sheet …) are the engine's, not the connector's.
    reading: dict[str, Any] = {}
    if isinstance(config, dict):
        reading = {k: config[k] for k in runs.READ_OPTIONS if k in config}
        config = {k: v for k, v in config.items() if k not in runs.READ_OPTIONS}
    try:
        cleaned = connector_cls.validate_config(config)
    except ValidationError as exc:
        raise ValidationError({f"config.{k}": v for k, v in exc.message_dict.items()}) from exc
    errors.update(read_option_errors(reading))
    if schedule and not croniter.is_valid(schedule):
        errors["schedule"] = ["not a valid cron expression, e.g. '30 2 * * *'"]
    try:
        check_mode(dataset, mode)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not 0 <= max_reject_rate <= 1:
        errors["max_reject_rate"] = ["must be between 0 and 1"]
    if errors:
        raise ValidationError(errors)
    for key in connector_cls.secret_keys:
        if cleaned.get(key):
            # Any JSON value (a URL, a dict of headers) is encrypted whole.
            cleaned[key] = {"enc": pii.encrypt(json.dumps(cleaned[key], ensure_ascii=False))}
    source = source or Source(dataset=dataset)
    cleaned.update(reading)
    source.name, source.connector, source.config, source.mode = name, connector, cleaned, mode
    source.schedule, source.tier, source.provider = schedule, tier, provider
    source.column_map, source.max_reject_rate = column_map or {}, max_reject_rate
    source.next_run = next_run_after(schedule, timezone.now())
    with transaction.atomic():
        created = source.pk is None
        source.save()
        record(
            "hub.source.create" if created else "hub.source.update",
            actor=actor,
            obj=source,
            region_code=dataset.region.code if dataset.region else "",
            connector=connector,
        )
    return source


def read_option_errors(options: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with a source's options for reading its input (``runs.READ_OPTIONS``),
    by ``config.<key>``."""
    errors: dict[str, list[str]] = {}
    sheet = options.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        errors["config.sheet"] = ["a sheet name, or * for all sheets with the same header"]
    hidden = options.get("skip_hidden_rows")
    if hidden is not None and not isinstance(hidden, bool):
        errors["config.skip_hidden_rows"] = ["true or false"]
    year = options.get("two_digit_year_start")
    if year is not None and (
        isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9899
    ):
        errors["config.two_digit_year_start"] = ["a year such as 1950"]
    return errors


def queue_run(source: Source, *, user: User | None = None) -> IngestRun:
    """A queued run for the worker; the task is sent once the transaction commits."""
    run = IngestRun.objects.create(
        dataset=source.dataset,
        source=source,
        mode=source.mode,
        status=IngestRun.Status.QUEUED,
        input_name=source.name,
        triggered_by=user if getattr(user, "pk", None) else None,
    )
    transaction.on_commit(lambda: run_queued.send(sender=IngestRun, run_id=run.pk))
    return run


def due_sources(now: datetime | None = None) -> list[Source]:
    now = now or timezone.now()
    return list(
        Source.objects.filter(enabled=True, next_run__lte=now)
        .exclude(schedule="")
        .select_related("dataset")
    )


class Upload(Protocol):
    """What an uploaded file offers (Django's UploadedFile and ninja's)."""

    name: str | None

    def chunks(self) -> Iterable[bytes]: ...


def check_mode(dataset: Dataset, mode: str) -> None:
    if mode not in Mode.values:
        raise ValidationError({"mode": [f"must be one of {', '.join(Mode.values)}"]})
    if mode == Mode.UPSERT and not dataset.schema.get("primaryKey"):
        raise ValidationError({"mode": ["upsert needs a primary key in the dataset's schema"]})


def ingest_upload(
    user: User,
    dataset: Dataset,
    upload: Upload,
    *,
    mode: str = Mode.APPEND,
    sheet: str = "",
    delimiter: str = "",
    encoding: str = "",
) -> IngestRun:
    """Ingest a file uploaded by a hub manager now; returns the finished run (see its status)."""
    require_manage(user, dataset)
    check_mode(dataset, mode)
    spec = runs.InputSpec(None, sheet or None, delimiter or None, encoding or None)
    with tempfile.TemporaryDirectory(prefix="shequ-upload-") as tmp:
        # Keep the file's own name (its extension says the format); never its directories.
        path = Path(tmp) / safe_file_name(upload.name or "", default="upload")
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        return runs.ingest_file(dataset, path, mode=mode, user=user, spec=spec)
