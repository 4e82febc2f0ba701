"""Hub ingest endpoints: upload a file as a run, the runs, their quarantined rows.

No ``from __future__ import annotations`` here: django-ninja reads the annotations.
"""

from __future__ import annotations

from pathlib import Path

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, UploadedFile
from ninja.pagination import paginate

from shequ.core.inputs import Id
from shequ.core.pagination import Pages
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import user_of
from shequ.hub.access import require_hub
from shequ.hub.api import schemas as s
from shequ.hub.api.common import file_answer, visible_dataset
from shequ.hub.models import IngestRun
from shequ.hub.services import catalog, sources

router = Router(tags=["hub"])


@router.post("/datasets/{key}/upload", response={201: s.RunOut, **errors(WRITE)})
def upload(
    request: HttpRequest,
    key: str,
    file: File[UploadedFile],
    mode: Form[str] = "append",
    sheet: Form[str] = "",
    delimiter: Form[str] = "",
    encoding: Form[str] = "",
) -> tuple[int, IngestRun]:
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
    return 201, run


def _runs(request: HttpRequest) -> QuerySet[IngestRun]:
    require_hub(request)
    return IngestRun.objects.filter(
        dataset__in=catalog.visible_datasets(user_of(request))
    ).select_related("dataset")


@router.get("/runs", response={200: list[s.RunOut], **errors(READ)})
@paginate(Pages, page_size=50)
def list_runs(request: HttpRequest, dataset: str | None = None) -> QuerySet[IngestRun]:
    qs = _runs(request)
    if dataset:
        qs = qs.filter(dataset__key=dataset)
    return qs


@router.get("/runs/{run_id}", response={200: s.RunOut, **errors(READ)})
def get_run(request: HttpRequest, run_id: Id) -> IngestRun:
    return get_object_or_404(_runs(request), pk=run_id)


@router.get(
    "/runs/{run_id}/quarantine",
    openapi_extra=file_answer("The rejected rows as CSV: row, column, reason.", ["text/csv"]),
    response=errors(READ),
)
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
