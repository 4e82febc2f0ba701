"""Reveal a masked plate once (operators and staff), with a reason; every reveal is audited."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from shequ.core.types import user_of
from shequ.parking.services import reveal as reveal_svc
from shequ.parking.views.common import next_url, put_errors
from shequ.web.forms import RevealForm


@login_required
def reveal_plate(request: HttpRequest, kind: str, obj_id: int) -> HttpResponse:
    """GET asks for a reason; POST shows the clear plate on this response only."""
    found = reveal_svc.target(kind, obj_id) if kind in reveal_svc.KINDS else None
    if found is None:
        raise Http404(_("Nothing to reveal here."))
    if not reveal_svc.can_reveal(request.user, found.garage):
        raise PermissionDenied(_("You may not see this plate in clear."))
    form = RevealForm(
        request.POST or None,
        label=_("Why do you need the clear plate?"),
        placeholder=_("e.g. resident disputes a violation"),
    )
    clear = None
    if request.method == "POST" and form.is_valid():
        try:
            clear = reveal_svc.reveal(
                user_of(request), found, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as exc:
            put_errors(form, exc)
    back = next_url(request, reverse("parking:operator-garage", args=[found.garage.pk]))
    response = render(
        request,
        "parking/operator/reveal.html",
        {"found": found, "form": form, "clear": clear, "back": back},
    )
    response["Cache-Control"] = "no-store"  # the clear plate is not kept by any cache
    return response
