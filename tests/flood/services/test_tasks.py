"""Tasks from an alert: created once per key, assigned on the roster, started, closed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from flood.factories import STREET, VILLAGE, admin, open_alert, png
from shequ.core.errors import Conflict, Forbidden, Invalid, ServiceError
from shequ.core.models import AuditEvent, InboxMessage, Region, Role
from shequ.flood.models import Alert, Device, Task
from shequ.flood.services import alerts, images, roster, tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(gauge: Device) -> Alert:
    return open_alert(gauge)


@pytest.fixture
def people(regions: dict[str, Region], make_user: Callable[..., Any]) -> dict[str, Any]:
    now = timezone.now()
    made = {
        "clerk": make_user(Role.DUTY_OFFICER, VILLAGE),
        "leader": make_user(Role.STREET_STAFF, STREET),
        "off_roster": make_user(Role.DUTY_OFFICER, VILLAGE),
        "past": make_user(Role.DUTY_OFFICER, VILLAGE),
        "far": make_user(Role.DUTY_OFFICER, "990103001001"),
    }
    roster.add_shift(admin(), regions[VILLAGE], made["clerk"], now, now + timedelta(hours=8))
    roster.add_shift(
        admin(), regions[STREET], made["leader"], now + timedelta(hours=8),
        now + timedelta(hours=16), tier=2,
    )  # fmt: skip
    roster.add_shift(
        admin(), regions[VILLAGE], made["past"], now - timedelta(days=2), now - timedelta(days=1)
    )
    # On a shift of the village, but without the flood permission there: never assignable.
    roster.add_shift(admin(), regions[VILLAGE], made["far"], now, now + timedelta(hours=8))
    return made


def test_a_task_goes_from_open_to_done_with_who_and_when(
    alert: Alert, people: dict[str, Any]
) -> None:
    clerk = people["clerk"]
    task = tasks.create(admin(), alert, "close_road", note="两头封路", assignee=clerk)
    assert (task.state, task.assignee, task.created_by) == ("open", clerk, admin())
    assert InboxMessage.objects.filter(user=clerk, url=f"/flood/tasks/{task.pk}/").count() == 1
    task = tasks.start(clerk, task)
    assert task.state == "in_progress" and task.started_by == clerk and task.started_at
    task = tasks.finish(clerk, task, "已封闭", png())
    task.refresh_from_db()
    assert task.state == "done" and task.closed_by == clerk and task.close_note == "已封闭"
    path = images.path_of(task.photo)
    assert path is not None and path.read_bytes() == png()
    actions = set(AuditEvent.objects.filter(action__startswith="flood.task").values_list(
        "action", flat=True
    ))  # fmt: skip
    assert actions == {"flood.task.create", "flood.task.start", "flood.task.done"}


def test_the_same_key_twice_is_one_task(alert: Alert) -> None:
    first = tasks.create(admin(), alert, "patrol", key="tap-1")
    again = tasks.create(admin(), alert, "patrol", key="tap-1")
    other = tasks.create(admin(), alert, "patrol", key="tap-2")
    assert first.pk == again.pk != other.pk
    assert Task.objects.count() == 2


def test_assignable_people_are_on_the_roster_now_or_later(
    alert: Alert, people: dict[str, Any]
) -> None:
    assert set(tasks.assignable(alert.point)) == {people["clerk"], people["leader"]}
    for name in ("off_roster", "past", "far"):
        with pytest.raises(Invalid) as refused:
            tasks.create(admin(), alert, "patrol", assignee=people[name])
        assert "assignee" in refused.value.fields
    assert not Task.objects.exists()
    task = tasks.create(admin(), alert, "patrol")
    assert tasks.assign(admin(), task, people["leader"]).assignee == people["leader"]
    with pytest.raises(Invalid):
        tasks.assign(admin(), task, people["past"])


@pytest.mark.parametrize(
    ("kind", "note", "field"),
    [("swim", "", "kind"), ("patrol", "x" * 301, "note")],
)
def test_bad_input_names_its_field(alert: Alert, kind: str, note: str, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        tasks.create(admin(), alert, kind, note=note)
    assert field in refused.value.fields
    assert not Task.objects.exists()


def test_a_resolved_alert_takes_no_new_task(alert: Alert) -> None:
    alerts.close(admin(), alert)
    with pytest.raises(Conflict):
        tasks.create(admin(), alert, "patrol")


def test_another_regions_staff_may_not_touch_a_task(alert: Alert, people: dict[str, Any]) -> None:
    task = tasks.create(admin(), alert, "patrol")
    with pytest.raises(Forbidden):
        tasks.create(people["far"], alert, "patrol")
    for move in (
        lambda: tasks.start(people["far"], task),
        lambda: tasks.finish(people["far"], task, "done"),
        lambda: tasks.cancel(people["far"], task, "no"),
    ):
        with pytest.raises(Forbidden):
            move()
    task.refresh_from_db()
    assert task.state == "open"


def test_closing_needs_a_note_and_retries_are_harmless(alert: Alert) -> None:
    task = tasks.create(admin(), alert, "evacuate")
    with pytest.raises(Invalid) as refused:
        tasks.finish(admin(), task, "  ")
    assert "note" in refused.value.fields
    done = tasks.finish(admin(), task, "转移 12 人")
    again = tasks.finish(admin(), task, "转移 12 人")
    assert again.closed_at == done.closed_at
    with pytest.raises(Conflict):
        tasks.cancel(admin(), task, "不需要")
    with pytest.raises(Conflict):
        tasks.start(admin(), task)
    started = tasks.start(admin(), tasks.create(admin(), alert, "patrol"))
    assert tasks.start(admin(), started).started_at == started.started_at
    cancelled = tasks.cancel(admin(), started, "水已退")
    assert cancelled.state == "cancelled" and cancelled.close_note == "水已退"


def test_a_bad_photo_writes_nothing(alert: Alert, settings: Any) -> None:
    task = tasks.create(admin(), alert, "close_road")
    with pytest.raises(Invalid) as refused:
        tasks.finish(admin(), task, "封路", b"<html>not an image</html>")
    assert "photo" in refused.value.fields
    settings.FLOOD_IMAGE_MAX_BYTES = 50
    with pytest.raises(ServiceError) as too_big:
        tasks.finish(admin(), task, "封路", png(40, 40))
    assert too_big.value.status == 413 and "photo" in too_big.value.fields
    task.refresh_from_db()
    assert task.state == "open" and task.photo == ""
    assert not list(images.root().rglob("*.*")) if images.root().exists() else True


def test_a_failed_close_leaves_no_image_behind(
    alert: Alert, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = tasks.create(admin(), alert, "close_road")

    def boom(*args: Any, **kwargs: Any) -> None:
        raise ValidationError("audit down")

    monkeypatch.setattr(tasks, "record", boom)
    with pytest.raises(ValidationError):
        tasks.finish(admin(), task, "封路", png())
    task.refresh_from_db()
    assert task.state == "open" and task.photo == ""
    assert [p for p in images.root().rglob("*") if p.is_file()] == []
