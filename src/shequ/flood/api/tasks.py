"""Tasks from an alert: create (a retried key returns the first), assign, start, close."""

from datetime import datetime
from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Form, Schema, UploadedFile

from shequ.core.inputs import Id
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import user_of
from shequ.flood.api.common import router
from shequ.flood.models import Task
from shequ.flood.services import access, tasks

Kind = Literal["close_road", "patrol", "evacuate", "other"]


NO_PHOTO = File(None)  # the photo is optional


class TaskIn(Schema):
    kind: Kind
    note: str = Field("", max_length=tasks.NOTE_MAX, description="what to do")
    assignee: Id | None = Field(None, description="a user id on the point's duty roster")
    key: str = Field(
        "", max_length=tasks.KEY_MAX, description="the client's key: a retry returns the first"
    )


class TaskAssignIn(Schema):
    assignee: Id | None = Field(..., description="a user id on the roster; null: nobody")


class TaskCancelIn(Schema):
    note: str = Field(..., min_length=1, max_length=tasks.CLOSE_NOTE_MAX, description="why")


def _name(user: object) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]


class TaskOut(Schema):
    id: int
    alert: int
    point: str
    kind: str
    note: str
    state: str
    assignee: int | None
    assignee_name: str | None
    created_at: datetime
    created_by: str | None
    started_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    close_note: str
    photo_url: str | None = Field(..., description="for those who watch the point's region")

    @staticmethod
    def resolve_alert(obj: Task) -> int:
        return obj.alert_id

    @staticmethod
    def resolve_point(obj: Task) -> str:
        return obj.point.code

    @staticmethod
    def resolve_assignee(obj: Task) -> int | None:
        return obj.assignee_id

    @staticmethod
    def resolve_assignee_name(obj: Task) -> str | None:
        return _name(obj.assignee)

    @staticmethod
    def resolve_created_by(obj: Task) -> str | None:
        return _name(obj.created_by)

    @staticmethod
    def resolve_closed_by(obj: Task) -> str | None:
        return _name(obj.closed_by)

    @staticmethod
    def resolve_photo_url(obj: Task) -> str | None:
        return reverse("flood:task-photo", args=[obj.pk]) if obj.photo else None


@router.get(
    "/alerts/{alert_id}/tasks",
    response={200: list[TaskOut], **errors(READ)},
    summary="An alert's tasks, newest first",
)
def list_alert_tasks(request: HttpRequest, alert_id: Id) -> list[Task]:
    alert = access.alert_for(request.user, alert_id)
    return list(tasks.visible_tasks(request.user).filter(alert=alert))


@router.post(
    "/alerts/{alert_id}/tasks",
    response={200: TaskOut, **errors(WRITE)},
    summary="Create a task from an alert (the same key again returns the first task)",
)
def create_task(request: HttpRequest, alert_id: Id, payload: TaskIn) -> Task:
    user = user_of(request)
    alert = access.alert_for(user, alert_id)
    assignee = tasks.person_for(alert.point, payload.assignee)
    return tasks.create(
        user, alert, payload.kind, note=payload.note, assignee=assignee, key=payload.key
    )


@router.get(
    "/tasks",
    response={200: list[TaskOut], **errors(READ)},
    summary="Tasks of the caller's regions (open ones unless state=all)",
)
def list_tasks(request: HttpRequest, state: Literal["open", "all"] = "open") -> list[Task]:
    qs = tasks.open_for(request.user) if state == "open" else tasks.visible_tasks(request.user)
    return list(qs[:500])


@router.get("/tasks/{task_id}", response={200: TaskOut, **errors(READ)}, summary="A task")
def get_task(request: HttpRequest, task_id: Id) -> Task:
    return tasks.task_for(request.user, task_id)


@router.post(
    "/tasks/{task_id}/assign",
    response={200: TaskOut, **errors(WRITE)},
    summary="Assign a task to someone on the point's duty roster",
)
def assign_task(request: HttpRequest, task_id: Id, payload: TaskAssignIn) -> Task:
    user = user_of(request)
    task = tasks.task_for(user, task_id)
    return tasks.assign(user, task, tasks.person_for(task.point, payload.assignee))


@router.post(
    "/tasks/{task_id}/start",
    response={200: TaskOut, **errors(WRITE)},
    summary="Start a task (already in progress: unchanged)",
)
def start_task(request: HttpRequest, task_id: Id) -> Task:
    user = user_of(request)
    return tasks.start(user, tasks.task_for(user, task_id))


@router.post(
    "/tasks/{task_id}/done",
    response={200: TaskOut, **errors(WRITE)},
    summary="Close a task as done: a note and an optional photo (multipart)",
    description="`photo`: a JPEG, PNG or WebP image up to FLOOD_IMAGE_MAX_BYTES (413 past it).",
)
def finish_task(
    request: HttpRequest,
    task_id: Id,
    note: str = Form(..., max_length=tasks.CLOSE_NOTE_MAX),
    photo: UploadedFile | None = NO_PHOTO,
) -> Task:
    user = user_of(request)
    task = tasks.task_for(user, task_id)
    data = photo.read(settings.FLOOD_IMAGE_MAX_BYTES + 1) if photo is not None else None
    return tasks.finish(user, task, note, data)


@router.post(
    "/tasks/{task_id}/cancel",
    response={200: TaskOut, **errors(WRITE)},
    summary="Cancel a task, saying why",
)
def cancel_task(request: HttpRequest, task_id: Id, payload: TaskCancelIn) -> Task:
    user = user_of(request)
    return tasks.cancel(user, tasks.task_for(user, task_id), payload.note)
