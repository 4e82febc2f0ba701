"""Tasks from an alert: created in two taps, assigned to someone on the roster, tracked, closed.

States: open → in progress → done, or cancelled from either open state; each step keeps who
and when (and the audit log has it too). A task is closed with a note (done: what was done;
cancelled: why) and, for done, an optional photo. Retries are harmless: a "create" sent again
with the same ``key`` returns the first task, starting a task already in progress or closing
one already closed the same way returns it unchanged; moving a closed task otherwise is a 409.
Everybody who watches the point's region may create, assign, start and close its tasks: on
the night of a typhoon whoever is at the culvert closes the road.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from shequ.core import clock
from shequ.core.errors import Conflict, Invalid, NotFound
from shequ.core.permissions import Perm, scope
from shequ.core.services.audit import record
from shequ.core.transports.base import Message
from shequ.core.types import Requester, User
from shequ.flood.models import (
    TASK_OPEN_STATES,
    Alert,
    AlertState,
    MonitoringPoint,
    Task,
    TaskKind,
    TaskState,
)
from shequ.flood.services import images, roster
from shequ.flood.services.access import require_point

NOTE_MAX, CLOSE_NOTE_MAX, KEY_MAX = 300, 500, 64


def visible_tasks(user: Requester) -> QuerySet[Task]:
    qs = Task.objects.select_related("point", "point__region", "alert", "assignee")
    return scope(qs, user, Perm.FLOOD, region_field="point__region")


def task_for(user: Requester, task_id: int) -> Task:
    """A task the user may see; another region's task is as missing as an unknown one."""
    task = visible_tasks(user).filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("No such task."), "flood_task_not_found")
    return task


def assignable(point: MonitoringPoint, now: datetime | None = None) -> list[User]:
    """Who a task of the point may be assigned to: on its roster now or later."""
    return roster.on_roster(point, now or clock.now())


def person_for(point: MonitoringPoint, user_id: int | None) -> User | None:
    """The person of ``user_id`` if they are on the point's roster; a 422 naming ``assignee``."""
    if user_id is None:
        return None
    for person in assignable(point):
        if person.pk == user_id:
            return person
    raise Invalid(
        _("assignee: nobody of that id is on this point's duty roster."),
        "flood_task_assignee",
        fields={"assignee": [_("Choose someone on the duty roster.")]},
    )


