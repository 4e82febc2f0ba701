"""Pieces the hub's API modules share: a visible dataset, dataset bodies."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from shequ.core.types import user_of
from shequ.hub.access import require_hub
from shequ.hub.models import Dataset
from shequ.hub.services import catalog


def visible_dataset(request: HttpRequest, key: str) -> Dataset:
    require_hub(request)
    return get_object_or_404(catalog.visible_datasets(user_of(request)), key=key)


def summary(d: Dataset) -> dict[str, Any]:
    return {
        "key": d.key,
        "title": d.title,
        "title_en": d.title_en,
        "category": d.category.key,
        "owner": d.owner,
        "tier": d.tier,
        "sharing": d.sharing,
        "frequency": d.frequency,
        "tags": d.tags,
        "region_code": d.region.code if d.region else None,
        "version": d.version,
        "row_count": d.row_count,
    }


def detail(d: Dataset) -> dict[str, Any]:
    return {
        **summary(d),
        "description": d.description,
        "description_en": d.description_en,
        "licence": d.licence,
        "schema": d.schema,
    }
