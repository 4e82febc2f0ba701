"""The emergency response level: it tightens the thresholds, is audited, and is told on duty."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from flood.factories import ELSEWHERE, STREET, VILLAGE, admin, rows
from shequ.core.errors import Forbidden, Invalid
from shequ.core.models import AuditEvent, InboxMessage, Region, Role
from shequ.core.transports.base import Message
from shequ.flood.models import Alert, Device, ResponseChange, ResponseSetting, Rule
from shequ.flood.services import ingest, points, response, roster

pytestmark = pytest.mark.django_db


def test_a_reading_below_the_normal_threshold_fires_at_level_one(
    regions: dict[str, Region], gauge: Device, depth: Rule
) -> None:
    ingest.ingest(gauge, rows(30.0))  # orange normally (25 ≤ 30 < 40)
    assert Alert.objects.get().level == 3
    Alert.objects.all().delete()
    response.set_level(admin(), regions[STREET], 4, "台风红色预警")  # the street: I
    later = timezone.now()
    ingest.ingest(gauge, rows(30.0, start=later))  # 40 × 0.6 = 24 ≤ 30: red
    assert Alert.objects.get(state="firing").level == 4
    # The chart draws the lines the rule judges by now.
    lines = points.series(gauge.point, 24, now=later)[0]["thresholds"][0]
    assert lines == pytest.approx([6.0, 9.0, 15.0, 24.0])


def test_the_factor_is_stored_configuration(
    regions: dict[str, Region], gauge: Device, depth: Rule
) -> None:
    ResponseSetting.objects.update_or_create(
        level=1, defaults={"threshold_factor": 0.5, "interval_factor": 1.0}
    )
    response.set_level(admin(), regions[VILLAGE], 1, "县防指启动四级响应")
    ingest.ingest(gauge, rows(5.0))  # 10 × 0.5 = 5: blue
    assert Alert.objects.get().level == 1
    assert points.devices_now(gauge.point)[0].asked_seconds == gauge.interval_seconds
    response.set_level(admin(), regions[VILLAGE], 2, "升级")  # III halves the interval
    assert points.devices_now(gauge.point)[0].asked_seconds == gauge.interval_seconds // 2


def test_back_to_none_the_thresholds_are_normal_again(
    regions: dict[str, Region], gauge: Device, depth: Rule
) -> None:
    response.set_level(admin(), regions[VILLAGE], 4, "台风")
    response.set_level(admin(), regions[VILLAGE], 0, "台风已过")
    ingest.ingest(gauge, rows(9.0))
    assert not Alert.objects.exists()
    assert response.level_at(VILLAGE) == 0


def test_everyone_on_duty_over_the_region_is_told(
    regions: dict[str, Region],
    make_user: Callable[..., Any],
    notified: list[Message],
    django_capture_on_commit_callbacks: Any,
) -> None:
    now = timezone.now()
    day = (now - timedelta(hours=1), now + timedelta(hours=8))
    village = make_user(Role.DUTY_OFFICER, VILLAGE)
    leader = make_user(Role.STREET_STAFF, STREET)
    off = make_user(Role.DUTY_OFFICER, VILLAGE)
    far = make_user(Role.DUTY_OFFICER, ELSEWHERE)
    roster.add_shift(admin(), regions[VILLAGE], village, *day)
    roster.add_shift(admin(), regions[STREET], leader, *day, tier=2)
    roster.add_shift(
        admin(), regions[VILLAGE], off, now + timedelta(days=1), now + timedelta(days=2)
    )
    roster.add_shift(admin(), regions[ELSEWHERE], far, *day)
    with django_capture_on_commit_callbacks(execute=True):
        response.set_level(admin(), regions[STREET], 3, "台风登陆")
    told = set(InboxMessage.objects.values_list("user__username", flat=True))
    assert told == {village.username, leader.username}
    assert [m.region_code for m in notified] == [STREET]
    assert "Level II" in notified[0].title and notified[0].body == "台风登陆"
    change = ResponseChange.objects.get()
    assert (change.from_level, change.to_level, change.actor) == (0, 3, admin())
    assert AuditEvent.objects.filter(action="flood.response.set").count() == 1
    # The same level again (a retried request) tells nobody twice.
    response.set_level(admin(), regions[STREET], 3, "台风登陆")
    assert InboxMessage.objects.count() == 2 and ResponseChange.objects.count() == 1


def test_only_who_watches_the_region_sets_its_level(
    regions: dict[str, Region], make_user: Callable[..., Any]
) -> None:
    far = make_user(Role.DUTY_OFFICER, ELSEWHERE)
    village = make_user(Role.DUTY_OFFICER, VILLAGE)
    with pytest.raises(Forbidden):
        response.set_level(far, regions[VILLAGE], 4, "x")
    with pytest.raises(Forbidden):
        response.set_level(village, regions[STREET], 4, "x")  # the street is above the village
    response.set_level(village, regions[VILLAGE], 2, "村里启动三级响应")
    assert response.level_at(VILLAGE) == 2 and response.level_at(STREET) == 0


@pytest.mark.parametrize(("level", "reason", "field"), [(9, "x", "level"), (2, " ", "reason")])
def test_bad_input_names_its_field(
    regions: dict[str, Region], level: int, reason: str, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        response.set_level(admin(), regions[VILLAGE], level, reason)
    assert field in refused.value.fields
    assert not ResponseChange.objects.exists()


def test_settings_are_for_platform_administrators(
    regions: dict[str, Region], make_user: Callable[..., Any]
) -> None:
    with pytest.raises(Forbidden):
        response.update_setting(make_user(Role.STREET_STAFF, STREET), 4, 0.5, 0.5)
    with pytest.raises(Invalid) as refused:
        response.update_setting(admin(), 4, 1.5, 0)
    assert set(refused.value.fields) == {"threshold_factor", "interval_factor"}
    assert response.update_setting(admin(), 4, 0.5, 0.5).threshold_factor == 0.5
    assert response.factors(4).threshold == 0.5
