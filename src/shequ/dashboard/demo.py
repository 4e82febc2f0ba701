"""The demo's indicators: computed once after every app's demo data, so the pages show figures."""

from __future__ import annotations

from typing import Any

from shequ.dashboard.services import refresh


def build() -> dict[str, Any]:
    rows = refresh.run(force=True)
    print(f"dashboard demo: {rows} indicator values computed", flush=True)
    return {"values": rows}
