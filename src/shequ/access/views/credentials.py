"""Staff: enrol a resident's face reference or card with its consent; the credentials, masked."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shequ.access.forms import EnrolForm
from shequ.access.services import credentials
from shequ.access.views.common import require_staff_somewhere
from shequ.core.errors import ServiceError
from shequ.core.permissions import Perm, can, regions_for
from shequ.core.services.people import find_by_id_number
from shequ.core.types import user_of
from shequ.web.errors import put_errors


@login_required
def credential_list(request: HttpRequest) -> HttpResponse:
    require_staff_somewhere(request.user)
    user = user_of(request)
    regions = regions_for(user, Perm.GATE).filter(level__in=["community", "village"])
    choices = [(r.code, r.name) for r in regions]
    form = EnrolForm(request.POST or None, regions=choices, initial={"channel": "paper"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        region = regions.get(code=data["region"])
        try:
            person = find_by_id_number(region, data["id_number"])
        except ValidationError as exc:
            form.add_error("id_number", exc.messages)
            person = None
        account = None
        if data["username"]:
            account = get_user_model().objects.filter(username=data["username"]).first()
            if account is None:
                form.add_error("username", _("No such account."))
        if person is None and "id_number" not in form.errors:
            form.add_error("id_number", _("No resident with this ID number in this community."))
        if not form.errors and person is not None:
            try:
                credential, created = credentials.enrol_once(
                    user,
                    person,
                    kind=data["kind"],
                    ref=data["ref"],
                    purpose=data["purpose"],
                    channel=data["channel"],
                    given_on=data["given_on"],
                    user=account,
                )
            except ServiceError as exc:
                put_errors(form, exc)
            else:
                if created:
                    messages.success(request, _("Enrolled: %(ref)s.") % {"ref": credential})
                else:
                    messages.info(request, _("Already enrolled: %(ref)s.") % {"ref": credential})
                return redirect("access:credentials")
    rows = list(credentials.credentials_in(user).order_by("-id")[:200])
    revealable = {r.region_id for r in rows if can(user, Perm.REVEAL_PII, r.region)}
    return render(
        request,
        "access/credentials/list.html",
        {"form": form, "credentials": rows, "revealable": revealable},
    )
