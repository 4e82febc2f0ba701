"""Staff: the alert inbox, one alert with the access log around it, acknowledge with a note."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shequ.access.forms import NoteForm
from shequ.access.models import Alert
from shequ.access.services import alerts, log
from shequ.access.views.common import require_staff_somewhere
from shequ.core.errors import ServiceError
from shequ.core.permissions import Perm, can
from shequ.core.types import user_of
from shequ.web.errors import put_errors


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    status = request.GET.get("status", "open")
    qs = alerts.alerts_for(request.user)
    if status in Alert.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "access/alerts/list.html",
        {"alerts": list(qs[:200]), "status": status, "statuses": Alert.Status.choices},
    )


@login_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    require_staff_somewhere(request.user)
    user = user_of(request)
    alert = alerts.get_alert(user, alert_id)
    form = NoteForm(request.POST or None, initial={"note": alert.note})
    if request.method == "POST" and form.is_valid():
        try:
            alerts.acknowledge(user, alert, form.cleaned_data["note"])
        except ServiceError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Alert acknowledged."))
            return redirect("access:alert", alert_id=alert.pk)
    events = list(alerts.around(alert))
    log.audit_view(user, "alert", alert, len(events))
    return render(
        request,
        "access/alerts/detail.html",
        {
            "alert": alert,
            "events": events,
            "form": form,
            "may_reveal": can(user, Perm.REVEAL_PII, alert.region),
        },
    )
