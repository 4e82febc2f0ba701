"""Staff: the welfare list (elders not seen at the doors) and recording an outcome."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.access.forms import OutcomeForm
from shequ.access.services import welfare
from shequ.access.views.common import require_staff_somewhere
from shequ.core.errors import ServiceError
from shequ.core.types import user_of
from shequ.web.errors import error_text


@login_required
def welfare_list(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    checks = welfare.checks_for(request.user)[:200]
    return render(request, "access/welfare/list.html", {"checks": checks, "form": OutcomeForm()})


@login_required
@require_POST
def welfare_outcome(request: HttpRequest, check_id: int) -> HttpResponse:
    require_staff_somewhere(request.user)
    check = get_object_or_404(welfare.checks_for(request.user), pk=check_id)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an outcome."))
        return redirect("access:welfare")
    try:
        welfare.record_outcome(
            user_of(request), check, form.cleaned_data["outcome"], form.cleaned_data["note"]
        )
    except ServiceError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Outcome recorded."))
    return redirect("access:welfare")
