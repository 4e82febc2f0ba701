"""What the hub's services announce for its jobs (see ``shequ.core.signals`` for why)."""

from __future__ import annotations

from django.dispatch import Signal

# run_id: int; a queued ingest run the worker should carry out
run_queued = Signal()
