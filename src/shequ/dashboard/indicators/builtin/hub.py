"""The data hub (R1): datasets, records, versions, flowback notices, queries (street level)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from shequ.core.models import Region
from shequ.dashboard.indicators.registry import (
    Function,
    Indicator,
    Level,
    NoData,
    Reason,
    register,
)
from shequ.hub.services import public


def _figure(name: str) -> Callable[[Region, datetime], float]:
    def compute(region: Region, now: datetime) -> float:
        return float(public.figures(region.code, region.prefix)[name])

    return compute


def _requests_on_time(region: Region, now: datetime) -> float:
    """The share of data requests decided by their deadline over the last 30 days."""
    counts = public.requests_on_time(region.prefix, now)
    if not counts.due:
        raise NoData(Reason.NOT_MEASURED, "no data request fell due or was decided in 30 days")
    return counts.on_time / counts.due


STREET = (Level.STREET,)
register(
    Indicator(
        "hub.datasets",
        "hub",
        "有数据的数据项",
        "Datasets holding data",
        "项",
        "datasets",
        Function(_figure("datasets")),
        target=72,
        levels=STREET,
        key_figure=True,
        description="数据仓中已有数据的数据项（R1.2：10类72项）。",
        description_en="Data items of the hub that hold data (R1.2: 72 items in 10 categories).",
    ),
    Indicator(
        "hub.records",
        "hub",
        "数据仓记录",
        "Hub records",
        "条",
        "records",
        Function(_figure("records")),
        levels=STREET,
        key_figure=True,
    ),
    Indicator(
        "hub.versions",
        "hub",
        "数据版本",
        "Dataset versions",
        "个",
        "versions",
        Function(_figure("versions")),
        levels=STREET,
    ),
    Indicator(
        "hub.flowback_notices_30d",
        "hub",
        "近30天回流通知",
        "Flowback notices, last 30 days",
        "条",
        "notices",
        Function(_figure("flowback_notices")),
        levels=STREET,
        description="数据回流（R1.4）后发给订阅部门的新版本通知。",
        description_en="New-version notices sent to subscribing departments (R1.4).",
    ),
    Indicator(
        "hub.queries_30d",
        "hub",
        "近30天数据查询",
        "Hub queries, last 30 days",
        "次",
        "queries",
        Function(_figure("queries")),
        levels=STREET,
    ),
    Indicator(
        "hub.requests_on_time_30d",
        "hub",
        "数据申请按时答复率",
        "Data requests answered on time",
        "%",
        "%",
        Function(_requests_on_time),
        target=95,
        scale=100,
        decimals=1,
        description="近30天到期或已答复的数据申请中，在答复期限内批准或拒绝的比例；"
        "逾期未答复的计为超时，撤回的不计。",
        description_en="Of the data requests due or decided in the last 30 days, the share "
        "approved or refused by their deadline; one still pending after it is late, a withdrawn "
        "one is not counted.",
    ),
)
