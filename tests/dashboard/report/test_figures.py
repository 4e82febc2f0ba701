"""A week's figures: the closing value, last week's, the change, the target; no data says why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import translation

from dashboard.factories import HOME, registered
from dashboard.report.support import indicator, local, store
from shequ.core.errors import Invalid
from shequ.dashboard.indicators import Direction
from shequ.dashboard.jobs import monday_seven
from shequ.dashboard.models import Feedback, StaffTask, Target
from shequ.dashboard.services.report import content, figures, problems, weeks

pytestmark = pytest.mark.django_db
W49 = weeks.parse("2026-W49")  # Monday 30 November to Sunday 6 December 2026


def _line(found: list[figures.Line], key: str) -> figures.Line:
    return next(line for line in found if line.indicator.key == key)


def test_the_week_closes_with_its_last_value_and_changes_from_last_weeks(regions: Any) -> None:
    home = regions[HOME]
    with registered(indicator("test.up", target=10, decimals=1)):
        store("test.up", home, "2026-11-25 09:00", 8.0)  # last week
        store("test.up", home, "2026-11-29 23:55", 9.0)  # last week's closing value
        store("test.up", home, "2026-12-01 09:00", 11.5)
        store("test.up", home, "2026-12-06 23:50", 12.5)  # this week's closing value
        store("test.up", home, "2026-12-07 00:05", 100.0)  # next week: not this one
        line = _line(figures.lines(home, W49), "test.up")
    assert (line.now.value, line.before.value, line.change) == (12.5, 9.0, 3.5)
    assert line.change_display == "+3.5"
    assert line.status == figures.MET and line.why == ""
    assert line.target_display == "≥ 10.0"


def test_lower_is_better_off_target_is_an_open_problem(regions: Any) -> None:
    home = regions[HOME]
    with registered(indicator("test.dn", target=5, direction=Direction.LOWER)):
        store("test.dn", home, "2026-11-27 09:00", 9)
        store("test.dn", home, "2026-12-02 09:00", 7)
        found = figures.lines(home, W49)
        line = _line(found, "test.dn")
        assert (line.status, line.change_display, line.target_display) == ("not_met", "-2", "≤ 5")
        off = problems.off_target(found)
    assert [p.kind for p in off] == ["off_target"]
    assert "Test test.dn closed the week at 7" in off[0].text and "≤ 5" in off[0].text


def test_the_report_judges_by_the_regions_own_target(regions: Any) -> None:
    """A community that set its own target is judged by it, in the row and the problems."""
    home = regions[HOME]
    with registered(indicator("test.own", target=10)):
        store("test.own", home, "2026-12-02 09:00", 12)
        assert _line(figures.lines(home, W49), "test.own").status == figures.MET
        Target.objects.create(
            indicator="test.own",
            region=home,
            target=15,
            direction="higher",
            updated_at=local("2026-12-03 09:00"),
        )
        found = figures.lines(home, W49)
        line = _line(found, "test.own")
        assert (line.status, line.target_display) == (figures.NOT_MET, "≥ 15")
        assert [p.kind for p in problems.off_target(found)] == ["off_target"]


def test_no_data_keeps_its_reason_and_a_week_without_values_says_so(regions: Any) -> None:
    home = regions[HOME]
    with registered(indicator("test.nd", target=1), indicator("test.nv", target=1),
                    indicator("test.zz", target=None)):  # fmt: skip
        store("test.nd", home, "2026-11-26 09:00", 4)
        store("test.nd", home, "2026-12-03 09:00", None, "source_missing", "parking_spaces")
        store("test.zz", home, "2026-12-03 09:00", 0.0)
        found = figures.lines(home, W49)
        stored, never, zero = (_line(found, k) for k in ("test.nd", "test.nv", "test.zz"))
    assert stored.now.value is None and stored.status == "no_data"
    assert stored.now.display == "no data" and stored.change is None
    assert stored.change_display == "—"
    assert "no data yet" in stored.why and "parking_spaces" in stored.why
    assert never.status == "no_data" and "stored no value" in never.why
    assert never.now.display == "no data"  # never a zero
    assert (zero.now.value, zero.now.display, zero.status) == (0.0, "0", "no_target")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_numbers_are_grouped_in_either_language(regions: Any, language: str) -> None:
    home = regions[HOME]
    with registered(indicator("test.bg", target=None, decimals=1)):
        store("test.bg", home, "2026-11-26 09:00", 10000)
        store("test.bg", home, "2026-12-03 09:00", 12345.54)
        with translation.override(language):
            line = _line(figures.lines(home, W49), "test.bg")
            assert (line.now.display, line.change_display) == ("12,345.5", "+2,345.5")
            assert line.status_label == ("no target" if language == "en" else "无目标")


def test_open_problems_count_unanswered_comments_and_unfinished_tasks(
    regions: Any, staff: Any, make_user: Any
) -> None:
    resident = make_user("resident", HOME)
    at = local("2026-12-03 09:00")
    answered = Feedback.objects.create(author=resident, region=regions[HOME], service="parking",
                                       rating=2, created_at=at, first_replied_at=at)  # fmt: skip
    for _n in range(2):
        Feedback.objects.create(author=resident, region=regions[HOME], service="parking",
                                rating=3, created_at=at)  # fmt: skip
    StaffTask.objects.create(feedback=answered, region=regions[HOME], title="看车位",
                             created_at=at, updated_at=at)  # fmt: skip
    found = {p.kind: p for p in problems.open_now(regions[HOME])}
    assert found["feedback"].count == 2 and "without a reply: 2" in found["feedback"].text
    assert found["tasks"].count == 1
    assert "flood_alerts" not in found  # none open: not listed as zero


def test_a_report_sums_itself_up(regions: Any) -> None:
    with registered(indicator("test.up", target=10)):
        store("test.up", regions[HOME], "2026-12-02 09:00", 3)
        report = content.build(regions[HOME], W49)
    assert report.count("not_met") >= 1 and "did not" in report.summary
    assert report.title == "锦绣社区 weekly report, 2026-W49"
    assert report.period == "2026-11-30 to 2026-12-06"


@pytest.mark.parametrize("text", ["2026-W54", "2026-49", "W49", "2026-W00", ""])
def test_a_week_that_is_not_an_iso_week_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(Invalid) as refused:
        weeks.parse(text)
    assert "week" in refused.value.fields and "ISO week" in refused.value.message


def test_on_monday_morning_the_last_complete_week_is_the_one_before() -> None:
    assert weeks.last_complete(local("2026-12-07 07:00")).name == "2026-W49"
    assert weeks.last_complete(local("2026-12-06 23:00")).name == "2026-W48"
    assert weeks.parse("2026-W53").monday.isoformat() == "2026-12-28"


def test_the_job_runs_on_monday_at_seven_in_shanghai_not_in_utc() -> None:
    assert monday_seven(datetime(2026, 12, 6, 23, 0))  # huey's naive UTC = Mon 07:00 CST
    assert not monday_seven(datetime(2026, 12, 7, 7, 0))  # 15:00 in Shanghai
    assert monday_seven(datetime(2026, 12, 6, 23, 0, tzinfo=UTC))
    assert not monday_seven(datetime(2026, 12, 6, 23, 1))
