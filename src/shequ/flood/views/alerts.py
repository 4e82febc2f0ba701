"""The duty officer's alert inbox: open alerts worst first; acknowledge with a comment."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core.errors import ServiceError
from shequ.core.types import user_of
from shequ.flood.forms import AcknowledgeForm
from shequ.flood.models import OPEN_STATES, Alert, TaskKind
from shequ.flood.services import access, alerts, response, tasks
from shequ.flood.views.common import watcher_required
from shequ.web.errors import error_text


@watcher_required
def inbox(request: HttpRequest) -> HttpResponse:
    open_alerts = list(access.visible_alerts(request.user).filter(state__in=OPEN_STATES))
    return render(
        request,
        "flood/alerts/inbox.html",
        {
            "alerts": with_tasks(open_alerts),
            "ack_form": AcknowledgeForm(),
            "responses": response.active_for(request.user),
            **task_buttons(),
        },
    )


def with_tasks(alerts_: list[Alert]) -> list[Alert]:
    """Each alert with its tasks (``task_list``) and its device's latest reading (``latest``),
    each read in one query: what an alert card shows."""
    alerts.with_latest(alerts_)
    by_alert = tasks.for_alerts(alerts_)
    for alert in alerts_:
        alert.task_list = by_alert.get(alert.pk, [])  # type: ignore[attr-defined]
    return alerts_


def task_buttons() -> dict[str, Any]:
    """What the "create a task" buttons need: the kinds, and a key for this page's taps."""
    return {"task_kinds": TaskKind.choices, "task_key": secrets.token_urlsafe(12)}


@require_POST
@watcher_required
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Acknowledge (the default button) or, with ``resolve``, declare the alert over."""
    user = user_of(request)
    alert = access.alert_for(user, alert_id)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        comment = form.cleaned_data["comment"]
        try:
            if "resolve" in request.POST:
                alerts.close(user, alert, comment)
                messages.success(request, _("Alert resolved."))
            else:
                alerts.acknowledge(user, alert, comment)
                messages.success(request, _("Alert acknowledged."))
        except ServiceError as exc:
            messages.error(request, error_text(exc))
    back = request.POST.get("back") == "point"
    return redirect("flood:point", alert.point.code) if back else redirect("flood:alerts")
