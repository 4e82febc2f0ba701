"""Messages to people in their in-app inbox (站内信), written with the change they announce."""

from __future__ import annotations

from collections.abc import Iterable

from shequ.core.models import InboxMessage
from shequ.core.types import User


def tell(users: Iterable[User | None], title: str, body: str = "", url: str = "") -> int:
    """One inbox message to each user (None and repeats are skipped)."""
    seen = {u.pk: u for u in users if u is not None}
    InboxMessage.objects.bulk_create(
        InboxMessage(user=u, title=title[:200], body=body, url=url[:300]) for u in seen.values()
    )
    return len(seen)
