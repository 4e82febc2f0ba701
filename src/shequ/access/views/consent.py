"""Consent: a resident's own (withdraw); staff see their regions' records and removals."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.access.forms import WithdrawForm
from shequ.access.models import Consent
from shequ.access.services import credentials
from shequ.access.views.common import require_staff_somewhere
from shequ.core.types import user_of


@login_required
def my_consent(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    return render(
        request,
        "access/consent/mine.html",
        {"credentials": credentials.credentials_of(user), "form": WithdrawForm()},
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, credential_id: int) -> HttpResponse:
    user = user_of(request)
    credential = get_object_or_404(credentials.credentials_of(user), pk=credential_id)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm the withdrawal."))
        return redirect("access:my-consent")
    credentials.withdraw(user, credential, Consent.Channel.APP)
    messages.success(
        request, _("Consent withdrawn: the doors will delete your face data and confirm it.")
    )
    return redirect("access:my-consent")


@login_required
def consent_list(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    consents = credentials.consents_in(user_of(request))[:300]
    return render(request, "access/consent/staff.html", {"consents": consents})
