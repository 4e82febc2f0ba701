"""Reading indicator values for pages, the API, exports and the big screen."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Q
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shequ.core.models import Region
from shequ.dashboard.indicators import Direction, Indicator
from shequ.dashboard.models import NoDataReason, Value
from shequ.dashboard.services.targets import Goal, default_goal, goals_for


def english() -> bool:
    return (get_language() or "zh-hans").startswith("en")


def title(indicator: Indicator) -> str:
    return indicator.title_en if english() else indicator.title


def unit(indicator: Indicator) -> str:
    return indicator.unit_en if english() else indicator.unit


def number(value: float, decimals: int) -> str:
    """A figure in the page's language, grouped by thousands in Chinese too."""
    return str(formats.number_format(round(value, decimals), decimals, force_grouping=True))


@dataclass(frozen=True)
class Figure:
    indicator: Indicator
    region: Region
    value: float | None
    reason: str
    detail: str
    at: datetime | None
    estate_code: str = ""
    estate_name: str = ""
    # The target in force at the region (``targets.effective_target``); None: the registry's.
    goal: Goal | None = None

    @property
    def target(self) -> float | None:
        return (self.goal or default_goal(self.indicator)).target

    @property
    def direction(self) -> Direction:
        return (self.goal or default_goal(self.indicator)).direction

    @property
    def title(self) -> str:
        return title(self.indicator)

    @property
    def unit(self) -> str:
        return unit(self.indicator)

    @property
    def description(self) -> str:
        return self.indicator.description_en if english() else self.indicator.description

    @property
    def display(self) -> str:
        return _("no data") if self.value is None else number(self.value, self.indicator.decimals)

    @property
    def why(self) -> str:
        """Why there is no value, in the page's language ("" when there is one)."""
        if self.value is not None:
            return ""
        if not self.reason:
            return _("Not computed yet: the worker has not run this indicator.")
        label = str(NoDataReason(self.reason).label)
        if self.reason == NoDataReason.NOT_MEASURED or not self.detail:
            return label  # the detail is a note in English for the logs and the API
        return f"{label} ({self.detail})"

    @property
    def status(self) -> str:
        """good / bad against the target, none without a value or a target."""
        target = self.target
        if self.value is None or target is None:
            return "none"
        better = (
            self.value >= target if self.direction == Direction.HIGHER else self.value <= target
        )
        return "good" if better else "bad"

    @property
    def target_display(self) -> str:
        target = self.target
        return "" if target is None else number(target, self.indicator.decimals)


def _latest_runs(keys: Sequence[str]) -> dict[str, datetime]:
    return dict(
        Value.objects.filter(indicator__in=keys).values_list("indicator").annotate(at=Max("at"))
    )


def latest(
    indicators: Sequence[Indicator], regions: Iterable[Region], *, estates: bool = False
) -> dict[tuple[str, str, str], Figure]:
    """(indicator key, region code, estate code) -> its newest figure; one that never ran is
    there too, without a value. Two queries whatever the counts."""
    regions = list(regions)
    by_key = {i.key: i for i in indicators}
    runs = _latest_runs(list(by_key))
    goals = goals_for(indicators, regions)
    found: dict[tuple[str, str, str], Figure] = {}
    for i in indicators:
        for r in regions:
            found[(i.key, r.code, "")] = Figure(
                i, r, None, "", "", None, goal=goals[(i.key, r.code)]
            )
    if not runs or not regions:
        return found
    condition = Q()
    for key, at in runs.items():
        condition |= Q(indicator=key, at=at)
    rows = Value.objects.filter(condition, region__in=regions).select_related("region")
    if not estates:
        rows = rows.filter(estate_code="")
    for v in rows:
        found[(v.indicator, v.region.code, v.estate_code)] = Figure(
            by_key[v.indicator], v.region, v.value, v.reason, v.detail, v.at, v.estate_code,
            v.estate_name, goals.get((v.indicator, v.region.code)),
        )  # fmt: skip
    return found


def series(indicator: Indicator, region: Region, days: int = 30) -> list[Figure]:
    """The region's values of the last ``days``, oldest first, judged by today's target."""
    goal = goals_for([indicator], [region])[(indicator.key, region.code)]
    since = timezone.now() - timedelta(days=days)
    rows = Value.objects.filter(
        indicator=indicator.key, region=region, estate_code="", at__gte=since
    ).order_by("at")
    return [Figure(indicator, region, v.value, v.reason, v.detail, v.at, goal=goal) for v in rows]
