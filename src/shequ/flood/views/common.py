"""What the flood pages share: the login and permission check."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from shequ.core.permissions import Perm, perms_of

View = Callable[..., HttpResponseBase]


def watcher_required(view: View) -> View:
    """Signed in and holding the flood permission somewhere (regions narrow it further)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if Perm.FLOOD not in perms_of(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
