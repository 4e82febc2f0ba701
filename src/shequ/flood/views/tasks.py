"""Tasks from an alert: created from the inbox in two taps, listed, assigned, closed.

The inbox's "Create a task" opens the kinds; the kind's button creates the task (its hidden
key makes a double tap one task). A task's page starts it, assigns it to someone on the roster,
and closes it with a note and a photo taken with the phone's camera.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core.errors import ServiceError
from shequ.core.services.audit import record
from shequ.core.types import user_of
from shequ.flood.forms import AssignForm, CancelForm, FinishForm, TaskCreateForm
from shequ.flood.models import MonitoringPoint
from shequ.flood.services import access, images, tasks
from shequ.flood.views.common import watcher_required
from shequ.web.errors import error_text, put_errors


def new_key() -> str:
    return secrets.token_urlsafe(12)


@require_POST
@watcher_required
def create(request: HttpRequest, alert_id: int) -> HttpResponse:
    user = user_of(request)
    alert = access.alert_for(user, alert_id)
    form = TaskCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    else:
        data = form.cleaned_data
        try:
            task = tasks.create(user, alert, data["kind"], note=data["note"], key=data["key"])
        except (ServiceError, ValidationError) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request, _("Task created: %(kind)s.") % {"kind": task.get_kind_display()}
            )
    back = request.POST.get("back") == "point"
    return redirect("flood:point", alert.point.code) if back else redirect("flood:alerts")


@watcher_required
def task_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    show_all = request.GET.get("state") == "all"
    qs = tasks.visible_tasks(user) if show_all else tasks.open_for(user)
    rows = list(qs[:200])
    rows.sort(key=lambda t: (t.assignee_id != user.pk, not t.is_open))  # mine first
    return render(request, "flood/tasks/list.html", {"tasks": rows, "show_all": show_all})


@watcher_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    user = user_of(request)
    task = tasks.task_for(user, task_id)
    people = tasks.assignable(task.point)
    assign_form = AssignForm(people=people, initial={"assignee": task.assignee_id})
    finish_form, cancel_form = FinishForm(), CancelForm(prefix="cancel")
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "assign":
                assign_form = AssignForm(request.POST, people=people)
                if assign_form.is_valid():
                    who = tasks.person_for(task.point, assign_form.cleaned_data["assignee"])
                    tasks.assign(user, task, who)
                    messages.success(request, _("Task assigned."))
                    return redirect("flood:task", task.pk)
            elif action == "start":
                tasks.start(user, task)
                messages.success(request, _("Task started."))
                return redirect("flood:task", task.pk)
            elif action == "done":
                finish_form = FinishForm(request.POST, request.FILES)
                if finish_form.is_valid():
                    upload = finish_form.cleaned_data["photo"]
                    limit = settings.FLOOD_IMAGE_MAX_BYTES
                    data = upload.read(limit + 1) if upload else None
                    tasks.finish(user, task, finish_form.cleaned_data["note"], data)
                    messages.success(request, _("Task done."))
                    return redirect("flood:task", task.pk)
            elif action == "cancel":
                cancel_form = CancelForm(request.POST, prefix="cancel")
                if cancel_form.is_valid():
                    tasks.cancel(user, task, cancel_form.cleaned_data["note"])
                    messages.success(request, _("Task cancelled."))
                    return redirect("flood:task", task.pk)
            else:
                messages.error(request, _("Unknown action."))
        except (ServiceError, ValidationError) as exc:
            form = {"assign": assign_form, "done": finish_form, "cancel": cancel_form}.get(action)
            if form is None:
                messages.error(request, error_text(exc))
            else:
                put_errors(form, exc)
            status = getattr(exc, "status", 422)
        else:
            status = 422
        task = tasks.task_for(user, task_id)
    return render(
        request,
        "flood/tasks/detail.html",
        {
            "task": task,
            "assign_form": assign_form,
            "finish_form": finish_form,
            "cancel_form": cancel_form,
            "people": people,
        },
        status=status,
    )


def serve_image(request: HttpRequest, point: MonitoringPoint, name: str) -> FileResponse:
    """An image of the point (the caller checked the user may see it): audited, private."""
    path = images.path_of(name)
    if path is None:
        raise Http404(_("No photo."))
    record(
        "flood.image.view", request=request, obj=point, region_code=point.region.code,
        image=name,
    )  # fmt: skip
    response = FileResponse(path.open("rb"), content_type=images.content_type(name))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@watcher_required
def task_photo(request: HttpRequest, task_id: int) -> FileResponse:
    """A task's photo, for who watches the point's region only; no shared cache keeps it."""
    task = tasks.task_for(request.user, task_id)
    return serve_image(request, task.point, task.photo)
