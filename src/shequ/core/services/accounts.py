"""User accounts and memberships."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from shequ.core.models import Membership, Region, Role


def create_admin(username: str, password: str, *, email: str = "") -> Any:
    """Create (or reset) a superuser who is platform administrator at every root region."""
    User = get_user_model()
    try:
        validate_password(password)
    except ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from exc
    with transaction.atomic():
        user, _ = User.objects.get_or_create(username=username)
        user.email = email or user.email
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        for root in Region.objects.filter(parent__isnull=True):
            Membership.objects.get_or_create(user=user, region=root, role=Role.PLATFORM_ADMIN)
    return user
