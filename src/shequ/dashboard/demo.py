"""The demo's indicators: computed after every app's demo data, so the pages show figures.

Indicators whose definition can compute a past moment (``as_of``) get a daily history of the
last two weeks as well (once), so the module pages' charts show a trend from the first visit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from shequ.dashboard import demo_feedback
from shequ.dashboard.indicators import REGISTRY
from shequ.dashboard.models import Value
from shequ.dashboard.services import compute, flowback, refresh

HISTORY_DAYS = 14


def build() -> dict[str, Any]:
    # Today's run first: the hub's figures count the datasets as they are before the
    # dashboard's own dataset appears (its first version comes from this run).
    feedback = demo_feedback.build()
    now = timezone.now()
    rows = refresh.run(force=True, now=now)
    past = 0
    for indicator in REGISTRY.values():
        if (
            not indicator.as_of
            or Value.objects.filter(indicator=indicator.key, at__lt=now).exists()
        ):
            continue  # a demo built again keeps the history it has
        for days in range(HISTORY_DAYS, 0, -1):
            at = now - timedelta(days=days)
            past += len(compute.store(indicator, compute.evaluate(indicator, at), at))
    flowback.publish(Value.objects.filter(at__lt=now).select_related("region"))
    print(
        f"dashboard demo: {feedback} feedback items, {rows} indicator values computed, "
        f"{past} of the past",
        flush=True,
    )
    return {"values": rows, "history": past, "feedback": feedback}
