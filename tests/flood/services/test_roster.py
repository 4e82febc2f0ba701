"""The duty roster: who on duty is told in person, and an unacknowledged alert passing on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from flood.factories import STREET, VILLAGE, admin, rows
from shequ.core.models import InboxMessage, Region, Role
from shequ.flood.models import Alert, Device, Rule
from shequ.flood.services import ingest, roster, sweeps

pytestmark = pytest.mark.django_db


@pytest.fixture
def shifts(regions: dict[str, Region], make_user: Callable[..., Any]) -> dict[str, Any]:
    now = timezone.now()
    people = {
        "clerk": make_user(Role.DUTY_OFFICER, VILLAGE),
        "off_duty": make_user(Role.DUTY_OFFICER, VILLAGE),
        "leader": make_user(Role.STREET_STAFF, STREET),
        "red_only": make_user(Role.STREET_STAFF, STREET),
    }
    day = (now - timedelta(hours=1), now + timedelta(hours=8))
    roster.add_shift(admin(), regions[VILLAGE], people["clerk"], *day)
    roster.add_shift(
        admin(),
        regions[VILLAGE],
        people["off_duty"],
        now - timedelta(days=2),
        now - timedelta(days=1),
    )
    roster.add_shift(admin(), regions[STREET], people["leader"], *day, tier=2)
    roster.add_shift(admin(), regions[STREET], people["red_only"], *day, tier=2, min_level=4)
    return people


def inbox(user: Any) -> list[str]:
    return list(InboxMessage.objects.filter(user=user).values_list("title", flat=True))


def test_the_first_tier_on_duty_is_told_in_person(
    shifts: dict[str, Any], gauge: Device, depth: Rule
) -> None:
    ingest.ingest(gauge, rows(30))
    assert inbox(shifts["clerk"]) == ["铁路涵洞: Orange (severe) warning (Level threshold)"]
    assert inbox(shifts["off_duty"]) == [] and inbox(shifts["leader"]) == []


def test_an_unacknowledged_alert_passes_to_the_next_tier(
    shifts: dict[str, Any], gauge: Device, depth: Rule
) -> None:
    ingest.ingest(gauge, rows(30))
    alert = Alert.objects.get()
    assert sweeps.remind(timezone.now() + timedelta(minutes=16)) == 1
    alert.refresh_from_db()
    assert alert.tier == 2
    assert ("passed_on", 3) in list(alert.events.values_list("kind", "level"))
    assert inbox(shifts["leader"])[-1].endswith("unacknowledged, passed on (Level threshold)")
    assert inbox(shifts["red_only"]) == []  # orange is below what they are told of
    sweeps.remind(timezone.now() + timedelta(minutes=32))  # no tier 3: the leader again
    alert.refresh_from_db()
    assert alert.tier == 2 and len(inbox(shifts["leader"])) == 2


def test_a_shift_ends_after_it_starts(regions: dict[str, Region], make_user: Any) -> None:
    from django.core.exceptions import ValidationError

    now = timezone.now()
    with pytest.raises(ValidationError):
        roster.add_shift(admin(), regions[VILLAGE], make_user(Role.DUTY_OFFICER, VILLAGE), now, now)


def test_a_silenced_point_tells_nobody_until_the_silence_ends(
    shifts: dict[str, Any],
    gauge: Device,
    depth: Rule,
    notified: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    now = timezone.now()
    roster.silence(admin(), gauge.point, now + timedelta(hours=1), "水位计检修")
    with django_capture_on_commit_callbacks(execute=True):
        ingest.ingest(gauge, rows(30))
        assert Alert.objects.get().level == 3  # recorded all the same
        assert sweeps.remind(now + timedelta(minutes=30)) == 0
        assert notified == [] and inbox(shifts["clerk"]) == []
        assert sweeps.remind(now + timedelta(minutes=61)) == 1  # over: told now
    assert len(notified) == 1 and len(inbox(shifts["clerk"])) == 1


def test_a_silence_needs_a_reason_and_an_end_ahead(culvert: Any) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        roster.silence(admin(), culvert, timezone.now() - timedelta(minutes=1), "检修")
    with pytest.raises(ValidationError):
        roster.silence(admin(), culvert, timezone.now() + timedelta(hours=1), " ")


def test_a_batch_answers_as_fresh_queries_would(
    shifts: dict[str, Any], gauge: Device, depth: Rule, django_assert_num_queries: Any
) -> None:
    """In ``roster.batch()`` the shifts and silences are read once; what it answers for a
    later time is what a query at that time answers (a shift that begins, a silence that
    ends), and a time before the one read for is read again."""
    point, now = gauge.point, timezone.now()
    evening = now + timedelta(hours=8)  # the day's shifts end, the evening's begins
    roster.add_shift(
        admin(), point.region, shifts["off_duty"], evening, evening + timedelta(hours=1)
    )
    roster.silence(admin(), point, now + timedelta(hours=1), "pump maintenance")
    times = [now + timedelta(minutes=1), now + timedelta(hours=2), evening + timedelta(minutes=5)]

    def answers() -> list[tuple[list[int], list[int], bool]]:
        return [
            (
                sorted(u.pk for u in roster.on_duty(point, 1, 1, at)),
                sorted(u.pk for u in roster.on_duty(point, 1, 4, at)),
                roster.silenced(point, depth, at),
            )
            for at in times
        ]

    fresh = answers()
    with roster.batch():
        with django_assert_num_queries(2):  # the shifts and the silences, once
            assert answers() == fresh
        with django_assert_num_queries(2):  # an earlier time than read for: read again
            roster.on_duty(point, 1, 1, now)
            roster.silenced(point, depth, now)
    clerk, evening_clerk = [shifts["clerk"].pk], [shifts["off_duty"].pk]
    assert fresh == [
        (clerk, clerk, True),
        (clerk, clerk, False),
        (evening_clerk, evening_clerk, False),
    ]
