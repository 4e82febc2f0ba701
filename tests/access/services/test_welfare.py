"""Welfare check: an elder living alone not seen at any door for 48 hours raises one gentle
alert (not in quiet hours, not after an opt-out); the worker records the outcome; continued
silence escalates."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from access.factories import HOME, add_resident, health_row, id_number
from shequ.access.models import AccessEvent, Credential, WelfareCheck
from shequ.access.services import decide, welfare
from shequ.access.services.decide import CheckIn
from shequ.core.errors import Forbidden, Invalid


def elder_row(seq: int, status: str = "独居") -> dict[str, Any]:
    return {
        "elder_id": f"L{seq}",
        "name": "王芳",
        "id_number": id_number(seq),
        "age": 82,
        "phone": "13800000000",
        "address": "锦绣花园1幢101室",
        "living_status": status,
        "contact_name": "王小明",
        "contact_phone": "13900000000",
        "care_level": "一级",
        "last_visit_on": "2026-09-01",
        "region_code": HOME,
    }


NOON = timezone.make_aware(datetime(2026, 10, 7, 12, 0))  # local, outside the quiet hours


@pytest.fixture
def elder(staff: Any, regions: dict[str, Any], terminal: Any, load: Any) -> Credential:
    """Elder 1 lives alone; 2 is empty-nest (not alone); both have face credentials."""
    load("elderly_living_alone", [elder_row(1), elder_row(2, "空巢")])
    credential = add_resident(staff, regions[HOME], 1, ref="V1")
    add_resident(staff, regions[HOME], 2, ref="V2")
    Credential.objects.update(created=NOON - timedelta(days=30))
    return credential


def _pass(device: Any, ref: str, at: datetime, n: int) -> None:
    decide.check(device, CheckIn(f"p{n}", "face", ref, at))


def test_an_elder_unseen_for_two_days_raises_one_gentle_alert(elder, terminal) -> None:
    _pass(terminal[0], "V1", NOON - timedelta(hours=60), 1)
    _pass(terminal[0], "V2", NOON - timedelta(hours=60), 2)  # not living alone: no check
    with mock.patch.object(welfare, "notify_region_later") as notify:
        assert welfare.sweep(NOON) == 1
        assert welfare.sweep(NOON + timedelta(hours=1)) == 0  # still open: not again
    check = WelfareCheck.objects.get()
    assert check.person == elder.person and check.level == 1 and check.outcome == "open"
    assert check.last_seen_at == NOON - timedelta(hours=60)
    assert notify.call_count == 1 and notify.call_args.args[1].level == "info"


def test_an_elder_seen_recently_raises_nothing(elder, terminal) -> None:
    _pass(terminal[0], "V1", NOON - timedelta(hours=10), 1)
    assert welfare.sweep(NOON) == 0


def test_a_refused_attempt_does_not_count_as_seen(elder, terminal, load) -> None:
    _pass(terminal[0], "V1", NOON - timedelta(hours=60), 1)
    load("health_code_status", [health_row(1, "red")])
    _pass(terminal[0], "V1", NOON - timedelta(hours=1), 2)  # refused at the door
    assert not AccessEvent.objects.get(event_id="p2").allow
    assert welfare.sweep(NOON) == 1


def test_nothing_is_raised_in_the_quiet_hours(elder, terminal, settings) -> None:
    settings.ACCESS_WELFARE_QUIET = "22-7"
    night = timezone.make_aware(datetime(2026, 10, 7, 23, 30))
    assert welfare.quiet(night) and not welfare.quiet(NOON)
    assert welfare.sweep(night) == 0
    assert welfare.sweep(NOON) == 1


def test_the_period_is_configurable(elder, terminal, settings) -> None:
    settings.ACCESS_WELFARE_HOURS = 72
    _pass(terminal[0], "V1", NOON - timedelta(hours=60), 1)
    assert welfare.sweep(NOON + timedelta(hours=8)) == 0  # 68 hours
    assert welfare.sweep(NOON + timedelta(hours=24)) == 1  # 84 hours


def test_an_opt_out_is_respected(elder, terminal, staff) -> None:
    welfare.opt_out(staff, elder.person)
    assert welfare.sweep(NOON) == 0


def test_the_worker_records_the_outcome_and_silence_escalates(elder, terminal, staff) -> None:
    _pass(terminal[0], "V1", NOON - timedelta(hours=60), 1)
    welfare.sweep(NOON)
    check = WelfareCheck.objects.get()
    with pytest.raises(Invalid):
        welfare.record_outcome(staff, check, "open")
    welfare.record_outcome(staff, check, "fine", "电话联系，在女儿家小住")
    check.refresh_from_db()
    check.recorded_at = NOON
    check.save()
    assert welfare.sweep(NOON + timedelta(hours=24)) == 0  # visited: wait another period
    assert welfare.sweep(NOON + timedelta(hours=49)) == 1
    second = WelfareCheck.objects.get(outcome="open")
    assert second.level == 2


def test_staff_elsewhere_cannot_record(elder, terminal, make_user) -> None:
    welfare.sweep(NOON)
    stranger = make_user("community_staff", "990103001001")
    with pytest.raises(Forbidden):
        welfare.record_outcome(stranger, WelfareCheck.objects.get(), "fine")
    assert not welfare.checks_for(stranger).exists()


def test_no_elders_dataset_raises_nothing(staff, regions, terminal, hub) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    assert welfare.sweep(NOON + timedelta(days=40)) == 0
