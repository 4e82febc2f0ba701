"""Pages. Each view parses input, calls a service, and renders; no domain logic here."""

from __future__ import annotations

import math
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core.models import ApiToken, InboxMessage, Person
from shequ.core.permissions import Perm, perms_of, regions_for, scope
from shequ.core.services import audit, login, people, tokens
from shequ.core.types import user_of
from shequ.web.forms import AuditSearchForm, PersonForm, RevealForm, TokenForm
from shequ.web.modules import modules_for


def signed_in(request: HttpRequest) -> Any:
    """The logged-in user of a login_required view (typed loosely for the ORM)."""
    return request.user


class LoginView(auth_views.LoginView):
    """Django's login, plus a lock-out after repeated failures for a user name."""

    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = request.POST.get("username", "")
        until = login.locked_until(username, audit.client_ip(request))
        if until is not None:
            audit.record("login.locked", request=request, username=username[:150])
            return self._locked(until)
        return super().post(request, *args, **kwargs)

    def _locked(self, until: Any) -> HttpResponse:
        local = timezone.localtime(until)
        # Bound without the password: validating the posted form would check (and hash) the
        # password of a locked name.
        username = self.request.POST.get("username", "")
        form = self.get_form_class()(self.request, data={"username": username})
        form.errors.clear()
        form.add_error(
            None,
            _("Too many failed attempts. Try again after %(time)s.")
            % {"time": local.strftime("%H:%M")},
        )
        response = self.render_to_response(self.get_context_data(form=form))
        response.status_code = 429
        response["Retry-After"] = str(max(1, math.ceil((until - timezone.now()).total_seconds())))
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        username = self.request.POST.get("username", "")
        if username:
            until = login.register_failure(username, audit.client_ip(self.request))
            audit.record("login.failure", request=self.request, username=username[:150])
            if until is not None:
                audit.record("login.lockout", request=self.request, username=username[:150])
                return self._locked(until)
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        login.register_success(form.get_user().get_username())
        audit.record("login.success", request=self.request)
        return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.select_related(  # type: ignore[union-attr]
        "region", "department"
    )
    return render(
        request,
        "web/home.html",
        {
            "modules": modules_for(request.user),
            "memberships": memberships,
        },
    )


@login_required
def people_list(request: HttpRequest) -> HttpResponse:
    if Perm.VIEW_PEOPLE not in perms_of(request.user):
        raise PermissionDenied
    regions = [
        (r.code, f"{r.name} ({r.code})") for r in regions_for(request.user, Perm.MANAGE_PEOPLE)
    ]
    form = PersonForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        region = get_object_or_404(
            regions_for(request.user, Perm.MANAGE_PEOPLE), code=data.pop("region")
        )
        try:
            people.create_person(request.user, region, request=request, **data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The resident was registered."))
            return redirect("people")
    qs = scope(Person.objects.select_related("region"), request.user, Perm.VIEW_PEOPLE)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request, "web/people.html", {"page": page, "form": form, "can_add": bool(regions)}
    )


@login_required
def person_reveal(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(
        scope(Person.objects.select_related("region"), request.user, Perm.VIEW_PEOPLE),
        pk=person_id,
    )
    form = RevealForm(request.POST or None)
    clear = None
    if request.method == "POST" and form.is_valid():
        clear = people.reveal(
            request.user, person, reason=form.cleaned_data["reason"], request=request
        )
    return render(
        request, "web/person_reveal.html", {"person": person, "form": form, "clear": clear}
    )


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if Perm.VIEW_AUDIT not in perms_of(request.user):
        raise PermissionDenied
    form = AuditSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit.search(user_of(request), **{k: v for k, v in filters.items() if v})
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "web/audit.html", {"form": form, "page": page})


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    items = InboxMessage.objects.filter(user=signed_in(request))
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(request, "web/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_read(request: HttpRequest, message_id: int) -> HttpResponse:
    InboxMessage.objects.filter(
        pk=message_id, user=signed_in(request), read_at__isnull=True
    ).update(read_at=timezone.now())
    return redirect("inbox")


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        _token, created = tokens.issue(
            user_of(request), form.cleaned_data["name"], days=form.cleaned_data["days"]
        )
        form = TokenForm()
    items = ApiToken.objects.filter(user=signed_in(request))
    return render(request, "web/tokens.html", {"form": form, "tokens": items, "created": created})


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    get_object_or_404(ApiToken, pk=token_id, user=signed_in(request))
    tokens.revoke(user_of(request), token_id)
    messages.success(request, _("The token was revoked."))
    return redirect("tokens")
