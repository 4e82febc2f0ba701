"""The indicators built in from every app; importing this package registers them."""

from shequ.dashboard.indicators.builtin import access, feedback, flood, hub, parking, timebank

__all__ = ["access", "feedback", "flood", "hub", "parking", "timebank"]
