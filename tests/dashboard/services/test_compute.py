"""Computing indicators: values per street, community and estate; no data is never zero."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from dashboard.factories import HOME, NEXT_DOOR, STREET, VILLAGE, publish_figures, registered
from shequ.core.models import Region
from shequ.dashboard.indicators import REGISTRY, Function, Indicator, Level, NoData, Reason, Sql
from shequ.dashboard.models import Value
from shequ.dashboard.services import compute, refresh, values

pytestmark = pytest.mark.django_db


def _sql(sql: str, sources: tuple[str, ...] = ("test_figures",), **extra: Any) -> Indicator:
    levels = extra.pop("levels", (Level.STREET, Level.COMMUNITY))
    return Indicator("test.sql", "parking", "测试", "Test", "个", "n", Sql(sql, sources, **extra),
                     levels=levels)  # fmt: skip


def _latest(key: str) -> dict[tuple[str, str], Value]:
    at = Value.objects.filter(indicator=key).order_by("-at").values_list("at", flat=True)[0]
    return {
        (v.region.code, v.estate_code): v
        for v in Value.objects.filter(indicator=key, at=at).select_related("region")
    }


def test_a_missing_source_is_no_data_with_its_reason_never_zero(regions: Any) -> None:
    indicator = _sql("SELECT region_code, count(*) AS value FROM test_figures GROUP BY 1")
    with registered(indicator):
        refresh.run(["test.sql"], force=True)
        found = _latest("test.sql")
    assert {STREET, HOME, NEXT_DOOR, VILLAGE} <= {k[0] for k in found}
    for v in found.values():
        assert v.value is None
        assert v.reason == Reason.SOURCE_MISSING
        assert v.detail == "test_figures"
    figure = values.Figure(indicator, regions[STREET], None, v.reason, v.detail, v.at)
    assert figure.display == "no data"
    assert "no data yet" in figure.why and "test_figures" in figure.why


def test_a_refused_query_is_no_data_saying_why(regions: Any) -> None:
    publish_figures([{"region_code": HOME, "estate_code": "E1", "n": 3, "cap": 10}])
    indicator = _sql("SELECT region_code, read_csv('/etc/passwd') AS value FROM test_figures")
    with registered(indicator):
        outcomes = compute.evaluate(indicator, timezone.now())
    assert outcomes and all(o.value is None for o in outcomes)
    assert {o.reason for o in outcomes} == {Reason.QUERY_FAILED}
    assert all(o.detail for o in outcomes)


def test_sums_roll_up_from_communities_to_the_street(regions: Any) -> None:
    publish_figures(
        [
            {"region_code": HOME, "estate_code": "E1", "n": 3, "cap": 10},
            {"region_code": HOME, "estate_code": "E2", "n": 4, "cap": 10},
            {"region_code": NEXT_DOOR, "estate_code": "E3", "n": 5, "cap": 20},
        ]
    )
    indicator = _sql(
        "SELECT region_code, estate_code, n AS value FROM test_figures",
        levels=(Level.STREET, Level.COMMUNITY, Level.ESTATE),
    )
    with registered(indicator):
        got = {
            (o.region.code, o.estate_code): o.value
            for o in compute.evaluate(indicator, timezone.now())
        }
    assert got[(STREET, "")] == 12
    assert got[(HOME, "")] == 7
    assert got[(HOME, "E1")] == 3 and got[(HOME, "E2")] == 4
    assert got[(NEXT_DOOR, "E3")] == 5
    assert got[(VILLAGE, "")] == 0  # a count of nothing is a real zero (absent_is_zero)


def test_a_ratio_rolls_up_its_parts_not_its_values(regions: Any) -> None:
    publish_figures(
        [
            {"region_code": HOME, "estate_code": "E1", "n": 1, "cap": 10},
            {"region_code": NEXT_DOOR, "estate_code": "E3", "n": 9, "cap": 10},
        ]
    )
    indicator = _sql(
        "SELECT region_code, n AS num, cap AS den FROM test_figures", absent_is_zero=False
    )
    with registered(indicator):
        got = {o.region.code: o for o in compute.evaluate(indicator, timezone.now())}
    assert got[STREET].value == pytest.approx(0.5)  # 10 / 20, not the mean of 0.1 and 0.9
    assert got[HOME].value == pytest.approx(0.1)
    assert got[VILLAGE].value is None and got[VILLAGE].reason == Reason.NOT_MEASURED


def test_a_function_raising_no_data_or_failing_keeps_the_other_regions(regions: Any) -> None:
    def compute_it(region: Region, now: datetime) -> float:
        if region.code == HOME:
            raise NoData(Reason.NOT_MEASURED, "nothing to count")
        if region.code == NEXT_DOOR:
            raise ZeroDivisionError
        return 7.0

    indicator = Indicator("test.fn", "flood", "测试", "Test", "个", "n", Function(compute_it))
    got = {o.region.code: o for o in compute.evaluate(indicator, timezone.now())}
    assert got[STREET].value == 7.0
    assert (got[HOME].value, got[HOME].reason, got[HOME].detail) == (
        None, Reason.NOT_MEASURED, "nothing to count",
    )  # fmt: skip
    assert (got[NEXT_DOOR].value, got[NEXT_DOOR].reason) == (None, Reason.ERROR)


def test_only_indicators_past_their_interval_are_due(regions: Any) -> None:
    now = timezone.now()
    indicator = Indicator("test.fn", "flood", "测试", "Test", "个", "n",
                          Function(lambda r, t: 1.0), every=timedelta(hours=1))  # fmt: skip
    with registered(indicator):
        n = len(compute.dimension(indicator))
        assert compute.refresh(["test.fn"], now=now) == {"test.fn": n}
        assert compute.refresh(["test.fn"], now=now + timedelta(minutes=59)) == {}
        assert compute.refresh(["test.fn"], now=now + timedelta(hours=1)) == {"test.fn": n}
    assert Value.objects.filter(indicator="test.fn").values("at").distinct().count() == 2


def test_every_builtin_indicator_computes_without_data_and_never_shows_zero_for_none(
    regions: Any,
) -> None:
    """On an empty platform: every indicator of every app runs; a value or a reason each."""
    refresh.run(force=True)
    rows = Value.objects.all()
    assert {v.indicator for v in rows} == set(REGISTRY)
    for v in rows:
        assert (v.value is None) == bool(v.reason), v
    assert rows.get(indicator="parking.idle_night_spaces", region__code=STREET).reason == (
        Reason.SOURCE_MISSING
    )


def test_the_registry_names_every_module_and_both_languages() -> None:
    assert {i.module for i in REGISTRY.values()} == {
        "parking",
        "flood",
        "timebank",
        "access",
        "hub",
        "feedback",
    }
    for i in REGISTRY.values():
        assert i.title and i.title_en and i.unit and i.unit_en, i.key
