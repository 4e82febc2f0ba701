"""Sharing hours as days and times: the form's text, read back, and the operator's page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from parking.factories import logged_in
from shequ.parking.forms import PlanForm
from shequ.parking.models import Garage, SharingPlan
from shequ.parking.services import opening_hours
from shequ.parking.services.hours_form import (
    HOLIDAYS_ALL_DAY,
    HOLIDAYS_AS_WEEKDAY,
    HOLIDAYS_CLOSED,
    SimpleHours,
    compose,
    decompose,
)

DEMO = "Mo-Fr 18:30-08:00; Sa,Su,PH 00:00-24:00"


@pytest.mark.parametrize(
    "text",
    [DEMO, "Mo-Fr 19:00-07:30; PH off", "We 10:00-12:00", "Mo-Fr 18:00-24:00; Sa,Su 00:00-24:00"],
)
def test_what_garages_declare_reads_back_as_the_same_text(text: str) -> None:
    simple = decompose(text)
    assert simple is not None
    assert compose(simple) == text


def test_the_demo_hours_as_the_form_shows_them() -> None:
    assert decompose(DEMO) == SimpleHours(
        frozenset(range(5)), "18:30", "08:00", frozenset({5, 6}), HOLIDAYS_ALL_DAY
    )


@pytest.mark.parametrize(
    "text", ["Mo,We,Fr 08:00-12:00,13:00-18:00", "Mo-Fr 18:00-24:00; Su,PH 08:00-20:00", "x"]
)
def test_what_the_form_cannot_say_stays_in_the_advanced_field(text: str) -> None:
    assert decompose(text) is None
    assert PlanForm.initial_for(text) == {"hours": text}


@pytest.mark.parametrize(
    ("simple", "field"),
    [
        (SimpleHours(), "span_days"),
        (SimpleHours(frozenset({0}), "", "", frozenset(), HOLIDAYS_AS_WEEKDAY), "start"),
        (SimpleHours(frozenset({0}), "08:00", "08:00"), "end"),
        (SimpleHours(frozenset({0}), "18:00", "08:00", frozenset({0})), "full_days"),
    ],
)
def test_an_impossible_form_names_its_field(simple: SimpleHours, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        compose(simple)
    assert field in info.value.message_dict


times = st.integers(0, 23 * 60 + 59).map(lambda m: f"{m // 60:02d}:{m % 60:02d}")
weekdays = st.frozensets(st.integers(0, 6))


@st.composite
def forms_values(draw: st.DrawFn) -> SimpleHours:
    span_days = draw(weekdays)
    full_days = draw(weekdays) - span_days
    start, end = (draw(times), draw(times)) if span_days else ("", "")
    if span_days and (start == end or (start, end) == ("00:00", "00:00")):
        end = "23:59" if start != "23:59" else "00:00"
    holidays = draw(st.sampled_from([HOLIDAYS_ALL_DAY, HOLIDAYS_CLOSED, HOLIDAYS_AS_WEEKDAY]))
    if not span_days and not full_days:
        holidays = HOLIDAYS_ALL_DAY
    return SimpleHours(span_days, start, end, full_days, holidays)


@settings(max_examples=200, deadline=None)
@given(forms_values())
def test_every_form_value_round_trips_through_the_text(simple: SimpleHours) -> None:
    text = compose(simple)
    opening_hours.parse(text)
    assert decompose(text) == simple


# --- the operator's page ----------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def _as_posted(page: str) -> dict[str, Any]:
    """What a browser posts from the rendered plan form (ticked boxes, filled values)."""
    import re

    form = page.split('data-testid="plan-form"')[1].split("</form>")[0]
    data: dict[str, Any] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or name.group(1) == "csrfmiddlewaretoken":
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        if kind and kind.group(1) in ("checkbox", "radio") and "checked" not in tag:
            continue
        if kind and kind.group(1) == "checkbox":
            data.setdefault(name.group(1), []).append(value.group(1) if value else "on")
        else:
            data[name.group(1)] = value.group(1) if value else ""
    return data


def test_the_operator_sees_days_and_times_and_saving_them_keeps_the_hours(
    operator: Any, garage: Garage, plan: SharingPlan
) -> None:
    SharingPlan.objects.filter(pk=plan.pk).update(hours=DEMO)
    client = logged_in(operator)
    url = f"/parking/operator/{garage.pk}/plans/"
    page = client.get(url).content.decode()
    assert "Plan name" in page
    posted = _as_posted(page)
    assert posted["span_days"] == ["0", "1", "2", "3", "4"] and posted["full_days"] == ["5", "6"]
    assert (posted["start"], posted["end"], posted["holidays"]) == ("18:30", "08:00", "all_day")
    assert posted["hours"] == ""  # the advanced field is for what the form cannot say
    posted |= {"capacity": "3", "valid_from": ""}
    assert client.post(url, posted).status_code == 302
    newest = SharingPlan.objects.filter(garage=garage, capacity=3).get()
    assert newest.hours == DEMO


def test_the_plan_name_is_not_labelled_as_a_persons_name() -> None:
    with translation.override("zh-hans"):
        label = str(PlanForm().fields["name"].label)
    assert label != "姓名" and "方案" in label


def test_a_form_without_days_names_the_field(operator: Any, garage: Garage) -> None:
    page = Client()
    page.force_login(operator)
    answer = page.post(
        f"/parking/operator/{garage.pk}/plans/",
        {"form": "plan", "code": "night", "name": "夜间", "capacity": 3},
    )
    assert 'data-testid="error-span_days"' in answer.content.decode()
    assert not SharingPlan.objects.filter(garage=garage).exists()
