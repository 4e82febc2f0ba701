"""The indicator engine: the registry and the built-in indicators of every app.

``get``, ``of_module`` and ``REGISTRY`` hold every indicator once ``builtin`` is imported
(the dashboard's ``AppConfig.ready`` does it).
"""

from shequ.dashboard.indicators.registry import (
    MODULES,
    REGISTRY,
    Compute,
    Direction,
    Function,
    Indicator,
    Level,
    NoData,
    Reason,
    Sql,
    get,
    of_module,
    register,
)

__all__ = [
    "MODULES",
    "REGISTRY",
    "Compute",
    "Direction",
    "Function",
    "Indicator",
    "Level",
    "NoData",
    "Reason",
    "Sql",
    "get",
    "of_module",
    "register",
]
