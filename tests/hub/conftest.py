"""Fixtures for the ingestion tests: a small ``people`` dataset and CSV files made from rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from people_data import PEOPLE_SCHEMA, csv_text, make_dataset

from shequ.hub.models import Category, Dataset, Source

WriteCsv = Callable[..., Path]


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """write_csv(name, rows, header=None, encoding="utf-8") -> path of a CSV in tmp_path."""

    def write(
        name: str,
        rows: list[dict[str, Any]],
        header: list[str] | None = None,
        encoding: str = "utf-8",
    ) -> Path:
        path = tmp_path / name
        path.write_bytes(csv_text(rows, header).encode(encoding))
        return path

    return write


@pytest.fixture
def category(db: None) -> Category:
    return Category.objects.create(key="test", name="测试", name_en="Test")


@pytest.fixture
def people(category: Category) -> Dataset:
    return make_dataset(category, "people", PEOPLE_SCHEMA)


@pytest.fixture
def make_source(people: Dataset) -> Callable[..., Source]:
    def make(**fields: Any) -> Source:
        fields.setdefault("name", "街道人口库")
        fields.setdefault("tier", "district")
        fields.setdefault("connector", "file")
        return Source.objects.create(dataset=fields.pop("dataset", people), **fields)

    return make
