"""A finished query's result: the (masked) rows as Arrow, what was read, and JSON-safe values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import Any

import pyarrow as pa


@dataclass
class QueryResult:
    """A finished query: the (masked) rows as Arrow, and what was read to make them."""

    columns: list[str]
    table: pa.Table
    rows: int
    truncated: bool  # more rows than the limit existed; ``table`` holds the first ``rows``
    datasets: dict[str, int | None]  # view read -> Delta version (None: no data yet)
    clear_pii: list[str]  # "dataset.column" of personal columns that came back in clear
    duration: float  # seconds
    sql: str = ""

    @property
    def duration_ms(self) -> int:
        return round(self.duration * 1000)

    def rows_json(self, offset: int = 0, count: int | None = None) -> list[list[Any]]:
        """Rows ``offset`` to ``offset + count`` as lists of JSON-safe values."""
        end = self.rows if count is None else min(self.rows, offset + count)
        if offset >= end:
            return []
        part = self.table.slice(offset, end - offset)
        columns = [part.column(i).to_pylist() for i in range(part.num_columns)]
        return [[json_value(col[r]) for col in columns] for r in range(part.num_rows)]


def json_value(value: Any) -> Any:
    """A value as JSON can carry it: datetimes in ISO 8601, decimals as text, bytes as hex."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return str(value)
