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
