"""Sharing hours in words, zh-Hans and English, for the rule shapes garages declare."""

from __future__ import annotations

import pytest
from django.utils import translation

from shequ.parking.services import opening_hours
from shequ.parking.services.hours_text import describe, describe_text

CASES = [
    (
        "Mo-Fr 18:30-08:00; Sa,Su,PH 00:00-24:00",
        "Mon–Fri 18:30–08:00 next day; Sat, Sun and public holidays all day",
        "周一至周五 18:30–次日 08:00；周六、周日及法定节假日 全天",
    ),
    ("24/7", "Every day, 24 hours", "每天 24 小时"),
    (
        "Mo-Fr 19:00-07:30; PH off",
        "Mon–Fri 19:00–07:30 next day; closed on public holidays",
        "周一至周五 19:00–次日 07:30；法定节假日不共享",
    ),
    (
        "Mo,We,Fr 08:00-12:00,13:00-18:00",
        "Mon, Wed, Fri 08:00–12:00, 13:00–18:00",
        "周一、周三、周五 08:00–12:00、13:00–18:00",
    ),
    ("We 10:00-12:00", "Wed 10:00–12:00", "周三 10:00–12:00"),
    ("Fr-Mo 20:00-06:00", "Fri–Mon 20:00–06:00 next day", "周五至周一 20:00–次日 06:00"),
    ("Sa,Su 00:00-24:00", "Sat, Sun all day", "周六、周日 全天"),
    ("Mo-Su 19:00-07:00", "Every day 19:00–07:00 next day", "每天 19:00–次日 07:00"),
    ("PH 09:00-17:00", "Public holidays 09:00–17:00", "法定节假日 09:00–17:00"),
    (
        "Mo-Fr 18:00-24:00; Sa 00:00-24:00; Su,PH 08:00-20:00",
        "Mon–Fri 18:00–24:00; Sat all day; Sun and public holidays 08:00–20:00",
        "周一至周五 18:00–24:00；周六 全天；周日及法定节假日 08:00–20:00",
    ),
    ("off", "Not shared", "不共享"),
]


@pytest.mark.parametrize(("hours", "english", "chinese"), CASES)
def test_it_describes_the_schedule_in_both_languages(
    hours: str, english: str, chinese: str
) -> None:
    schedule = opening_hours.parse(hours)
    with translation.override("en"):
        assert describe(schedule) == english
    with translation.override("zh-hans"):
        assert describe(schedule) == chinese


def test_a_later_rule_replaces_an_earlier_one_in_the_description() -> None:
    with translation.override("en"):
        text = describe(opening_hours.parse("Mo-Su 18:00-08:00; Sa,Su 00:00-24:00"))
    assert text == "Mon–Fri 18:00–08:00 next day; Sat, Sun all day"


def test_an_unparseable_value_is_shown_as_it_is() -> None:
    assert describe_text("Mo-Xx 25:00") == "Mo-Xx 25:00"


def test_the_template_filter_uses_the_page_language() -> None:
    from django.template import Context, Template

    page = Template("{% load parking_hours %}{{ hours|hours_text }}")
    with translation.override("zh-hans"):
        assert page.render(Context({"hours": "24/7"})) == "每天 24 小时"
