"""Objects for the dashboard tests: a hub dataset of figures per community, test indicators."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shequ.core.models import Region
from shequ.dashboard.indicators import REGISTRY, Indicator
from shequ.hub.services import flowback
from shequ.hub.services.catalog import load_catalog

STREET = "990102001000"  # 望湖街道
HOME = "990102001001"  # 锦绣社区
NEXT_DOOR = "990102001002"  # 和园社区
VILLAGE = "990102001201"  # 石桥村
OTHER_STREET = "990102002000"  # 江南街道


def publish_figures(rows: list[dict[str, Any]], key: str = "test_figures") -> None:
    """A dataset with ``region_code``, ``estate_code``, ``n`` and ``cap`` published to the hub."""
    load_catalog()
    schema = {
        "primaryKey": ["region_code", "estate_code"],
        "regionField": "region_code",
        "fields": [
            {"name": "region_code", "type": "string", "constraints": {"required": True}},
            {"name": "estate_code", "type": "string", "constraints": {"required": True}},
            {"name": "n", "type": "integer"},
            {"name": "cap", "type": "integer"},
        ],
    }
    dataset = flowback.publish_dataset(
        None,
        region=Region.objects.get(code=STREET),
        key=key,
        category="traffic",
        schema=schema,
        title="测试",
        title_en="Test figures",
        description="",
        description_en="",
        sharing="unconditional",
        frequency="daily",
        tags=[],
        licence="",
    )
    flowback.publish_rows(dataset, rows)


@contextmanager
def registered(*indicators: Indicator) -> Iterator[None]:
    """Test indicators in the registry for the length of a block."""
    for i in indicators:
        REGISTRY[i.key] = i
    try:
        yield
    finally:
        for i in indicators:
            REGISTRY.pop(i.key, None)
