"""Residents' feedback pages: the "Rate this service" form's target, my feedback, the inbox.

The form is a partial (``dashboard/feedback/_rate.html``) that other apps include on the page
where the service was used; it posts here and comes back to that page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core.types import user_of
from shequ.dashboard.models import ServiceKind, TaskStatus
from shequ.dashboard.services import feedback, feedback_staff
from shequ.dashboard.services.feedback_staff import InboxFilter, masked


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@login_required
@require_POST
def give(request: HttpRequest) -> HttpResponse:
    feedback.submit(
        user_of(request),
        service=request.POST.get("service", ""),
        rating=_int(request.POST.get("rating")),
        comment=request.POST.get("comment", ""),
        object_ref=request.POST.get("object_ref", ""),
        region_code=request.POST.get("region", ""),
    )
    messages.success(request, _("Thank you: your feedback went to the community's staff."))
    return _back(request, "dashboard:feedback-mine")


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    context = {"items": feedback.mine(user_of(request))}
    return render(request, "dashboard/feedback/mine.html", context)


@login_required
def rate(request: HttpRequest) -> HttpResponse:
    """Rate any service from the home page (each service's page has the form too)."""
    communities = feedback.communities_of(request.user)
    if not communities:
        raise PermissionDenied(
            _("Only residents and volunteers of a community can rate a service.")
        )
    context = {"services": ServiceKind.choices, "communities": communities}
    return render(request, "dashboard/feedback/rate.html", context)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    which = InboxFilter(
        service=request.GET.get("service", ""),
        unanswered=request.GET.get("unanswered") == "1",
        reported=request.GET.get("reported") == "1",
    )
    items = list(feedback_staff.inbox(user_of(request), which)[:200])
    context = {
        "items": [(f, masked(f.comment)) for f in items],
        "which": which,
        "services": ServiceKind.choices,
    }
    return render(request, "dashboard/feedback/inbox.html", context)


@login_required
@require_POST
def act(request: HttpRequest, feedback_id: int, action: str) -> HttpResponse:
    user = user_of(request)
    if action == "reply":
        feedback_staff.reply(user, feedback_id, request.POST.get("text", ""))
        messages.success(request, _("Reply sent."))
    elif action == "hide":
        feedback_staff.hide(user, feedback_id, request.POST.get("reason", ""))
        messages.success(request, _("Comment hidden."))
    elif action == "unhide":
        feedback_staff.hide(user, feedback_id, "", hidden=False)
        messages.success(request, _("Comment shown again."))
    elif action == "report":
        feedback_staff.report(user, feedback_id, request.POST.get("reason", ""))
        messages.success(request, _("Comment reported to the street."))
    elif action == "task":
        assignee = _int(request.POST.get("assignee")) or None
        feedback_staff.make_task(user, feedback_id, request.POST.get("title", ""), assignee)
        messages.success(request, _("Task created."))
    elif action == "reveal":
        clear = feedback_staff.reveal(user, feedback_id)
        return render(
            request, "dashboard/feedback/reveal.html", {"id": feedback_id, "comment": clear}
        )
    else:
        raise Http404(action)
    return _back(request, "dashboard:feedback-inbox")


@login_required
def tasks(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if request.method == "POST":
        feedback_staff.set_task_status(
            user, _int(request.POST.get("task")), request.POST.get("status", "")
        )
        messages.success(request, _("Task updated."))
        return redirect("dashboard:feedback-tasks")
    found = list(feedback_staff.tasks(user)[:200])
    context = {"tasks": found, "statuses": TaskStatus.choices}
    return render(request, "dashboard/feedback/tasks.html", context)
