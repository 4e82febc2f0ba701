"""Points and alerts for staff and duty officers: what their regions hold, acknowledging."""

from typing import Any

from django.http import HttpRequest

from shequ.core.inputs import Id
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import user_of
from shequ.flood.api.common import router
from shequ.flood.api.schemas import AcknowledgeIn, AlertOut, PointOut
from shequ.flood.models import OPEN_STATES, Alert
from shequ.flood.services import access, alerts, points


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
    "/alerts", response={200: list[AlertOut], **errors(READ)}, summary="Open alerts, worst first"
)
def list_alerts(request: HttpRequest) -> list[Alert]:
    return list(access.visible_alerts(request.user).filter(state__in=OPEN_STATES))


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response={200: AlertOut, **errors(WRITE)},
    summary="Acknowledge an alert, with a comment (lapses when the level worsens)",
)
def acknowledge(request: HttpRequest, alert_id: Id, payload: AcknowledgeIn) -> Alert:
    user = user_of(request)
    alert = access.alert_for(user, alert_id)
    return alerts.acknowledge(user, alert, payload.comment)


@router.post(
    "/alerts/{alert_id}/resolve",
    response={200: AlertOut, **errors(WRITE)},
    summary="Declare an alert over, with a comment",
)
def resolve(request: HttpRequest, alert_id: Id, payload: AcknowledgeIn) -> Alert:
    user = user_of(request)
    alert = access.alert_for(user, alert_id)
    return alerts.close(user, alert, payload.comment)
