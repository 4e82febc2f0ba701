"""Hub endpoints: catalog, datasets (schema, versions, masked sample), sources, runs.

No ``from __future__ import annotations`` here: django-ninja reads the annotations.
"""

from pathlib import Path
from typing import Any

from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, UploadedFile
from ninja.pagination import paginate

from shequ.core.api import PageOf
from shequ.core.inputs import Id, NonNegativeInt, PositiveInt
from shequ.core.pagination import Pages
from shequ.core.services.regions import get_region
from shequ.core.types import user_of
from shequ.hub import schemas as s
from shequ.hub.access import require_hub
from shequ.hub.api_common import detail, summary, visible_dataset
from shequ.hub.models import IngestRun, Source
from shequ.hub.sample import sample_rows, visible_stats
from shequ.hub.services import catalog, sources

router = Router(tags=["hub"])


def run_out(r: IngestRun) -> dict[str, Any]:
    fields = (
        "id",
        "mode",
        "status",
        "input_name",
        "started",
        "finished",
        "rows_read",
        "rows_written",
        "rows_rejected",
        "bytes_read",
        "file_hash",
        "encoding",
        "version",
        "error",
        "log",
    )
    return {
        **{f: getattr(r, f) for f in fields},
        "dataset": r.dataset.key,
        "source_id": r.source_id,
        "has_quarantine": bool(r.quarantine),
    }


@router.get("/categories", response=list[s.CategoryOut])
def list_categories(request: HttpRequest) -> list[dict[str, Any]]:
    require_hub(request)
    return [
        {
            "key": c.key,
            "name": c.name,
            "name_en": c.name_en,
            "dataset_count": c.dataset_count,  # type: ignore[attr-defined]
            "rows": c.rows or 0,  # type: ignore[attr-defined]
        }
        for c in catalog.category_counts(user_of(request))
    ]


@router.get("/datasets", response=list[s.DatasetSummary])
@paginate(Pages, page_size=100)
def list_datasets(request: HttpRequest, category: str | None = None, q: str | None = None) -> Any:
    require_hub(request)
    qs = catalog.visible_datasets(user_of(request)).select_related("category", "region")
    if category:
        qs = qs.filter(category__key=category)
    if q:  # ranked by relevance: a list
        return [summary(d) for d in catalog.search(qs, q)]
    return PageOf(qs, summary)


@router.get("/datasets/{key}", response=s.DatasetOut, by_alias=True)
def get_dataset(request: HttpRequest, key: str) -> dict[str, Any]:
    return detail(visible_dataset(request, key))


@router.post("/datasets", response={201: s.DatasetOut}, by_alias=True)
def save_dataset(request: HttpRequest, payload: s.DatasetIn) -> tuple[int, dict[str, Any]]:
    require_hub(request)
    data = payload.dict(by_alias=True)
    region_code = data.pop("region_code")
    region = get_region(region_code) if region_code else None
    dataset = catalog.save_dataset(user_of(request), region=region, **data)
    return 201, detail(dataset)


@router.get("/datasets/{key}/versions", response=list[s.VersionOut])
@paginate(Pages, page_size=50)
def list_versions(request: HttpRequest, key: str) -> Any:
    dataset = visible_dataset(request, key)

    def out(v: Any) -> dict[str, Any]:
        return {
            "version": v.version,
            "operation": v.operation,
            "row_count": v.row_count,
            "rows_added": v.rows_added,
            "file_hash": v.file_hash,
            "previous": v.previous,
            "run_id": v.run_id,
            "created": v.created,
            "stats": visible_stats(user_of(request), dataset, v.stats),
        }

    return PageOf(dataset.versions.all(), out)


@router.get("/datasets/{key}/sample", response=s.SampleOut)
def sample(
    request: HttpRequest, key: str, limit: PositiveInt = 20, version: NonNegativeInt | None = None
) -> dict[str, Any]:
    dataset = visible_dataset(request, key)
    columns, rows = sample_rows(
        user_of(request), dataset, limit=min(max(limit, 1), 100), version=version
    )
    return {"columns": columns, "rows": rows}


