from __future__ import annotations

from typing import Any

from django.http import HttpRequest

import shequ
from shequ.core.models import InboxMessage


def site(request: HttpRequest) -> dict[str, Any]:
    unread = 0
    if request.user.is_authenticated:
        unread = InboxMessage.objects.filter(user=request.user, read_at__isnull=True).count()
    return {"shequ_version": shequ.__version__, "unread_count": unread}
