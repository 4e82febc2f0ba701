"""Abnormal status at a door → the community's staff are alerted at once (R5.2).

One alert per person and local day, however many attempts: later attempts only count on it.
The alert goes out through the region's notification channels (the inbox among them) after
the event commits; the staff's alert inbox lists it with the access log around it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, QuerySet, Value
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.access.models import AccessEvent, Alert
from shequ.access.services.access import require_staff, staff_scope
from shequ.core.errors import Invalid, NotFound
from shequ.core.services.audit import record
from shequ.core.services.notify import notify_region_later
from shequ.core.transports.base import Message
from shequ.core.types import Requester, User

AROUND = timedelta(hours=2)  # the log shown around an alert, before and after its attempts


def raise_for(event: AccessEvent) -> None:
    """Open today's alert for the event's person, or count one more attempt on it (one
    UPDATE: the door's answer waits for it, and nobody reads the alert back here)."""
    assert event.person_id is not None
    day = timezone.localdate(event.at)
    bumped = Alert.objects.filter(person_id=event.person_id, day=day).update(**_counted(event))
    if bumped:
        return
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                region=event.region,
                person_id=event.person_id,
                day=day,
                first_event=event,
                colour=event.colour,
                reasons=event.reasons,
                last_at=event.at,
            )
    except IntegrityError:  # another door raised it at the same moment
        Alert.objects.filter(person_id=event.person_id, day=day).update(**_counted(event))
        return
    _notify(alert, event)


def _counted(event: AccessEvent) -> dict[str, Any]:
    """One more attempt; the last one's time only moves forward (a late upload is older)."""
    at = Value(event.at, output_field=DateTimeField())
    return {"attempts": F("attempts") + 1, "last_at": Greatest("last_at", at)}


def _notify(alert: Alert, event: AccessEvent) -> None:
    # No personal value in the message: the masked name and the door; details in the inbox.
    title = _("Access alert: %(who)s at %(door)s") % {
        "who": event.subject_masked or "?",
        "door": str(event.point),
    }
    body = _("Abnormal status (%(reasons)s) at %(time)s. See the alert inbox.") % {
        "reasons": ", ".join(event.reasons),
        "time": timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M"),
    }
    url = reverse("access:alert", args=[alert.pk])
    level = "critical" if event.colour == "red" else "warning"
    notify_region_later(
        event.region,
        Message(
            title=title,
            body=body,
            url=url,
            level=level,
            region_code=event.region.code,
            event_id=f"access-alert-{alert.pk}",
        ),
    )


def alerts_for(user: Requester) -> QuerySet[Alert]:
    return staff_scope(Alert.objects.all(), user, "region").select_related(
        "region", "person", "first_event__point"
    )


def get_alert(user: Requester, alert_id: int) -> Alert:
    alert = alerts_for(user).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(_("No such alert."))
    return alert


def around(alert: Alert) -> QuerySet[AccessEvent]:
    """The person's access events of the alert's day, and everything at the same doors near it."""
    start = _local_midnight(alert.day)
    first = alert.first_event.at if alert.first_event is not None else start
    return (
        AccessEvent.objects.filter(region=alert.region, at__gte=first - AROUND)
        .filter(at__lte=alert.last_at + AROUND)
        .select_related("point", "device")
        .order_by("at")
    )


def _local_midnight(day: object) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))  # type: ignore[arg-type]


def acknowledge(actor: User, alert: Alert, note: str = "") -> Alert:
    require_staff(actor, alert.region.code)
    note = note.strip()
    if len(note) > 500:
        raise Invalid(_("The note is too long."), fields={"note": [_("At most 500 characters.")]})
    with transaction.atomic():
        if alert.status != Alert.Status.ACKNOWLEDGED:
            alert.status = Alert.Status.ACKNOWLEDGED
            alert.acknowledged_by = actor
            alert.acknowledged_at = timezone.now()
        if note:
            alert.note = note
        alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "note"])
        record("access.alert.acknowledge", actor=actor, obj=alert, noted=bool(note))
    return alert
