"""What the parking pages share: service errors on forms, the resident and staff gates."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from shequ.core.permissions import Perm, has_global, prefixes_for
from shequ.parking.services import residents
from shequ.parking.services.access import STAFF_ROLES
from shequ.parking.services.errors import Conflict, Throttled

View = Callable[..., HttpResponse]


def put_errors(form: Form, exc: ValidationError) -> None:
    """A service's errors next to the form's fields (the rest above the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def error_text(exc: Exception) -> str:
    """What a service's refusal says, for a message above the page."""
    if isinstance(exc, Conflict | Throttled):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def login_url(next_url: str, estate: str = "") -> str:
    query = {"next": next_url} | ({"estate": estate} if estate else {})
    return reverse("parking:login") + "?" + urlencode(query)


def resident_required(view: View) -> View:
    """Residents log in with their phone; anyone else is sent to the phone login."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if residents.account_of(request.user) is None:
            return redirect(login_url(request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapped


def next_url(request: HttpRequest, default: str) -> str:
    """The ``next`` page asked for, if it is on this site; else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def require_staff_somewhere(user: Any) -> None:
    """Staff of some estate, or a platform administrator, or refused."""
    if not (has_global(user, Perm.PARKING) or prefixes_for(user, Perm.PARKING, STAFF_ROLES)):
        raise PermissionDenied(_("Only community staff may do this."))