def _text(value: str, field: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise Invalid(
            _("%(field)s: at most %(n)s characters.") % {"field": field, "n": limit},
            fields={field: [_("At most %(n)s characters.") % {"n": limit}]},
        )
    if required and not value:
        raise Invalid(
            _("%(field)s: say what was done or why.") % {"field": field},
            fields={field: [_("This field is required.")]},
        )
    return value


def create(
    actor: User,
    alert: Alert,
    kind: str,
    *,
    note: str = "",
    assignee: User | None = None,
    key: str = "",
) -> Task:
    """A task for an open alert; the same ``key`` again returns the first task."""
    point = alert.point
    require_point(actor, point)
    if kind not in TaskKind.values:
        raise Invalid(
            _("kind: one of %(kinds)s.") % {"kinds": ", ".join(TaskKind.values)},
            fields={"kind": [_("Choose a kind of task.")]},
        )
    note = _text(note, "note", NOTE_MAX)
    key = _text(key, "key", KEY_MAX)
    if key:
        first = Task.objects.filter(alert=alert, key=key).first()
        if first is not None:
            return first
    if assignee is not None:
        person_for(point, assignee.pk)
    now = clock.now()
    try:
        with transaction.atomic():
            state = Alert.objects.select_for_update().values_list("state", flat=True)
            if state.get(pk=alert.pk) == AlertState.RESOLVED:
                raise Conflict(_("This alert is already over."), "flood_alert_resolved")
            task = Task.objects.create(
                alert=alert, point=point, kind=kind, note=note, assignee=assignee, key=key,
                created_at=now, created_by=actor,
            )  # fmt: skip
            record(
                "flood.task.create", actor=actor, obj=task, region_code=point.region.code,
                kind=kind, alert=alert.pk,
                assignee=assignee.pk if assignee else None,
            )  # fmt: skip
            _tell_assignee(task, actor)
    except IntegrityError:  # the same key, sent twice at once
        return Task.objects.get(alert=alert, key=key)
    return task


def _locked(task: Task) -> Task:
    return Task.objects.select_for_update().select_related("point__region").get(pk=task.pk)


def assign(actor: User, task: Task, assignee: User | None) -> Task:
    """Give an open task to someone on the roster (None: to nobody)."""
    require_point(actor, task.point)
    if assignee is not None:
        person_for(task.point, assignee.pk)
    with transaction.atomic():
        task = _locked(task)
        if not task.is_open:
            raise Conflict(_("This task is already closed."), "flood_task_closed")
        if task.assignee_id == (assignee.pk if assignee else None):
            return task
        task.assignee = assignee
        task.save(update_fields=["assignee"])
        record(
            "flood.task.assign", actor=actor, obj=task, region_code=task.point.region.code,
            assignee=assignee.pk if assignee else None,
        )  # fmt: skip
        _tell_assignee(task, actor)
    return task


def start(actor: User, task: Task) -> Task:
    """Someone is on it; a task already in progress stays as it was."""
    require_point(actor, task.point)
    with transaction.atomic():
        task = _locked(task)
        if task.state == TaskState.IN_PROGRESS:
            return task
        if task.state != TaskState.OPEN:
            raise Conflict(_("This task is already closed."), "flood_task_closed")
        task.state, task.started_at, task.started_by = TaskState.IN_PROGRESS, clock.now(), actor
        if task.assignee_id is None:
            task.assignee = actor
        task.save(update_fields=["state", "started_at", "started_by", "assignee"])
        record("flood.task.start", actor=actor, obj=task, region_code=task.point.region.code)
    return task


def finish(actor: User, task: Task, note: str, photo: bytes | None = None) -> Task:
    """Done, with what was done and perhaps a photo (checked before anything is written)."""
    return _close(actor, task, TaskState.DONE, note, photo)


def cancel(actor: User, task: Task, note: str) -> Task:
    """Not needed after all (the water fell before the patrol left), with why."""
    return _close(actor, task, TaskState.CANCELLED, note, None)


def _close(actor: User, task: Task, to: str, note: str, photo: bytes | None) -> Task:
    require_point(actor, task.point)
    note = _text(note, "note", CLOSE_NOTE_MAX, required=True)
    if photo:
        images.check(photo, "photo")
    with transaction.atomic():
        task = _locked(task)
        if task.state == to:
            return task  # a retry of the same close
        if not task.is_open:
            raise Conflict(_("This task is already closed."), "flood_task_closed")
        stored = images.store(photo, "photo") if photo else None
        try:
            task.state, task.closed_at, task.closed_by = to, clock.now(), actor
            task.close_note = note
            if stored is not None:
                task.photo = stored.name
            task.save(update_fields=["state", "closed_at", "closed_by", "close_note", "photo"])
            record(
                f"flood.task.{to}", actor=actor, obj=task, region_code=task.point.region.code,
                photo=bool(stored),
            )  # fmt: skip
        except BaseException:
            if stored is not None:
                images.remove(stored.name)
            raise
    return task


def for_alerts(alerts: Iterable[Alert]) -> dict[int, list[Task]]:
    """The tasks of each alert, newest first: one query for a whole inbox."""
    by_alert: dict[int, list[Task]] = {}
    ids = [a.pk for a in alerts]
    for task in Task.objects.filter(alert_id__in=ids).select_related("assignee"):
        by_alert.setdefault(task.alert_id, []).append(task)
    return by_alert


def open_for(user: Requester) -> QuerySet[Task]:
    return visible_tasks(user).filter(state__in=TASK_OPEN_STATES)


def _tell_assignee(task: Task, actor: User) -> None:
    if task.assignee is None or task.assignee_id == actor.pk:
        return
    message = Message(
        title=_("Task for you: %(kind)s at %(point)s")
        % {"kind": task.get_kind_display(), "point": task.point.name},
        body=task.note or str(task.get_kind_display()),
        url=reverse("flood:task", args=[task.pk]),
        level="warning",
        region_code=task.point.region.code,
        event_id=f"flood-task-{task.pk}-{task.assignee_id}",
    )
    roster.to_inbox([task.assignee], message)
