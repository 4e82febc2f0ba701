"""Alerts: opened, escalated, resolved, acknowledged, closed; the people told of each change.

An alert opens from a rule's evaluation (``services/judge.py``) or a sweep
(``services/sweeps.py``). The database enforces one open alert per rule
(``flood_one_open_alert``, a partial unique constraint): should a second open reach it, it is
refused and its change becomes an escalation of the first.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from shequ.core import clock
from shequ.core.errors import Conflict
from shequ.core.services.audit import record
from shequ.core.services.notify import notify_region_later
from shequ.core.transports.base import Message
from shequ.core.types import User
from shequ.flood.models import (
    OPEN_STATES,
    Alert,
    AlertEvent,
    AlertEventKind,
    AlertState,
    LatestReading,
    Level,
    Rule,
    RuleKind,
    RuleState,
)
from shequ.flood.services import roster


def lock(rule: Rule) -> tuple[RuleState, Alert | None]:
    """The rule's state and open alert, locked (evaluations of one rule queue here)."""
    state, _created = RuleState.objects.select_for_update().get_or_create(rule=rule)
    alert = Alert.objects.select_for_update().filter(rule=rule, state__in=OPEN_STATES).first()
    return state, alert


def open_alert(rule: Rule, level: int, at: datetime, value: float | None) -> Alert:
    """A new alert of the rule at ``level``, its people told; the open one if there is one."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                point=rule.point,
                rule=rule,
                level=level,
                state=AlertState.FIRING,
                value=value,
                opened_at=at,
                changed_at=at,
            )
    except IntegrityError:
        # Another transaction opened it first: this change is that alert's, not a new one.
        alert = Alert.objects.select_for_update().get(rule=rule, state__in=OPEN_STATES)
        if level > alert.level:
            escalate(alert, level, at, value)
        return alert
    AlertEvent.objects.create(
        alert=alert, at=at, kind=AlertEventKind.FIRED, level=level, value=value
    )
    notify(alert, _("%(point)s: %(level)s warning (%(rule)s)"))
    return alert


def escalate(alert: Alert, level: int, at: datetime, value: float | None) -> None:
    """A worse level: the same alert, its history kept; an acknowledgement lapses."""
    if alert.state == AlertState.ACKNOWLEDGED:
        alert.state = AlertState.FIRING
        alert.acknowledged_at, alert.acknowledged_by = None, None
        AlertEvent.objects.create(
            alert=alert, at=at, kind=AlertEventKind.ACK_LAPSED, level=alert.level, value=value
        )
    alert.level, alert.value, alert.changed_at = level, value, at
    alert.save()
    AlertEvent.objects.create(
        alert=alert, at=at, kind=AlertEventKind.ESCALATED, level=level, value=value
    )
    notify(alert, _("%(point)s: raised to %(level)s (%(rule)s)"))


def resolve(alert: Alert, at: datetime, value: float | None) -> None:
    alert.state, alert.resolved_at, alert.changed_at = AlertState.RESOLVED, at, at
    alert.value = value
    alert.save()
    AlertEvent.objects.create(
        alert=alert, at=at, kind=AlertEventKind.RESOLVED, level=alert.level, value=value
    )
    notify(alert, _("%(point)s: %(level)s warning over (%(rule)s)"))


def acknowledge(user: User, alert: Alert, comment: str = "") -> Alert:
    """The duty officer has seen it; the comment stays with the alert's history."""
    comment = comment.strip()[:500]
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.state == AlertState.RESOLVED:
            raise Conflict(_("This alert is already over."), "flood_alert_resolved")
        if alert.state == AlertState.ACKNOWLEDGED and not comment:
            return alert  # a repeated tap
        now = clock.now()
        alert.state, alert.acknowledged_at, alert.acknowledged_by = (
            AlertState.ACKNOWLEDGED,
            now,
            user,
        )
        alert.ack_comment = comment or alert.ack_comment
        alert.save()
        AlertEvent.objects.create(
            alert=alert,
            at=now,
            kind=AlertEventKind.ACKNOWLEDGED,
            level=alert.level,
            actor=user,
            comment=comment,
        )
        record(
            "flood.alert.acknowledge", actor=user, obj=alert, region_code=alert.point.region.code
        )
    return alert


def close(user: User, alert: Alert, comment: str = "") -> Alert:
    """A duty officer declares the alert over (a camera's trapped vehicle towed away); a rule
    whose value is still over its threshold opens a new alert with its next reading."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("point__region").get(pk=alert.pk)
        if alert.state == AlertState.RESOLVED:
            raise Conflict(_("This alert is already over."), "flood_alert_resolved")
        now = clock.now()
        alert.state, alert.resolved_at, alert.changed_at = AlertState.RESOLVED, now, now
        alert.save()
        AlertEvent.objects.create(
            alert=alert,
            at=now,
            kind=AlertEventKind.RESOLVED,
            level=alert.level,
            actor=user,
            comment=comment.strip()[:500],
        )
        record("flood.alert.resolve", actor=user, obj=alert, region_code=alert.point.region.code)
    return alert


_MESSAGE_LEVEL = {1: "info", 2: "warning", 3: "critical", 4: "critical"}


def notify(alert: Alert, title: str, event_suffix: str = "", now: datetime | None = None) -> None:
    point, rule = alert.point, alert.rule
    text = title % {
        "point": point.name,
        "level": Level(alert.level).label,
        "rule": rule.get_kind_display(),
    }
    body = _("%(device)s: %(value)s at %(point)s") % {
        "device": rule.device.code,
        "value": "—" if alert.value is None else f"{alert.value:g}",
        "point": point.name,
    }
    level = "info" if alert.state == AlertState.RESOLVED else _MESSAGE_LEVEL[alert.level]
    message = Message(
        title=str(text),
        body=str(body),
        url=reverse("flood:point", args=[point.code]),
        level=level,
        region_code=point.region.code,
        event_id=f"flood-alert-{alert.pk}-{alert.state}-{alert.level}-{event_suffix}",
    )
    at = now or clock.now()
    if roster.silenced(point, rule, at):
        return  # maintenance: recorded in the alert's history, told to nobody
    notify_region_later(point.region, message)
    alert.notified_at = at
    roster.tell(point, alert.tier, alert.level, at, message)
    Alert.objects.filter(pk=alert.pk).update(notified_at=at)


def with_latest(alerts_: list[Alert]) -> list[Alert]:
    """Each alert with its device's newest reading (``latest``: from the latest-value table,
    None for a device that never reported), read in one query: beside the value that set
    the alert's level, what the point reads now. Only for a threshold alert, whose value is
    a reading too: a rainfall sum or a rate of rise beside one reading would read as if the
    water had fallen."""
    levels = [a for a in alerts_ if a.rule.kind == RuleKind.THRESHOLD]
    devices = {a.rule.device_id for a in levels}
    latest = {r.device_id: r for r in LatestReading.objects.filter(device_id__in=devices)}
    for alert in alerts_:
        alert.latest = (  # type: ignore[attr-defined]
            latest.get(alert.rule.device_id) if alert.rule.kind == RuleKind.THRESHOLD else None
        )
    return alerts_
