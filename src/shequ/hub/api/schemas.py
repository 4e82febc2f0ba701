"""API schemas of the data hub, read straight from the models.

No ``from __future__ import annotations`` here: django-ninja and pydantic read the annotations.
A ``resolve_<field>`` reads what the model names differently (a related object's key); a value
that depends on who asks (a version's statistics) is the service's answer for the request's user.
"""

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from shequ.core.types import user_of
from shequ.hub.models import Category, Dataset, DatasetVersion, IngestRun, Source
from shequ.hub.sample import visible_stats


class CategoryOut(Schema):
    key: str
    name: str
    name_en: str
    dataset_count: int
    rows: int

    @staticmethod
    def resolve_rows(obj: Category) -> int:
        # Annotated by catalog.category_counts: a category without rows sums to None.
        return getattr(obj, "rows", None) or 0


class DatasetSummary(Schema):
    key: str
    title: str
    title_en: str
    category: str
    owner: str
    tier: str
    sharing: str
    frequency: str
    tags: list[str]
    region_code: str | None
    version: int | None
    row_count: int

    @staticmethod
    def resolve_category(obj: Dataset) -> str:
        return obj.category.key

    @staticmethod
    def resolve_region_code(obj: Dataset) -> str | None:
        return obj.region.code if obj.region else None


class DatasetOut(DatasetSummary):
    description: str
    description_en: str
    licence: str
    schema_: dict[str, Any] = Field(..., alias="schema")


class DatasetIn(Schema):
    key: str = Field(..., pattern=r"^[a-z][a-z0-9_]{1,63}$")
    title: str = Field(..., min_length=1, max_length=120)
    title_en: str = Field("", max_length=160)
    description: str = ""
    description_en: str = ""
    category: str
    region_code: str | None = Field(None, pattern=r"^\d{12}$")
    owner: str = Field("", max_length=100)
    tier: str = "street"
    sharing: str = "conditional"
    frequency: str = Field("", max_length=40)
    tags: list[str] = Field(default_factory=list)
    licence: str = Field("", max_length=100)
    schema_: dict[str, Any] = Field(..., alias="schema")


class VersionOut(Schema):
    version: int
    operation: str
    row_count: int
    rows_added: int
    file_hash: str
    previous: int | None
    run_id: int | None
    created: datetime
    # Column statistics are computed by a job after the commit: {} until then.
    stats_ready: bool
    stats: dict[str, Any]

    @staticmethod
    def resolve_stats_ready(obj: DatasetVersion) -> bool:
        return bool(obj.stats)

    @staticmethod
    def resolve_stats(obj: DatasetVersion, context: dict[str, Any]) -> dict[str, Any]:
        return visible_stats(user_of(context["request"]), obj.dataset, obj.stats)


class SampleOut(Schema):
    columns: list[str]
    rows: list[dict[str, Any]]


class SourceIn(Schema):
    dataset: str
    name: str = Field(..., min_length=1, max_length=120)
    connector: str
    config: dict[str, Any] = Field(default_factory=dict)
    mode: str = "append"
    schedule: str = ""
    tier: str = "district"
    provider: str = ""
    column_map: dict[str, str] = Field(default_factory=dict)
    max_reject_rate: float = Field(0.05, ge=0, le=1)


class SourceOut(Schema):
    id: int
    dataset: str
    name: str
    connector: str
    mode: str
    schedule: str
    tier: str
    provider: str
    enabled: bool
    max_reject_rate: float
    next_run: datetime | None

    @staticmethod
    def resolve_dataset(obj: Source) -> str:
        return obj.dataset.key


class RunOut(Schema):
    id: int
    dataset: str
    source_id: int | None
    mode: str
    status: str
    input_name: str
    started: datetime | None
    finished: datetime | None
    rows_read: int
    rows_written: int
    rows_rejected: int
    bytes_read: int
    file_hash: str
    encoding: str
    version: int | None
    has_quarantine: bool
    error: str
    log: str

    @staticmethod
    def resolve_dataset(obj: IngestRun) -> str:
        return obj.dataset.key

    @staticmethod
    def resolve_has_quarantine(obj: IngestRun) -> bool:
        return bool(obj.quarantine)
