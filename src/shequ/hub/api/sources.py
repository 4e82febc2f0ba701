"""Hub source endpoints: list, create, run now.

No ``from __future__ import annotations`` here: django-ninja reads the annotations.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from shequ.core.inputs import Id
from shequ.core.pagination import Pages
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import user_of
from shequ.hub.access import require_hub
from shequ.hub.api import schemas as s
from shequ.hub.api.common import visible_dataset
from shequ.hub.models import IngestRun, Source
from shequ.hub.services import catalog, sources

router = Router(tags=["hub"])


@router.get("/sources", response={200: list[s.SourceOut], **errors(READ)})
@paginate(Pages, page_size=100)
def list_sources(request: HttpRequest, dataset: str | None = None) -> QuerySet[Source]:
    require_hub(request)
    qs = Source.objects.filter(dataset__in=catalog.visible_datasets(user_of(request)))
    if dataset:
        qs = qs.filter(dataset__key=dataset)
    return qs.select_related("dataset")


@router.post("/sources", response={201: s.SourceOut, **errors(WRITE)})
def create_source(request: HttpRequest, payload: s.SourceIn) -> tuple[int, Source]:
    data = payload.dict()
    dataset = visible_dataset(request, data.pop("dataset"))
    return 201, sources.save_source(user_of(request), dataset, **data)


@router.post("/sources/{source_id}/run", response={202: s.RunOut, **errors(WRITE)})
def trigger(request: HttpRequest, source_id: Id) -> tuple[int, IngestRun]:
    """Queue a run for the worker; poll GET /hub/runs/{id} for its outcome."""
    require_hub(request)
    source = get_object_or_404(
        Source.objects.filter(dataset__in=catalog.visible_datasets(user_of(request))), pk=source_id
    )
    sources.require_manage(user_of(request), source.dataset)
    return 202, sources.queue_run(source, user=user_of(request))
