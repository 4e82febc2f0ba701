"""The indicators built in from every app; importing this package registers them."""

from shequ.dashboard.indicators.builtin import access, flood, hub, parking, timebank

__all__ = ["access", "flood", "hub", "parking", "timebank"]
