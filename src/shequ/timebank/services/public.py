"""What other apps (the dashboard) may call: read-only figures of the time bank."""

from __future__ import annotations

from datetime import datetime

from shequ.core.models import Region
from shequ.timebank.services.indicators import Indicators, compute
from shequ.timebank.services.ledger import CheckReport, check

__all__ = ["CheckReport", "Indicators", "indicators", "ledger_check"]


def indicators(region: Region, start: datetime, end: datetime) -> Indicators:
    return compute(region, start, end)


def ledger_check() -> CheckReport:
    return check()
