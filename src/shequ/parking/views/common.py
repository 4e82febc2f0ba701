"""What the parking pages share: the resident and staff gates, safe next pages, and (the
project's) service errors on forms."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from shequ.core.permissions import Perm, has_global, prefixes_for
from shequ.core.types import Requester
from shequ.parking.services import residents
from shequ.parking.services.access import STAFF_ROLES
from shequ.web.errors import error_text, put_errors

__all__ = [
    "error_text",  # the project's: a service's refusal as one line above the page
    "login_url",
    "next_url",
    "put_errors",  # the project's: a service's refusal next to the form's fields
    "require_staff_somewhere",
    "resident_required",
]

View = Callable[..., HttpResponse]


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


def require_staff_somewhere(user: Requester) -> None:
    """Staff of some estate, or a platform administrator, or refused."""
    if not (has_global(user, Perm.PARKING) or prefixes_for(user, Perm.PARKING, STAFF_ROLES)):
        raise PermissionDenied(_("Only community staff may do this."))
