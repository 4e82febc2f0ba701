"""What the hub's API modules share: the dataset a request names, if the caller may see it."""

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


def file_answer(
    description: str, media_types: list[str], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """The ``openapi_extra`` of a route answering with a file: ninja validates no file against
    a schema, so the document would say only "OK"; this names the file's types and headers."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    answer: dict[str, Any] = {
        "description": description,
        "content": {media_type.split(";")[0]: binary for media_type in media_types},
    }
    if headers:
        answer["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    return {"responses": {200: answer}}
