"""What the flood watch's services announce for its jobs (see ``shequ.core.signals``).

Alerts notify through ``core``'s ``notify_region_later`` (after the transaction commits),
whose own job delivers them; the flood watch announces nothing of its own yet.
"""

from __future__ import annotations
