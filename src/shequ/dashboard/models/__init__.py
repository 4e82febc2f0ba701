from shequ.dashboard.models.values import NoDataReason, Value

__all__ = ["NoDataReason", "Value"]
