"""Flood watch models, split by concept."""

from shequ.flood.models.alerts import (
    OPEN_STATES,
    UNDERPASS_DEFAULTS,
    Alert,
    AlertEvent,
    AlertEventKind,
    AlertState,
    Rule,
    RuleKind,
    RuleState,
)
from shequ.flood.models.flowback import FlowbackMark
from shequ.flood.models.levels import LEVEL_NAMES, Level
from shequ.flood.models.points import UNITS, Device, DeviceKind, MonitoringPoint, PointKind
from shequ.flood.models.readings import CameraEvent, CameraEventType, LatestReading, Reading
from shequ.flood.models.response import (
    DEFAULT_FACTORS,
    RESPONSE_BY_NAME,
    RESPONSE_NAMES,
    RegionResponse,
    ResponseChange,
    ResponseLevel,
    ResponseSetting,
)
from shequ.flood.models.roster import DutyShift, Silence, Tier
from shequ.flood.models.tasks import TASK_OPEN_STATES, Task, TaskKind, TaskState

__all__ = [
    "DEFAULT_FACTORS",
    "LEVEL_NAMES",
    "OPEN_STATES",
    "RESPONSE_BY_NAME",
    "RESPONSE_NAMES",
    "TASK_OPEN_STATES",
    "UNDERPASS_DEFAULTS",
    "UNITS",
    "Alert",
    "AlertEvent",
    "AlertEventKind",
    "AlertState",
    "CameraEvent",
    "CameraEventType",
    "Device",
    "DeviceKind",
    "DutyShift",
    "FlowbackMark",
    "LatestReading",
    "Level",
    "MonitoringPoint",
    "PointKind",
    "Reading",
    "RegionResponse",
    "ResponseChange",
    "ResponseLevel",
    "ResponseSetting",
    "Rule",
    "RuleKind",
    "RuleState",
    "Silence",
    "Task",
    "TaskKind",
    "TaskState",
    "Tier",
]
