"""Staff: the alert inbox and acknowledging an alert."""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema

from shequ.access.api.common import router
from shequ.access.models import Alert
from shequ.access.services import alerts
from shequ.core.inputs import Id
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import User


class AlertOut(Schema):
    id: int
    region: str = Field(..., alias="region.code")
    who: str = Field(..., alias="person.name_masked")
    day: date
    colour: str
    reasons: list[str]
    attempts: int
    last_at: datetime
    status: str
    note: str


@router.get(
    "/alerts",
    response={200: list[AlertOut], **errors(READ)},
    summary="Alerts of the regions where the caller is staff, newest first",
)
def list_alerts(request: HttpRequest, status: str = "") -> Any:
    qs = alerts.alerts_for(request.user)
    if status:
        qs = qs.filter(status=status)
    return list(qs[:200])


class AckIn(Schema):
    note: str = Field("", max_length=500)


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response={200: AlertOut, **errors(WRITE)},
    summary="Acknowledge an alert, with an optional note",
)
def acknowledge(request: HttpRequest, alert_id: Id, payload: AckIn) -> Alert:
    user: User = request.user  # type: ignore[assignment]
    alert = alerts.get_alert(user, alert_id)
    return alerts.acknowledge(user, alert, payload.note)
