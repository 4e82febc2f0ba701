"""Abnormal status → exactly one alert per person and day, sent to the staff at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from access.factories import HOME, add_resident, health_row
from shequ.access.models import AccessEvent, Alert
from shequ.access.services import alerts, decide, log
from shequ.access.services.decide import CheckIn
from shequ.core.errors import Forbidden
from shequ.core.models import AuditEvent, Channel, InboxMessage
from shequ.core.signals import region_message_queued


@pytest.fixture
def sent() -> Any:
    messages: list[Any] = []

    def catch(sender: Any, region_id: int, message: Any, **kwargs: Any) -> None:
        messages.append(message)

    region_message_queued.connect(catch, dispatch_uid="test.access.sent")
    yield messages
    region_message_queued.disconnect(dispatch_uid="test.access.sent")


def _attempt(device: Any, n: int, at: Any = None) -> decide.Decision:
    return decide.check(device, CheckIn(f"e{n}", "face", "V1", at or timezone.now()))


def test_repeated_attempts_raise_exactly_one_alert(
    staff, regions, terminal, load, sent, django_capture_on_commit_callbacks
) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "red")])
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(6):
            assert not _attempt(terminal[0], n).allow
    alert = Alert.objects.get()
    assert alert.attempts == 6 and alert.colour == "red" and alert.status == "open"
    assert len(sent) == 1
    assert sent[0].level == "critical" and "health_red" in sent[0].body
    assert "王*" in sent[0].title and "芳" not in sent[0].title  # the masked name only


def test_the_inbox_channel_delivers_one_message_to_each_staff(
    staff, regions, terminal, load, django_capture_on_commit_callbacks
) -> None:
    from shequ.core.jobs import notify_region_task
    from shequ.core.services.notify import clean_config

    Channel.objects.create(
        region=regions[HOME], kind="inbox", name="inbox", config=clean_config("inbox", {})
    )
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "yellow")])
    caught: list[Any] = []
    region_message_queued.connect(
        lambda sender, region_id, message, **kw: caught.append((region_id, message)),
        dispatch_uid="test.access.inbox",
        weak=False,
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(3):
                _attempt(terminal[0], n)
    finally:
        region_message_queued.disconnect(dispatch_uid="test.access.inbox")
    for region_id, message in caught:
        notify_region_task.call_local(region_id, message)
    assert InboxMessage.objects.filter(user=staff).count() == 1


def test_a_new_day_raises_a_new_alert(staff, regions, terminal, load, sent) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "red")])
    now = timezone.now()
    _attempt(terminal[0], 1, now)
    _attempt(terminal[0], 2, now + timedelta(days=1))
    assert Alert.objects.count() == 2


def test_a_late_upload_counts_but_never_moves_the_last_attempt_back(
    staff, regions, terminal, load, sent
) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "red")])
    now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    _attempt(terminal[0], 1, now)
    _attempt(terminal[0], 2, now + timedelta(hours=1))
    _attempt(terminal[0], 3, now + timedelta(minutes=30))  # decided offline, uploaded later
    alert = Alert.objects.get()
    assert alert.attempts == 3 and alert.last_at == now + timedelta(hours=1)


def test_green_raises_no_alert(staff, regions, terminal, load, sent) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "green")])
    _attempt(terminal[0], 1)
    assert not Alert.objects.exists()


def test_staff_acknowledge_with_a_note_and_the_log_around_is_audited(
    staff, regions, terminal, load
) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "red")])
    _attempt(terminal[0], 1)
    alert = alerts.get_alert(staff, Alert.objects.get().pk)
    alerts.acknowledge(staff, alert, "已电话联系，居家等待")
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == staff
    assert list(alerts.around(alert)) == list(AccessEvent.objects.all())
    log.view(staff)
    assert AuditEvent.objects.filter(action="access.log.view", actor=staff).exists()


def test_staff_of_another_region_cannot_acknowledge(
    staff, regions, terminal, load, make_user
) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "red")])
    _attempt(terminal[0], 1)
    stranger = make_user("community_staff", "990103001001")
    alert = Alert.objects.get()
    with pytest.raises(Forbidden):
        alerts.acknowledge(stranger, alert)
    assert not alerts.alerts_for(stranger).exists()


def test_the_log_is_purged_after_its_retention(staff, regions, terminal, hub, settings) -> None:
    settings.ACCESS_LOG_DAYS = 180
    now = timezone.now()
    decide.check(terminal[0], CheckIn("old", "face", "X", now - timedelta(days=181)))
    decide.check(terminal[0], CheckIn("new", "face", "X", now - timedelta(days=179)))
    assert log.purge() == 1
    assert list(AccessEvent.objects.values_list("event_id", flat=True)) == ["new"]