@router.post("/datasets/{key}/upload", response={201: s.RunOut})
def upload(
    request: HttpRequest,
    key: str,
    file: File[UploadedFile],
    mode: Form[str] = "append",
    sheet: Form[str] = "",
    delimiter: Form[str] = "",
    encoding: Form[str] = "",
) -> tuple[int, dict[str, Any]]:
    """Ingest an uploaded file now; the answer is the finished run (see its status)."""
    dataset = visible_dataset(request, key)
    run = sources.ingest_upload(
        user_of(request),
        dataset,
        file,
        mode=mode,
        sheet=sheet,
        delimiter=delimiter,
        encoding=encoding,
    )
    return 201, run_out(run)


@router.get("/sources", response=list[s.SourceOut])
@paginate(Pages, page_size=100)
def list_sources(request: HttpRequest, dataset: str | None = None) -> Any:
    require_hub(request)
    qs = Source.objects.filter(dataset__in=catalog.visible_datasets(user_of(request)))
    if dataset:
        qs = qs.filter(dataset__key=dataset)
    return PageOf(qs.select_related("dataset"), source_out)


def source_out(x: Source) -> dict[str, Any]:
    fields = (
        "id",
        "name",
        "connector",
        "mode",
        "schedule",
        "tier",
        "provider",
        "enabled",
        "max_reject_rate",
        "next_run",
    )
    return {**{f: getattr(x, f) for f in fields}, "dataset": x.dataset.key}


@router.post("/sources", response={201: s.SourceOut})
def create_source(request: HttpRequest, payload: s.SourceIn) -> tuple[int, dict[str, Any]]:
    data = payload.dict()
    dataset = visible_dataset(request, data.pop("dataset"))
    return 201, source_out(sources.save_source(user_of(request), dataset, **data))


@router.post("/sources/{source_id}/run", response={202: s.RunOut})
def trigger(request: HttpRequest, source_id: Id) -> tuple[int, dict[str, Any]]:
    """Queue a run for the worker; poll GET /hub/runs/{id} for its outcome."""
    require_hub(request)
    source = get_object_or_404(
        Source.objects.filter(dataset__in=catalog.visible_datasets(user_of(request))), pk=source_id
    )
    sources.require_manage(user_of(request), source.dataset)
    return 202, run_out(sources.queue_run(source, user=user_of(request)))


def _runs(request: HttpRequest) -> Any:
    require_hub(request)
    return IngestRun.objects.filter(
        dataset__in=catalog.visible_datasets(user_of(request))
    ).select_related("dataset")


@router.get("/runs", response=list[s.RunOut])
@paginate(Pages, page_size=50)
def list_runs(request: HttpRequest, dataset: str | None = None) -> Any:
    qs = _runs(request)
    if dataset:
        qs = qs.filter(dataset__key=dataset)
    return PageOf(qs, run_out)


@router.get("/runs/{run_id}", response=s.RunOut)
def get_run(request: HttpRequest, run_id: Id) -> dict[str, Any]:
    return run_out(get_object_or_404(_runs(request), pk=run_id))


@router.get("/runs/{run_id}/quarantine")
def quarantine(request: HttpRequest, run_id: Id) -> FileResponse:
    """The rejected rows of a run as CSV: row, column, reason."""
    run = get_object_or_404(_runs(request), pk=run_id)
    if not run.quarantine or not Path(run.quarantine).is_file():
        from django.http import Http404

        raise Http404("This run rejected no rows.")
    return FileResponse(
        open(run.quarantine, "rb"),
        as_attachment=True,
        filename=f"{run.dataset.key}-run-{run.pk}-quarantine.csv",
        content_type="text/csv; charset=utf-8",
    )


# Data requests and grants (/requests, /datasets/{key}/grants, /grants/{id}/revoke).
from shequ.hub.api_requests import router as requests_router  # noqa: E402

router.add_router("/", requests_router)

# Governed SQL (/query, /query/export, /query/functions).
from shequ.hub.api_query import router as query_router  # noqa: E402

router.add_router("/", query_router)

# Flowback (/published, /datasets/{key}/changes|subscribers|subscription, /subscriptions).
from shequ.hub.api_flowback import router as flowback_router  # noqa: E402

router.add_router("/", flowback_router)
