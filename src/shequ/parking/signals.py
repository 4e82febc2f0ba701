"""What parking's services announce for its jobs (see ``shequ.core.signals`` for why).

The caches' own receivers (holidays, gate devices) sit beside their caches in
``services.holidays`` and ``services.garages``.
"""

from __future__ import annotations

from django.dispatch import Signal

# refund_id: int; a refund owed on an online payment, to pay back through its provider
refund_owed = Signal()
