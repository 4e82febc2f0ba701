"""Alerts as readings arrive: fire, escalate (one alert, its history), acknowledge and lapse,
resolve with hysteresis, rate of rise, rainfall, no data; the database allows one open alert."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from flood.factories import T0, add_gauge, admin, rows
from shequ.core.errors import Conflict
from shequ.core.transports.base import Message
from shequ.flood.models import (
    Alert,
    AlertEventKind,
    AlertState,
    Device,
    MonitoringPoint,
    Rule,
)
from shequ.flood.services import alerts, devices, ingest, sweeps

pytestmark = pytest.mark.django_db


def kinds(alert: Alert) -> list[tuple[str, int]]:
    return list(alert.events.values_list("kind", "level"))


def test_a_reading_over_a_threshold_fires_at_once_and_notifies(
    gauge: Device, depth: Rule, notified: list[Message], django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        ingest.ingest(gauge, rows(5, 12))
    alert = Alert.objects.get()
    assert (alert.level, alert.state, alert.value) == (1, "firing", 12)
    assert [m.title for m in notified] == ["铁路涵洞: Blue (general) warning (Level threshold)"]
    assert notified[0].url == "/flood/points/culvert/"


def test_a_worse_level_escalates_the_same_alert_and_keeps_its_history(
    gauge: Device, depth: Rule
) -> None:
    ingest.ingest(gauge, rows(12, 16))
    ingest.ingest(gauge, rows(26, 41, start=T0 + timedelta(minutes=5)))
    alert = Alert.objects.get()
    assert alert.level == 4
    assert kinds(alert) == [("fired", 1), ("escalated", 2), ("escalated", 3), ("escalated", 4)]


def test_an_acknowledgement_with_a_comment_lapses_when_the_level_worsens(
    gauge: Device, depth: Rule
) -> None:
    ingest.ingest(gauge, rows(16))
    alert = alerts.acknowledge(admin(), Alert.objects.get(), "巡查员已出发")
    assert (alert.state, alert.ack_comment) == ("acknowledged", "巡查员已出发")
    ingest.ingest(gauge, rows(17, start=T0 + timedelta(minutes=1)))  # same level: still acked
    assert Alert.objects.get().state == "acknowledged"
    ingest.ingest(gauge, rows(30, start=T0 + timedelta(minutes=2)))
    alert = Alert.objects.get()
    assert (alert.state, alert.level, alert.acknowledged_at) == ("firing", 3, None)
    assert ("ack_lapsed", 2) in kinds(alert)


def test_a_resolved_alert_cannot_be_acknowledged(gauge: Device, depth: Rule) -> None:
    ingest.ingest(gauge, rows(16, 1))
    with pytest.raises(Conflict):
        alerts.acknowledge(admin(), Alert.objects.get(), "late")


def test_it_resolves_below_the_hysteresis_margin_held_long_enough(gauge: Device) -> None:
    from flood.factories import threshold_rule

    threshold_rule(gauge, clear_margin=2, clear_seconds=120)
    ingest.ingest(gauge, rows(12, 9, 7, 7))  # 7 held 1 min: not yet
    assert Alert.objects.get().state == "firing"
    ingest.ingest(gauge, rows(7, start=T0 + timedelta(minutes=4)))
    alert = Alert.objects.get()
    assert alert.state == "resolved"
    assert kinds(alert)[-1] == ("resolved", 1)
    ingest.ingest(gauge, rows(13, start=T0 + timedelta(minutes=5)))  # a new alert, a new row
    assert Alert.objects.filter(state="firing").count() == 1
    assert Alert.objects.count() == 2


def test_a_pending_period_waits_before_firing(gauge: Device) -> None:
    from flood.factories import threshold_rule

    threshold_rule(gauge, pending_seconds=120)
    ingest.ingest(gauge, rows(30, 30))
    assert not Alert.objects.exists()
    ingest.ingest(gauge, rows(30, start=T0 + timedelta(minutes=2)))
    assert Alert.objects.get().level == 3


def test_a_late_reading_is_stored_but_does_not_reopen_an_alert(gauge: Device, depth: Rule) -> None:
    ingest.ingest(gauge, rows(5, start=T0 + timedelta(hours=1)))
    ingest.ingest(gauge, rows(50, start=T0))
    assert not Alert.objects.exists()


def test_rate_of_rise_over_ten_minutes(gauge: Device) -> None:
    devices.add_rule(admin(), gauge, "rate_of_rise", blue=5, yellow=10, window_minutes=10)
    ingest.ingest(gauge, rows(0, 2, 4, 6, 8, 11, step=120))
    alert = Alert.objects.get()
    assert alert.rule.kind == "rate_of_rise"
    assert alert.level == 2  # 11 cm over the 10 minutes from 0


def test_rainfall_accumulated_over_its_window(culvert: MonitoringPoint) -> None:
    rain, _token = add_gauge(culvert, "R01", "rain")
    devices.add_rule(admin(), rain, "rainfall", blue=20, yellow=50, window_minutes=60)
    ingest.ingest(rain, rows(*[5.0] * 6, step=600))  # 30 mm in the hour
    assert Alert.objects.get().level == 1
    ingest.ingest(rain, rows(*[15.0] * 3, start=T0 + timedelta(hours=1), step=600))
    assert Alert.objects.get().level == 2
    # The card shows no "latest reading" beside a sum: 15 mm next to 50 mm would read as if
    # the rain had eased.
    (shown,) = alerts.with_latest([Alert.objects.get()])
    assert shown.value == 50 and shown.latest is None  # type: ignore[attr-defined]


def test_a_silent_device_opens_a_no_data_alert_and_a_reading_resolves_it(
    gauge: Device,
) -> None:
    rule = devices.add_rule(admin(), gauge, "no_data")
    ingest.ingest(gauge, rows(1, start=T0))
    reading_received = gauge.latest.received_at
    assert sweeps.sweep_no_data(reading_received + timedelta(seconds=179)) == 0
    assert sweeps.sweep_no_data(reading_received + timedelta(seconds=181)) == 1
    assert sweeps.sweep_no_data(reading_received + timedelta(seconds=300)) == 0  # one, not two
    alert = Alert.objects.get(rule=rule)
    assert (alert.state, alert.level) == ("firing", 2)
    ingest.ingest(gauge, rows(1, start=T0 + timedelta(minutes=10)))
    alert.refresh_from_db()
    assert alert.state == "resolved"


def test_the_database_refuses_a_second_open_alert_of_a_rule(gauge: Device, depth: Rule) -> None:
    ingest.ingest(gauge, rows(12))
    first = Alert.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(
            point=first.point,
            rule=depth,
            level=3,
            state=AlertState.ACKNOWLEDGED,
            opened_at=T0,
            changed_at=T0,
        )
    first.state = AlertState.RESOLVED
    first.save()
    Alert.objects.create(
        point=first.point, rule=depth, level=1, state="firing", opened_at=T0, changed_at=T0
    )


def test_an_alert_the_lock_missed_becomes_an_escalation_not_a_second_alert(
    gauge: Device, depth: Rule
) -> None:
    ingest.ingest(gauge, rows(12))
    alerts.open_alert(depth, 3, T0 + timedelta(minutes=1), 30.0)  # as if a racing evaluation
    alert = Alert.objects.get()
    assert alert.level == 3
    assert kinds(alert) == [("fired", 1), (AlertEventKind.ESCALATED, 3)]


def camera_rule(point: MonitoringPoint) -> tuple[Device, Rule]:
    camera, _token = add_gauge(point, "C01", "camera")
    rule = devices.add_rule(
        admin(), camera, "camera", event_types=["vehicle_trapped"], level=4, clear_seconds=600
    )
    return camera, rule


def event(
    event_id: str, kind: str = "vehicle_trapped", confidence: float = 0.9, minute: int = 0
) -> Any:
    from shequ.flood.services.cameras import EventIn

    return EventIn(event_id, T0 + timedelta(minutes=minute), kind, confidence)


def test_a_watched_camera_event_opens_one_alert_at_its_level(culvert: MonitoringPoint) -> None:
    from shequ.flood.services import cameras

    camera, rule = camera_rule(culvert)
    cameras.record_event(camera, event("e0", "water_on_road"))
    cameras.record_event(camera, event("e1", confidence=0.5))
    assert not Alert.objects.exists()  # another type; too unsure
    cameras.record_event(camera, event("e2", minute=1))
    cameras.record_event(camera, event("e3", minute=2))
    cameras.record_event(camera, event("e2", minute=1))  # the vendor's retry
    alert = Alert.objects.get()
    assert (alert.rule, alert.level, alert.value) == (rule, 4, 0.9)
    assert sweeps.sweep_cameras(T0 + timedelta(minutes=11)) == 0  # 9 minutes after e3
    assert sweeps.sweep_cameras(T0 + timedelta(minutes=13)) == 1
    alert.refresh_from_db()
    assert alert.state == "resolved"


def test_a_duty_officer_can_declare_an_alert_over(gauge: Device, depth: Rule) -> None:
    ingest.ingest(gauge, rows(16))
    alert = alerts.close(admin(), Alert.objects.get(), "车辆已拖离")
    assert alert.state == "resolved"
    assert alert.events.last().comment == "车辆已拖离"  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        alerts.close(admin(), alert)
    ingest.ingest(gauge, rows(16, start=T0 + timedelta(minutes=1)))  # still high: a new alert
    assert Alert.objects.filter(state="firing").count() == 1


def test_an_unacknowledged_alert_is_told_again_every_quarter_hour(
    gauge: Device, depth: Rule, notified: list[Message], django_capture_on_commit_callbacks: Any
) -> None:
    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=True):
        ingest.ingest(gauge, rows(30))
        now = timezone.now()
        assert sweeps.remind(now + timedelta(minutes=14)) == 0
        assert sweeps.remind(now + timedelta(minutes=16)) == 1
        assert sweeps.remind(now + timedelta(minutes=17)) == 0  # told a minute ago
    assert notified[-1].title.endswith("still unacknowledged (Level threshold)")
    alerts.acknowledge(admin(), Alert.objects.get())
    assert sweeps.remind(now + timedelta(hours=2)) == 0


def test_a_reminder_another_worker_took_meanwhile_is_not_sent_twice(
    gauge: Device,
    depth: Rule,
    notified: list[Message],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.utils import timezone

    from shequ.flood.services import roster

    with django_capture_on_commit_callbacks(execute=True):
        ingest.ingest(gauge, rows(30))
    later = timezone.now() + timedelta(minutes=16)
    told = len(notified)
    silenced = roster.silenced

    def other_worker_reminds_first(*args: Any) -> bool:
        # Between this sweep's read and its claim, another worker's sweep sends the reminder.
        Alert.objects.update(notified_at=later)
        return silenced(*args)

    monkeypatch.setattr(roster, "silenced", other_worker_reminds_first)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeps.remind(later) == 0
    assert len(notified) == told
