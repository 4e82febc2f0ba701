"""What the dashboard pages share: the caller's scope and the region asked for."""

from __future__ import annotations

from django.http import HttpRequest

from shequ.core.models import Region
from shequ.dashboard.services.access import Scope, region_in, require_scope


def scope_and_region(request: HttpRequest) -> tuple[Scope, Region]:
    scope = require_scope(request.user)
    return scope, region_in(scope, request.GET.get("region"))
