"""What the time bank's services announce for its jobs (a service never imports a job)."""

from __future__ import annotations

from django.dispatch import Signal

# request_id: int; sent after the transaction that posted (or reopened) the request commits
request_open = Signal()
