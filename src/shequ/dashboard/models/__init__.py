from shequ.dashboard.models.feedback import (
    Feedback,
    ServiceKind,
    StaffTask,
    TaskStatus,
)
from shequ.dashboard.models.reports import WeeklyReport
from shequ.dashboard.models.targets import Target, TargetDirection
from shequ.dashboard.models.values import NoDataReason, Value

__all__ = [
    "Feedback",
    "NoDataReason",
    "ServiceKind",
    "StaffTask",
    "Target",
    "TargetDirection",
    "TaskStatus",
    "Value",
    "WeeklyReport",
]
