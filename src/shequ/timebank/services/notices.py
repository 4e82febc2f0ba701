"""Messages to people in their in-app inbox (站内信), written with the change they announce.

``muted()`` writes history without telling anybody (the demo's five months happened in the
past: nobody should find 1,680 old messages, nor volunteers be told of long-gone requests).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from shequ.core.models import InboxMessage
from shequ.core.types import User
from shequ.timebank.models import HelpRequest

_state = threading.local()


@contextmanager
def muted() -> Iterator[None]:
    _state.muted = True
    try:
        yield
    finally:
        _state.muted = False


def is_muted() -> bool:
    return bool(getattr(_state, "muted", False))


def tell(users: Iterable[User | None], title: str, body: str = "", url: str = "") -> int:
    """One inbox message to each user (None and repeats are skipped)."""
    if is_muted():
        return 0
    seen = {u.pk: u for u in users if u is not None}
    InboxMessage.objects.bulk_create(
        InboxMessage(user=u, title=title[:200], body=body, url=url[:300]) for u in seen.values()
    )
    return len(seen)


def tell_requester(req: HelpRequest, title: str, body: str = "") -> int:
    """Tell who posted the request and the beneficiary (when they have a login)."""
    if is_muted():
        return 0
    return tell([req.posted_by, req.beneficiary.user], title, body, f"/timebank/requests/{req.pk}/")
