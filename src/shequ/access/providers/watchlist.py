"""A watch list (关注名单): a hub dataset named by ``SHEQU_ACCESS_WATCHLIST_DATASET``.

A listed person passes as anyone else (the door shows nothing different) and the staff are
alerted. The dataset needs an ``id_number`` column; with no dataset named, the check is off.
"""

from __future__ import annotations

from django.conf import settings

from shequ.access.providers.base import Finding, Provider, Subject, register


class WatchListProvider(Provider):
    kind = "watchlist"
    sql = "SELECT id_number FROM {table}"

    def dataset_key(self) -> str:
        return str(settings.ACCESS_WATCHLIST_DATASET or "")

    def answer(self, subject: Subject) -> Finding:
        row, version = self.lookup(subject)
        if row is None:
            return Finding(self.kind, "not_listed", version=version)
        return Finding(self.kind, "watch_list", "green", alert=True, version=version)


register(WatchListProvider())
