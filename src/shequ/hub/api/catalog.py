"""Hub catalog endpoints: categories, datasets (schema, versions, masked sample).

No ``from __future__ import annotations`` here: django-ninja reads the annotations.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from shequ.core.inputs import NonNegativeInt, PositiveInt
from shequ.core.pagination import Pages
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.services.regions import get_region
from shequ.core.types import user_of
from shequ.hub.access import require_hub
from shequ.hub.api import schemas as s
from shequ.hub.api.common import visible_dataset
from shequ.hub.models import Category, Dataset, DatasetVersion
from shequ.hub.sample import sample_rows
from shequ.hub.services import catalog

router = Router(tags=["hub"])


@router.get("/categories", response={200: list[s.CategoryOut], **errors(READ)})
def list_categories(request: HttpRequest) -> QuerySet[Category]:
    require_hub(request)
    return catalog.category_counts(user_of(request))


@router.get("/datasets", response={200: list[s.DatasetSummary], **errors(READ)})
@paginate(Pages, page_size=100)
def list_datasets(
    request: HttpRequest, category: str | None = None, q: str | None = None
) -> QuerySet[Dataset] | list[Dataset]:
    require_hub(request)
    qs = catalog.visible_datasets(user_of(request)).select_related("category", "region")
    if category:
        qs = qs.filter(category__key=category)
    if q:  # ranked by relevance: a list
        return catalog.search(qs, q)
    return qs


@router.get("/datasets/{key}", response={200: s.DatasetOut, **errors(READ)}, by_alias=True)
def get_dataset(request: HttpRequest, key: str) -> Dataset:
    return visible_dataset(request, key)


@router.post("/datasets", response={201: s.DatasetOut, **errors(WRITE)}, by_alias=True)
def save_dataset(request: HttpRequest, payload: s.DatasetIn) -> tuple[int, Dataset]:
    require_hub(request)
    data = payload.dict(by_alias=True)
    region_code = data.pop("region_code")
    region = get_region(region_code) if region_code else None
    return 201, catalog.save_dataset(user_of(request), region=region, **data)


@router.get("/datasets/{key}/versions", response={200: list[s.VersionOut], **errors(READ)})
@paginate(Pages, page_size=50)
def list_versions(request: HttpRequest, key: str) -> QuerySet[DatasetVersion]:
    """Each version's statistics as ``visible_stats`` lets the caller see them."""
    return visible_dataset(request, key).versions.all()


@router.get("/datasets/{key}/sample", response={200: s.SampleOut, **errors(READ, 408, 413, 429)})
def sample(
    request: HttpRequest, key: str, limit: PositiveInt = 20, version: NonNegativeInt | None = None
) -> dict[str, Any]:
    dataset = visible_dataset(request, key)
    columns, rows = sample_rows(
        user_of(request), dataset, limit=min(max(limit, 1), 100), version=version
    )
    return {"columns": columns, "rows": rows}
