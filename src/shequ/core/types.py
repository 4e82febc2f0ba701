"""Types every app shares, so mypy checks the most important parameter: who is asking."""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

# A person with an account (signed in, or named by an API token, a grant or an audit event).
User: TypeAlias = AuthUser
# Who made a request: a person, or nobody yet (``request.user`` before a login check).
Requester: TypeAlias = AuthUser | AnonymousUser


def user_of(request: HttpRequest) -> User:
    """The signed-in user of a request that a login check or the API's auth let through."""
    user = request.user
    if not isinstance(user, AuthUser):
        raise PermissionDenied  # a view without its login check: refuse rather than guess
    return user
