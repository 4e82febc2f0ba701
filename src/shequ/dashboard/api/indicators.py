"""The indicators the caller may see, with their latest values and their series."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Schema

from shequ.core.errors import NotFound
from shequ.core.schemas import READ, errors
from shequ.dashboard.api.common import FigureOut, router
from shequ.dashboard.indicators import get
from shequ.dashboard.services import values
from shequ.dashboard.services.access import region_in, require_scope, shown_at
from shequ.dashboard.services.screen import figure_out


class RegionQuery(Schema):
    region: str = Field("", max_length=12, description="region code (default: your street)")


class IndicatorOut(FigureOut):
    module: str
    region_code: str
    target: float | None
    direction: str
    public: bool


@router.get(
    "/indicators",
    response={200: list[IndicatorOut], **errors(READ)},
    summary="Every indicator the caller may see of a region, with its latest value",
)
def list_indicators(request: HttpRequest, q: Query[RegionQuery]) -> Any:
    scope = require_scope(request.user)
    region = region_in(scope, q.region)
    shown = [i for i in scope.indicators() if shown_at(i, region)]
    found = values.latest(shown, [region])
    out = []
    for i in shown:
        f = found[(i.key, region.code, "")]
        out.append(
            {
                **figure_out(f),
                "module": i.module,
                "region_code": region.code,
                "target": f.target,
                "direction": str(f.direction),
                "public": i.public,
            }
        )
    return out


class SeriesQuery(RegionQuery):
    days: int = Field(30, ge=1, le=366)


@router.get(
    "/indicators/{key}/series",
    response={200: list[FigureOut], **errors(READ)},
    summary="An indicator's values for a region over the last days, oldest first",
)
def indicator_series(request: HttpRequest, key: str, q: Query[SeriesQuery]) -> Any:
    scope = require_scope(request.user)
    region = region_in(scope, q.region)
    indicator = get(key)
    if indicator is None or indicator not in scope.indicators() or not shown_at(indicator, region):
        raise NotFound(f"No indicator {key[:64]} here.")
    return [figure_out(f) for f in values.series(indicator, region, q.days)]
