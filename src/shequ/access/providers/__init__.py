"""Status providers: what the hub says about a person at the door (pluggable, one per kind).

Each provider reads one hub dataset through ``hub.query`` into a snapshot, keyed by the
person's ID-number HMAC (the same as ``core.Person.id_number_hash``), and keeps it until the
dataset's version changes: a decision is a dictionary look-up, never a scan of history.
A provider registers itself in ``PROVIDERS`` by kind.
"""

from shequ.access.providers import health, residency, watchlist  # noqa: F401  (register)
from shequ.access.providers.base import (
    PROVIDERS,
    Finding,
    Provider,
    Subject,
    forget_snapshots,
    providers,
)

__all__ = ["PROVIDERS", "Finding", "Provider", "Subject", "forget_snapshots", "providers"]
