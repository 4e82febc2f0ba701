"""Recurring requests: a schedule makes its occurrences; a volunteer takes the whole series
or nothing; cancelling leaves what has started; bad schedules are refused naming the field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shequ.core.models import Region
from shequ.timebank.models import Event, HelpRequest, Member, Order, Series
from shequ.timebank.services import orders, series
from shequ.timebank.services.errors import Conflict, Forbidden, Invalid
from timebank.factories import NOW, START, add_volunteer


def dinners(actor: Any, father: Member, **fields: Any) -> Series:
    values: dict[str, Any] = {
        "category": "meals",
        "description": "每天晚上送一份热饭，两周。",
        "first_starts_at": START,
        "window_minutes": 120,
        "count": 14,
        "estimated_minutes": 45,
        "now": NOW,
    }
    return series.post(actor, father, **(values | fields))


def test_a_fortnight_of_dinners_makes_fourteen_evenings(daughter: Any, father: Member) -> None:
    made = dinners(daughter, father, key="dinners-1")
    occurrences = list(made.occurrences.order_by("starts_at"))
    assert len(occurrences) == 14
    assert [r.starts_at - START for r in occurrences] == [timedelta(days=n) for n in range(14)]
    assert all(r.ends_at - r.starts_at == timedelta(hours=2) for r in occurrences)
    assert {r.status for r in occurrences} == {"open"}
    assert dinners(daughter, father, key="dinners-1").pk == made.pk  # a retry posts once
    assert Series.objects.count() == 1 and HelpRequest.objects.count() == 14


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"count": 1}, "count"),
        ({"count": 40}, "count"),
        ({"every_days": 0}, "every_days"),
        ({"window_minutes": 5}, "window_minutes"),
        ({"category": "flying"}, "category"),
        ({"first_starts_at": NOW - timedelta(days=1)}, "ends_at"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_field_and_nothing_is_written(
    daughter: Any, father: Member, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        dinners(daughter, father, **fields)
    assert field in refused.value.fields
    assert not Series.objects.exists() and not HelpRequest.objects.exists()


def test_a_volunteer_takes_the_whole_series_at_once(
    daughter: Any, father: Member, volunteer: Member
) -> None:
    made = dinners(daughter, father)
    taken = series.take(volunteer.user, made, now=NOW)
    assert len(taken) == 14 and {o.volunteer_id for o in taken} == {volunteer.pk}
    assert set(made.occurrences.values_list("status", flat=True)) == {"taken"}
    assert Event.objects.filter(action="take", order__isnull=False).count() == 14
    again = series.take(volunteer.user, made, now=NOW)  # a retry: the same orders
    assert sorted(o.pk for o in again) == sorted(o.pk for o in taken)


def test_one_occurrence_taken_alone_means_the_series_is_not_taken_whole(
    daughter: Any, father: Member, volunteer: Member, volunteer2: Member
) -> None:
    made = dinners(daughter, father)
    third = made.occurrences.order_by("starts_at")[2]
    orders.take(volunteer2.user, third, now=NOW)
    with pytest.raises(Conflict) as refused:
        series.take(volunteer.user, made, now=NOW)
    assert refused.value.code == "series_taken"
    assert not Order.objects.filter(volunteer=volunteer).exists()  # nothing half-written


def test_nobody_takes_a_series_of_another_community_or_their_own(
    daughter: Any, father: Member, far_volunteer: Member, tb_staff: Any, home: Region
) -> None:
    made = dinners(daughter, father)
    with pytest.raises(Forbidden):
        series.take(far_volunteer.user, made, now=NOW)
    with pytest.raises(Forbidden):
        series.take(daughter, made, now=NOW)  # not a volunteer
    helper = add_volunteer(tb_staff, home)
    own = dinners(helper.user, helper)
    with pytest.raises(Conflict):
        series.take(helper.user, own, now=NOW)


def test_cancelling_the_series_cancels_what_has_not_started(
    daughter: Any, father: Member, volunteer: Member, volunteer2: Member
) -> None:
    made = dinners(daughter, father, count=3)
    taken = series.take(volunteer.user, made, now=NOW)
    orders.check_in(volunteer.user, taken[0], now=START)
    with pytest.raises(Forbidden):
        series.cancel(volunteer2.user, made, now=START)
    series.cancel(daughter, made, reason="住院了", now=START + timedelta(minutes=5))
    statuses = list(made.occurrences.order_by("starts_at").values_list("status", flat=True))
    assert statuses == ["in_service", "cancelled", "cancelled"]
    assert series.cancel(daughter, made).status == "cancelled"  # a retry
    with pytest.raises(Conflict):
        series.take(volunteer2.user, made, now=NOW)
