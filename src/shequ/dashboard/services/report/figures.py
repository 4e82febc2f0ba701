"""A week's figures of a region: each indicator's closing value, last week's, change, target.

An indicator's value for a week is its last stored value (``Value``) computed within the week
(Monday 00:00 to the next Monday, local time): the figure the week closed with. A week in
which the worker stored nothing for it is "no data" with that reason, never zero; a stored
"no data" keeps its own reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Max, Q
from django.utils.translation import gettext as _

from shequ.core.models import Region
from shequ.dashboard.indicators import MODULES, REGISTRY, Direction, Indicator
from shequ.dashboard.models import Value
from shequ.dashboard.services import targets, values
from shequ.dashboard.services.access import shown_at
from shequ.dashboard.services.report.weeks import Week
from shequ.dashboard.services.targets import Goal

MET, NOT_MET, NO_TARGET, NO_DATA = "met", "not_met", "no_target", "no_data"


@dataclass(frozen=True)
class Line:
    """One indicator's row of the report."""

    indicator: Indicator
    now: values.Figure  # the week's closing figure (value None: no data, ``why`` says why)
    before: values.Figure  # last week's

    @property
    def title(self) -> str:
        return values.title(self.indicator)

    @property
    def unit(self) -> str:
        return values.unit(self.indicator)

    @property
    def change(self) -> float | None:
        if self.now.value is None or self.before.value is None:
            return None
        return round(self.now.value - self.before.value, self.indicator.decimals)

    @property
    def change_display(self) -> str:
        change = self.change
        if change is None:
            return "—"
        sign = "+" if change > 0 else ""  # a negative number carries its own sign
        return sign + values.number(change, self.indicator.decimals)

    @property
    def status(self) -> str:
        if self.now.value is None:
            return NO_DATA
        if self.now.target is None:
            return NO_TARGET
        return MET if self.now.status == "good" else NOT_MET

    @property
    def status_label(self) -> str:
        return {
            MET: _("met"),
            NOT_MET: _("not met"),
            NO_TARGET: _("no target"),
            NO_DATA: _("no data"),
        }[self.status]

    @property
    def target_display(self) -> str:
        if self.now.target is None:
            return "—"
        better = "≥" if self.now.direction == Direction.HIGHER else "≤"
        return f"{better} {self.now.target_display}"

    @property
    def why(self) -> str:
        """Why the week has no value ("" when it has one)."""
        if self.now.value is not None:
            return ""
        if self.now.at is None:
            return _("Not computed that week: the worker stored no value for it.")
        return self.now.why


def _closing(keys: Sequence[str], region: Region, week: Week) -> dict[str, Value]:
    """Each indicator's last value stored within the week (two queries)."""
    inside = Value.objects.filter(
        region=region, estate_code="", indicator__in=keys, at__gte=week.start, at__lt=week.end
    )
    last = dict(inside.values_list("indicator").annotate(at=Max("at")))
    if not last:
        return {}
    condition = Q()
    for key, at in last.items():
        condition |= Q(indicator=key, at=at)
    return {v.indicator: v for v in inside.filter(condition)}


def _figure(indicator: Indicator, region: Region, row: Value | None, goal: Goal) -> values.Figure:
    """The figure judged against the target in force now (``targets.effective_target``)."""
    if row is None:
        return values.Figure(indicator, region, None, "", "", None, goal=goal)
    return values.Figure(indicator, region, row.value, row.reason, row.detail, row.at, goal=goal)


def lines(region: Region, week: Week) -> list[Line]:
    """The report's rows: every indicator computed at the region's level, by module and key."""
    shown = sorted(
        (i for i in REGISTRY.values() if shown_at(i, region)),
        key=lambda i: (MODULES.index(i.module), i.key),
    )
    keys = [i.key for i in shown]
    now = _closing(keys, region, week)
    before = _closing(keys, region, week.previous())
    goals = targets.goals_for(shown, [region])
    return [
        Line(
            i,
            _figure(i, region, now.get(i.key), goals[(i.key, region.code)]),
            _figure(i, region, before.get(i.key), goals[(i.key, region.code)]),
        )
        for i in shown
    ]
