"""The big screen's data, asked for again every few seconds by the page."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Schema

from shequ.core.schemas import READ, errors
from shequ.dashboard.api.common import FigureOut, router
from shequ.dashboard.api.indicators import RegionQuery
from shequ.dashboard.services import screen
from shequ.dashboard.services.access import region_in, require_scope


class ScreenRegionOut(Schema):
    code: str
    name: str


class ScreenAlertOut(Schema):
    kind: str
    region: str
    what: str
    level: str
    label: str
    at: datetime


class CommunityOut(ScreenRegionOut):
    figures: list[FigureOut]


class ScreenOut(Schema):
    region: ScreenRegionOut
    generated_at: datetime
    figures: list[FigureOut]
    alerts: list[ScreenAlertOut]
    communities: list[CommunityOut]


@router.get(
    "/screen",
    response={200: ScreenOut, **errors(READ)},
    summary="The big screen's key figures, live alerts and communities of a region",
    url_name="dashboard_screen_data",
)
def screen_data(request: HttpRequest, q: Query[RegionQuery]) -> Any:
    scope = require_scope(request.user)
    return screen.payload(scope, region_in(scope, q.region))
