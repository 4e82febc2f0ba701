"""Alerts: evaluating a device's new readings against its rules, acknowledging, no-data sweep.

Each rule's evaluation locks its ``RuleState`` row, so two readings of the same rule queue
instead of both deciding to open an alert. The database enforces the rule itself
(``flood_one_open_alert``, a partial unique constraint): should anything reach it without
the lock, the second alert is refused and its change becomes an escalation of the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.errors import Conflict
from shequ.core.services.audit import record
from shequ.core.services.notify import notify_region_later
from shequ.core.services.writelock import sqlite_writer
from shequ.core.transports.base import Message
from shequ.core.types import User
from shequ.flood import evaluation as ev
from shequ.flood.models import (
    OPEN_STATES,
    Alert,
    AlertEvent,
    AlertEventKind,
    AlertState,
    Device,
    LatestReading,
    Level,
    Reading,
    Rule,
    RuleKind,
    RuleState,
)
from shequ.flood.services import response, roster

Series = Sequence[tuple[datetime, float]]
NO_DATA_INTERVALS = 3


def evaluate(device: Device, new: Series, now: datetime) -> int:
    """Judge the device's new readings (sorted by time) by each of its rules; alerts changed.

    Runs inside the ingesting transaction.
    """
    return evaluate_many([(device, new)], now).get(device.pk, 0)


# A batch's readings within this span share one history query; beyond it (a backfill), one
# query per device.
HISTORY_SPAN = timedelta(days=1)


def evaluate_many(items: Sequence[tuple[Device, Series]], now: datetime) -> dict[int, int]:
    """Judge several devices' new readings (each sorted by time); alerts changed per device.

    A constant number of queries for the batch (rules, their states and open alerts locked in
    rule order, the history the rates and sums need, the states written back), whatever the
    number of devices; an alert that fires, escalates or resolves costs its own writes.
    Runs inside the ingesting transaction.
    """
    series = {device.pk: new for device, new in items if new}
    changed = dict.fromkeys(series, 0)
    if not series:
        return changed
    devices = {device.pk: device for device, new in items if new}
    rules = list(
        Rule.objects.filter(device_id__in=list(series), enabled=True)
        .exclude(kind=RuleKind.CAMERA)
        .order_by("pk")
    )
    if not rules:
        return changed
    for rule in rules:  # the devices came with their point and region: no query per rule
        rule.device = devices[rule.device_id]
        if rule.point_id == rule.device.point_id:
            rule.point = rule.device.point
    states, open_alerts = _lock_many(rules)
    history = _history(rules, series)
    saved: list[RuleState] = []
    factors: dict[str, float] = {}  # a region's emergency response tightens its thresholds
    for rule in rules:
        alert = open_alerts.get(rule.pk)
        if rule.kind == RuleKind.NO_DATA:
            if alert is not None:  # a reading arrived: a no-data alert of its device is over
                resolve(alert, now, None)
                changed[rule.device_id] += 1
            continue
        derived = _derived(rule, series[rule.device_id], history.get(rule.device_id, []))
        if derived:
            code = rule.point.region.code
            if code not in factors:
                factors[code] = response.threshold_factor(code)
            judged = _judge(rule, derived, states[rule.pk], alert, factors[code])
            changed[rule.device_id] += judged
            saved.append(states[rule.pk])
    _save_states(saved)
    return changed


def _save_states(states: list[RuleState]) -> None:
    """Write the judged states back: one statement, executed for each (Django's bulk_update
    builds a CASE per row and field, which cost more than the whole batch's evaluation)."""
    if not states:
        return
    table = connection.ops.quote_name(RuleState._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET last_at = %s, pending_level = %s, pending_since = %s, "
            "clear_since = %s WHERE rule_id = %s",
            [
                (
                    adapt(s.last_at),
                    s.pending_level,
                    adapt(s.pending_since),
                    adapt(s.clear_since),
                    s.rule_id,
                )
                for s in states
            ],
        )


def _lock_many(rules: list[Rule]) -> tuple[dict[int, RuleState], dict[int, Alert]]:
    """The rules' states and open alerts, locked in rule order (so batches queue, never
    deadlock); a state missing is made. Selected by device (fewer ids to send than rules)."""
    ids = {r.pk for r in rules}
    device_ids = sorted({r.device_id for r in rules})

    def locked_states() -> dict[int, RuleState]:
        qs = RuleState.objects.select_for_update(of=("self",)).filter(
            rule__device_id__in=device_ids
        )
        return {s.rule_id: s for s in qs.order_by("rule_id") if s.rule_id in ids}

    states = locked_states()
    missing = [RuleState(rule_id=i) for i in sorted(ids) if i not in states]
    if missing:
        RuleState.objects.bulk_create(missing, ignore_conflicts=True)
        states = locked_states()
    alerts = {
        a.rule_id: a
        for a in Alert.objects.select_for_update(of=("self",))
        .filter(rule__device_id__in=device_ids, state__in=OPEN_STATES)
        .order_by("rule_id")
        if a.rule_id in ids
    }
    return states, alerts


def _history(
    rules: list[Rule], series: dict[int, Series]
) -> dict[int, list[tuple[datetime, float]]]:
    """Each device's readings (sorted) over its windowed rules' reach before its new ones."""
    reach: dict[int, timedelta] = {}
    for rule in rules:
        if rule.kind in (RuleKind.RATE_OF_RISE, RuleKind.RAINFALL):
            window = timedelta(minutes=rule.window_minutes)
            reach[rule.device_id] = max(reach.get(rule.device_id, window), window)
    if not reach:
        return {}
    spans = {d: (series[d][0][0] - w, series[d][-1][0]) for d, w in reach.items()}
    lo, hi = min(s[0] for s in spans.values()), max(s[1] for s in spans.values())
    groups = [list(spans)] if hi - lo <= HISTORY_SPAN else [[d] for d in spans]
    out: dict[int, list[tuple[datetime, float]]] = {}
    for devices in groups:
        start = min(spans[d][0] for d in devices)
        end = max(spans[d][1] for d in devices)
        rows = (
            Reading.objects.filter(device_id__in=devices, at__gte=start, at__lte=end)
            .order_by("device_id", "at")
            .values_list("device_id", "at", "value")
        )
        for device_id, at, value in rows:
            out.setdefault(device_id, []).append((at, value))
    return out


def _derived(rule: Rule, new: Series, history: Series) -> list[tuple[datetime, float]]:
    """What the rule compares with its thresholds, for each new reading."""
    if rule.kind == RuleKind.THRESHOLD:
        return list(new)
    window = timedelta(minutes=rule.window_minutes)
    if rule.kind == RuleKind.RAINFALL:
        return [(at, ev.accumulated(history, at, window)) for at, _v in new]
    rises = [(at, ev.rise_over(history, at, v, window)) for at, v in new]
    return [(at, r) for at, r in rises if r is not None]


def _lock(rule: Rule) -> tuple[RuleState, Alert | None]:
    state, _created = RuleState.objects.select_for_update().get_or_create(rule=rule)
    alert = Alert.objects.select_for_update().filter(rule=rule, state__in=OPEN_STATES).first()
    return state, alert


def _judge(
    rule: Rule, series: Series, state: RuleState, alert: Alert | None, factor: float = 1.0
) -> int:
    """Step the rule's (locked) state through the values; alerts changed. The caller saves
    the state."""
    spec = ev.Spec(
        response.scaled(rule.thresholds(), factor),
        pending=timedelta(seconds=rule.pending_seconds),
        clear_margin=rule.clear_margin,
        clear_after=timedelta(seconds=rule.clear_seconds),
    )
    es = ev.State(
        alert.level if alert else 0,
        state.last_at,
        state.pending_level,
        state.pending_since,
        state.clear_since,
    )
    changed = 0
    for at, value in series:
        change = ev.step(spec, es, at, value)
        if change is not None:
            alert = _apply(rule, alert, change)
            changed += 1
    state.last_at, state.pending_level = es.last_at, es.pending_level
    state.pending_since, state.clear_since = es.pending_since, es.clear_since
    return changed


def _apply(rule: Rule, alert: Alert | None, change: ev.Change) -> Alert | None:
    if change.kind == ev.RESOLVE:
        if alert is not None:
            resolve(alert, change.at, change.value)
        return None
    if alert is None:
        return _open(rule, change.level, change.at, change.value)
    if change.level > alert.level:
        escalate(alert, change.level, change.at, change.value)
    return alert


def _open(rule: Rule, level: int, at: datetime, value: float | None) -> Alert:
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
    _notify(alert, _("%(point)s: %(level)s warning (%(rule)s)"))
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
    _notify(alert, _("%(point)s: raised to %(level)s (%(rule)s)"))


def resolve(alert: Alert, at: datetime, value: float | None) -> None:
    alert.state, alert.resolved_at, alert.changed_at = AlertState.RESOLVED, at, at
    alert.value = value
    alert.save()
    AlertEvent.objects.create(
        alert=alert, at=at, kind=AlertEventKind.RESOLVED, level=alert.level, value=value
    )
    _notify(alert, _("%(point)s: %(level)s warning over (%(rule)s)"))


def acknowledge(user: User, alert: Alert, comment: str = "") -> Alert:
    """The duty officer has seen it; the comment stays with the alert's history."""
    comment = comment.strip()[:500]
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.state == AlertState.RESOLVED:
            raise Conflict(_("This alert is already over."), "flood_alert_resolved")
        if alert.state == AlertState.ACKNOWLEDGED and not comment:
            return alert  # a repeated tap
        now = timezone.now()
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
        now = timezone.now()
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


def _notify(alert: Alert, title: str, event_suffix: str = "", now: datetime | None = None) -> None:
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
    at = now or timezone.now()
    if roster.silenced(point, rule, at):
        return  # maintenance: recorded in the alert's history, told to nobody
    notify_region_later(point.region, message)
    alert.notified_at = at
    roster.tell(point, alert.tier, alert.level, at, message)
    Alert.objects.filter(pk=alert.pk).update(notified_at=at)


# --- reminders ---------------------------------------------------------------------------------

REMIND_EVERY = timedelta(minutes=15)


def remind(now: datetime | None = None) -> int:
    """Tell again of each alert still firing unacknowledged 15 minutes after its last message:
    the next tier of the duty roster with someone on duty, or else the same people; alerts
    reminded."""
    now = now or timezone.now()
    due = Alert.objects.filter(
        Q(notified_at__lt=now - REMIND_EVERY) | Q(notified_at__isnull=True),
        state=AlertState.FIRING,
    ).select_related("point", "point__region", "rule", "rule__device")
    count = 0
    for alert in due:
        if roster.silenced(alert.point, alert.rule, now):
            continue  # told once the silence is over
        with transaction.atomic():
            title = _("%(point)s: %(level)s warning still unacknowledged (%(rule)s)")
            told = alert.notified_at is not None
            tier = roster.next_tier(alert.point, alert.tier, alert.level, now) if told else None
            if tier is not None:
                alert.tier = tier
                Alert.objects.filter(pk=alert.pk).update(tier=tier)
                AlertEvent.objects.create(
                    alert=alert, at=now, kind=AlertEventKind.PASSED_ON, level=alert.level
                )
                title = _("%(point)s: %(level)s warning unacknowledged, passed on (%(rule)s)")
            _notify(alert, title, event_suffix=now.strftime("%Y%m%d%H%M"), now=now)
        count += 1
    return count


# --- no data ----------------------------------------------------------------------------------


def sweep_no_data(now: datetime | None = None) -> int:
    """Open a no-data alert for each device silent for 3 reporting intervals; alerts opened."""
    now = now or timezone.now()
    opened = 0
    rules = Rule.objects.filter(kind=RuleKind.NO_DATA, enabled=True).select_related(
        "device", "point", "point__region"
    )
    latest = dict(
        LatestReading.objects.filter(device__rules__in=rules)
        .values_list("device_id")
        .annotate(last=Max("received_at"))
    )
    for rule in rules:
        last = latest.get(rule.device_id) or rule.device.created
        if now - last <= timedelta(seconds=NO_DATA_INTERVALS * rule.device.interval_seconds):
            continue
        with sqlite_writer(), transaction.atomic():
            _state, alert = _lock(rule)
            if alert is None:
                _open(rule, rule.level, now, None)
                opened += 1
    return opened


# --- camera events ------------------------------------------------------------------------------


def camera_event(device: Device, event_type: str, confidence: float, at: datetime) -> int:
    """Judge a new camera event by the camera's rules; alerts opened. Runs in its transaction.

    An event of a watched type at the rule's confidence opens the rule's alert (an open one
    stays as it is, its value the latest confidence)."""
    opened = 0
    rules = Rule.objects.filter(device=device, kind=RuleKind.CAMERA, enabled=True)
    for rule in rules.select_related("point", "device"):
        if event_type not in rule.event_types or confidence < rule.min_confidence:
            continue
        state, alert = _lock(rule)
        state.last_at = max(filter(None, [state.last_at, at]))
        state.save(update_fields=["last_at"])
        if alert is None:
            _open(rule, rule.level, at, confidence)
            opened += 1
    return opened


def sweep_cameras(now: datetime | None = None) -> int:
    """Resolve camera alerts whose camera saw nothing of their kind for ``clear_seconds``."""
    now = now or timezone.now()
    resolved = 0
    for alert in Alert.objects.filter(
        rule__kind=RuleKind.CAMERA, state__in=OPEN_STATES
    ).select_related("rule", "rule__state", "point", "point__region"):
        last = alert.rule.state.last_at or alert.opened_at
        if now - last < timedelta(seconds=max(alert.rule.clear_seconds, 60)):
            continue
        with sqlite_writer(), transaction.atomic():
            _state, still_open = _lock(alert.rule)
            if still_open is not None:
                resolve(still_open, now, None)
                resolved += 1
    return resolved
