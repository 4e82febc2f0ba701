"""Points and alerts for staff and duty officers: what their regions hold, acknowledging."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Schema

from shequ.core.inputs import Id, OffsetDatetime
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import user_of
from shequ.flood.api.common import router
from shequ.flood.api.schemas import AcknowledgeIn, AlertEventOut, FloodAlertOut, PointOut
from shequ.flood.models import OPEN_STATES, Alert, AlertEvent, Silence
from shequ.flood.services import access, alerts, points, roster


@router.get("/points", response={200: list[PointOut], **errors(READ)}, summary="Points and levels")
def list_points(request: HttpRequest) -> list[dict[str, Any]]:
    out = []
    for s in points.statuses(request.user):
        p = s.point
        out.append(
            {
                "code": p.code,
                "name": p.name,
                "kind": p.kind,
                "region_code": p.region.code,
                "lat": p.lat,
                "lon": p.lon,
                "level": s.level,
            }
        )
    return out


@router.get(
    "/alerts",
    response={200: list[FloodAlertOut], **errors(READ)},
    summary="Open alerts, worst first (state=all: the last 500 of any state, newest first)",
)
def list_alerts(request: HttpRequest, state: Literal["open", "all"] = "open") -> list[Alert]:
    visible = access.visible_alerts(request.user)
    if state == "all":
        return list(visible.order_by("-opened_at", "-id")[:500])
    return list(visible.filter(state__in=OPEN_STATES))


@router.get(
    "/alerts/{alert_id}/events",
    response={200: list[AlertEventOut], **errors(READ)},
    summary="An alert's history: fired, escalated, acknowledged, passed on, resolved",
)
def list_alert_events(request: HttpRequest, alert_id: Id) -> list[AlertEvent]:
    alert = access.alert_for(request.user, alert_id)
    return list(alert.events.select_related("actor").order_by("at", "id"))


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response={200: FloodAlertOut, **errors(WRITE)},
    summary="Acknowledge an alert, with a comment (lapses when the level worsens)",
)
def acknowledge(request: HttpRequest, alert_id: Id, payload: AcknowledgeIn) -> Alert:
    user = user_of(request)
    alert = access.alert_for(user, alert_id)
    return alerts.acknowledge(user, alert, payload.comment)


@router.post(
    "/alerts/{alert_id}/resolve",
    response={200: FloodAlertOut, **errors(WRITE)},
    summary="Declare an alert over, with a comment",
)
def resolve(request: HttpRequest, alert_id: Id, payload: AcknowledgeIn) -> Alert:
    user = user_of(request)
    alert = access.alert_for(user, alert_id)
    return alerts.close(user, alert, payload.comment)


class SilenceIn(Schema):
    until: OffsetDatetime = Field(..., description="ISO 8601 with an offset; in the future")
    reason: str = Field(..., min_length=1, max_length=200)


class SilenceOut(Schema):
    id: int
    point: str
    starts_at: datetime
    until: datetime
    reason: str

    @staticmethod
    def resolve_point(obj: Silence) -> str:
        return obj.point.code


@router.post(
    "/points/{code}/silences",
    response={200: SilenceOut, **errors(WRITE)},
    summary="Silence a point for maintenance until a time (its alerts are told to nobody)",
)
def add_silence(request: HttpRequest, code: str, payload: SilenceIn) -> Silence:
    user = user_of(request)
    point = access.point_for(user, code)
    return roster.silence(user, point, payload.until, payload.reason)
