"""Welfare: staff list elders not seen at the doors and record outcomes and opt-outs;
a resident opts out of (or back into) being checked on."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.access.forms import OptOutForm, OutcomeForm
from shequ.access.services import welfare
from shequ.access.views.common import require_staff_somewhere
from shequ.core.errors import ServiceError
from shequ.core.permissions import Perm, regions_for
from shequ.core.services.people import find_by_id_number
from shequ.core.types import user_of
from shequ.web.errors import error_text, put_errors


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


@login_required
def my_welfare(request: HttpRequest) -> HttpResponse:
    """A resident's own choice: watched for absence (the default) or not."""
    user = user_of(request)
    people = welfare.people_of(user)
    if request.method == "POST":
        person = next((p for p in people if str(p.pk) == request.POST.get("person")), None)
        if person is None:
            raise Http404
        choice = request.POST.get("choice")
        if choice not in ("in", "out"):
            return HttpResponseBadRequest(_("choice: in or out."))
        if choice == "out":
            welfare.opt_out(user, person)
            messages.success(request, _("You will no longer be visited when unseen at the doors."))
        else:
            welfare.opt_in(user, person)
            messages.success(
                request, _("The community will check on you when unseen at the doors.")
            )
        return redirect("access:my-welfare")
    rows = [(p, welfare.opted_out(p)) for p in people]
    return render(request, "access/welfare/mine.html", {"rows": rows})


@login_required
def opt_outs(request: HttpRequest) -> HttpResponse:
    """Staff: who opted out, opt back in, and record an opt-out for a resident (audited)."""
    require_staff_somewhere(request.user)
    user = user_of(request)
    regions = regions_for(user, Perm.GATE).filter(level__in=["community", "village"])
    form = OptOutForm(request.POST or None, regions=[(r.code, r.name) for r in regions])
    if request.method == "POST" and form.is_valid():
        region = regions.get(code=form.cleaned_data["region"])
        try:
            person = find_by_id_number(region, form.cleaned_data["id_number"])
        except ValidationError as exc:
            form.add_error("id_number", exc.messages)
        else:
            if person is None:
                form.add_error("id_number", _("No resident with this ID number in this community."))
            else:
                try:
                    welfare.opt_out(user, person)
                except ServiceError as exc:
                    put_errors(form, exc)
                else:
                    messages.success(request, _("Opt-out recorded."))
                    return redirect("access:opt-outs")
    return render(
        request,
        "access/welfare/opt_outs.html",
        {"form": form, "opt_outs": welfare.opt_outs_for(user)[:300]},
    )


@login_required
@require_POST
def opt_back_in(request: HttpRequest, person_id: int) -> HttpResponse:
    require_staff_somewhere(request.user)
    opted = get_object_or_404(welfare.opt_outs_for(user_of(request)), person_id=person_id)
    welfare.opt_in(user_of(request), opted.person)
    messages.success(request, _("Back in the welfare check."))
    return redirect("access:opt-outs")
