"""The indicator registry (指标库): what each indicator means and how it is computed.

An indicator is defined once, in code, by the app area it belongs to (``indicators/builtin``):
its key, titles in Chinese and English, unit, definition, refresh interval, target and
direction, the region levels it is computed for and whether residents may see it.

A definition is either policed SQL over the hub (``Sql``, run through ``hub.query``) or a
registered Python function (``Function``) that reads an app's ``services/public.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from shequ.core.models import Region


class Direction(StrEnum):
    HIGHER = "higher"  # higher is better
    LOWER = "lower"


class Level(StrEnum):
    """The region dimension: street → community (or village) → estate."""

    STREET = "street"
    COMMUNITY = "community"
    ESTATE = "estate"


class Reason(StrEnum):
    """Why an indicator has no value (never shown as zero)."""

    SOURCE_MISSING = "source_missing"  # a hub dataset it reads holds no data yet
    QUERY_FAILED = "query_failed"  # the hub refused or failed the query
    NOT_MEASURED = "not_measured"  # nothing to measure (no alert was acknowledged …)
    ERROR = "error"  # the function failed


class NoData(Exception):
    """Raised by a definition when a value cannot be computed; ``detail`` says what is missing."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Sql:
    """Policed SQL over hub datasets, one row per community (``region_code``) or estate.

    Columns: ``region_code``, optionally ``estate_code``, and either ``value`` or ``num`` and
    ``den`` (a ratio: a street's value is the sum of ``num`` over the sum of ``den``). A
    street's value rolls its communities' rows up with ``rollup`` (``sum`` or ``max``). A
    community absent from the rows has a value of zero when ``absent_is_zero`` (a count of
    nothing), else no data.
    """

    sql: str
    sources: tuple[str, ...]
    rollup: str = "sum"
    absent_is_zero: bool = True


# A function gets the region and the time of the run; it returns the value or raises NoData.
Compute = Callable[[Region, datetime], float]


@dataclass(frozen=True)
class Function:
    compute: Compute


@dataclass(frozen=True)
class Indicator:
    key: str
    module: str  # parking, flood, timebank, access, hub, feedback
    title: str  # Chinese
    title_en: str
    unit: str  # Chinese unit ("个", "%", "分钟")
    unit_en: str
    definition: Sql | Function
    every: timedelta = timedelta(hours=1)
    target: float | None = None
    direction: Direction = Direction.HIGHER
    levels: tuple[Level, ...] = (Level.STREET, Level.COMMUNITY)
    public: bool = False  # residents may see it for their community
    key_figure: bool = False  # on the big screen and the phone summary
    decimals: int = 0
    description: str = ""
    description_en: str = ""
    scale: float = 1.0  # a ratio shown as a percentage: 100
    # The definition computes the value as it was at a past moment (the demo's history).
    as_of: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)


REGISTRY: dict[str, Indicator] = {}
MODULES = ("parking", "flood", "timebank", "access", "hub", "feedback")


def register(*indicators: Indicator) -> None:
    for indicator in indicators:
        if indicator.key in REGISTRY and REGISTRY[indicator.key] != indicator:
            raise ValueError(f"indicator {indicator.key} is registered twice")
        if indicator.module not in MODULES:
            raise ValueError(f"indicator {indicator.key}: unknown module {indicator.module}")
        REGISTRY[indicator.key] = indicator


def get(key: str) -> Indicator | None:
    return REGISTRY.get(key)


def of_module(module: str) -> list[Indicator]:
    return [i for i in REGISTRY.values() if i.module == module]
