"""Hub catalog endpoints: categories, datasets (schema, versions, masked sample).

No ``from __future__ import annotations`` here: django-ninja reads the annotations.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from shequ.core.api import PageOf
from shequ.core.inputs import NonNegativeInt, PositiveInt
from shequ.core.pagination import Pages
from shequ.core.services.regions import get_region
from shequ.core.types import user_of
from shequ.hub.access import require_hub
from shequ.hub.api import schemas as s
from shequ.hub.api.common import detail, summary, visible_dataset
from shequ.hub.sample import sample_rows, visible_stats
from shequ.hub.services import catalog

router = Router(tags=["hub"])


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
            "stats_ready": bool(v.stats),
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
