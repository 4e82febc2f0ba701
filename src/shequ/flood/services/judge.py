"""Judging what devices report by their rules: readings as they arrive, camera events.

Each rule's evaluation locks its ``RuleState`` row, so two readings of the same rule queue
instead of both deciding to open an alert; the alert itself lives in ``services/alerts.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection

from shequ.core.models import Region
from shequ.flood import evaluation as ev
from shequ.flood.models import (
    OPEN_STATES,
    Alert,
    Device,
    MonitoringPoint,
    Reading,
    Rule,
    RuleKind,
    RuleState,
)
from shequ.flood.services import alerts, rawsql, response, roster

Series = Sequence[tuple[datetime, float]]


def evaluate(device: Device, new: Series, now: datetime) -> int:
    """Judge the device's new readings (sorted by time) by each of its rules; alerts changed.

    Runs inside the ingesting transaction.
    """
    return evaluate_many([(device, new)], now).get(device.pk, 0)


# A batch's readings within this span share one history query; beyond it (a backfill), one
# query per device.
HISTORY_SPAN = timedelta(days=1)


@dataclass
class Judged:
    """A rule and its locked state, as evaluation needs them: plain values, not models (a batch
    of 500 gauges has 1,500 rules, whose model instances cost more than judging them). The
    rule's model is loaded only when one of its alerts changes."""

    rule_id: int
    kind: str
    device_id: int
    region_code: str
    thresholds: tuple[float | None, float | None, float | None, float | None]
    window_minutes: int
    pending_seconds: int
    clear_margin: float
    clear_seconds: int
    state: ev.State  # its ``open_level`` is set from the open alert


_DATETIMES = (12, 14, 15)  # last_at, pending_since, clear_since in ``_lock_many``'s rows


def evaluate_many(items: Sequence[tuple[Device, Series]], now: datetime) -> dict[int, int]:
    """Judge several devices' new readings (each sorted by time); alerts changed per device.

    A constant number of queries for the batch (the rules with their states locked in rule
    order, their open alerts, the history the rates and sums need, the states written back),
    whatever the number of devices; an alert that fires, escalates or resolves costs its own
    writes. Runs inside the ingesting transaction.
    """
    series = {device.pk: new for device, new in items if new}
    changed = dict.fromkeys(series, 0)
    if not series:
        return changed
    rules, open_alerts = _lock_many(sorted(series))
    history = _history(rules, series)
    saved: list[Judged] = []
    moved: list[tuple[Judged, int | None, list[ev.Change]]] = []
    over: list[tuple[Judged, int]] = []  # no-data alerts a reading ends
    # a region's emergency response tightens its thresholds
    factors = response.threshold_factors({rule.region_code for rule in rules})
    for rule in rules:
        alert_id, level = open_alerts.get(rule.rule_id, (None, 0))
        if rule.kind == RuleKind.NO_DATA:
            if alert_id is not None:
                over.append((rule, alert_id))
            continue
        derived = _derived(rule, series[rule.device_id], history.get(rule.device_id, []))
        if derived:
            changes = _step(rule, derived, level, factors[rule.region_code])
            if changes:
                moved.append((rule, alert_id, changes))
            saved.append(rule)
    _save_states(saved)
    if not (moved or over):
        return changed
    # The alerts that change and their rules' models, one query each.
    instances = Alert.objects.in_bulk(
        [alert_id for _r, alert_id in over]
        + [alert_id for _r, alert_id, _c in moved if alert_id is not None]
    )
    models = Rule.objects.select_related("device", "point__region").in_bulk(
        [rule.rule_id for rule, _a, _c in moved]
    )
    with roster.batch():  # the alerts' shifts, silences and channels read once
        for rule, alert_id in over:
            alerts.resolve(instances[alert_id], now, None)
            changed[rule.device_id] += 1
        for rule, alert_id, changes in moved:
            model = models[rule.rule_id]
            alert = None if alert_id is None else instances[alert_id]
            for change in changes:
                alert = _apply(model, alert, change)
                changed[rule.device_id] += 1
    return changed


def _save_states(rules: list[Judged]) -> None:
    """Write the judged states back: one statement, executed for each (Django's bulk_update
    builds a CASE per row and field, which cost more than the whole batch's evaluation)."""
    if not rules:
        return
    table = connection.ops.quote_name(RuleState._meta.db_table)
    adapt = rawsql.datetime_adapter()
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET last_at = %s, pending_level = %s, pending_since = %s, "
            "clear_since = %s WHERE rule_id = %s",
            [
                (
                    adapt(r.state.last_at),
                    r.state.pending_level,
                    adapt(r.state.pending_since),
                    adapt(r.state.clear_since),
                    r.rule_id,
                )
                for r in rules
            ],
        )


def _lock_many(device_ids: list[int]) -> tuple[list[Judged], dict[int, tuple[int, int]]]:
    """The devices' enabled reading rules with their states, and their open alerts (rule ->
    alert id and level), locked in rule order (so batches queue, never deadlock); a state
    missing is made first. Plain SQL and values: compiling the ORM's queries (an ``IN`` of 500
    devices) and making alert instances cost more than running them."""
    _make_missing_states(device_ids)
    t, marks = rawsql.table, rawsql.marks(len(device_ids))
    rows = rawsql.fetch(
        "SELECT s.rule_id, r.kind, r.device_id, g.code, r.blue, r.yellow, r.orange, r.red, "
        "r.window_minutes, r.pending_seconds, r.clear_margin, r.clear_seconds, s.last_at, "
        f"s.pending_level, s.pending_since, s.clear_since FROM {t(RuleState)} s "
        f"JOIN {t(Rule)} r ON r.id = s.rule_id JOIN {t(MonitoringPoint)} p ON p.id = r.point_id "
        f"JOIN {t(Region)} g ON g.id = p.region_id WHERE r.device_id IN ({marks}) "
        f"AND r.enabled = %s AND r.kind <> %s ORDER BY s.rule_id{rawsql.for_update('s')}",
        [*device_ids, True, RuleKind.CAMERA.value],
        datetimes=_DATETIMES,
    )
    rules = [_judged(*row) for row in rows]
    locked = rawsql.fetch(
        f"SELECT a.rule_id, a.id, a.level FROM {t(Alert)} a JOIN {t(Rule)} r ON r.id = a.rule_id "
        f"WHERE r.device_id IN ({marks}) AND a.state IN (%s, %s) "
        f"ORDER BY a.rule_id{rawsql.for_update('a')}",
        [*device_ids, *(state.value for state in OPEN_STATES)],
    )
    return rules, {rule_id: (alert_id, level) for rule_id, alert_id, level in locked}


def _judged(rule_id: int, kind: str, device_id: int, region: str, *rest: Any) -> Judged:
    blue, yellow, orange, red, window, pending, margin, clear, *state = rest
    last_at, pending_level, pending_since, clear_since = state
    return Judged(
        rule_id, kind, device_id, region, (blue, yellow, orange, red), window, pending, margin,
        clear, ev.State(0, last_at, pending_level, pending_since, clear_since),
    )  # fmt: skip


def _make_missing_states(device_ids: list[int]) -> None:
    """A state row for each rule of the devices without one (``devices.add_rule`` makes it with
    the rule; this is the backstop): one statement that inserts nothing as a rule."""
    state = connection.ops.quote_name(RuleState._meta.db_table)
    rule = connection.ops.quote_name(Rule._meta.db_table)
    marks = ", ".join(["%s"] * len(device_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {state} (rule_id, pending_level) SELECT r.id, 0 FROM {rule} r "
            f"WHERE r.device_id IN ({marks}) AND NOT EXISTS "
            f"(SELECT 1 FROM {state} s WHERE s.rule_id = r.id) ON CONFLICT DO NOTHING",
            device_ids,
        )


def _history(
    rules: list[Judged], series: dict[int, Series]
) -> dict[int, list[tuple[datetime, float]]]:
    """Each device's readings (sorted) over its windowed rules' reach before its new ones."""
    reach: dict[int, timedelta] = {}
    windows: dict[int, set[timedelta]] = {}
    rainfall: set[int] = set()
    for rule in rules:
        if rule.kind in (RuleKind.RATE_OF_RISE, RuleKind.RAINFALL):
            window = timedelta(minutes=rule.window_minutes)
            reach[rule.device_id] = max(reach.get(rule.device_id, window), window)
            windows.setdefault(rule.device_id, set()).add(window)
            if rule.kind == RuleKind.RAINFALL:
                rainfall.add(rule.device_id)
    if not reach:
        return {}
    # A gauge with one new reading and only rates of rise needs, for each window, the oldest
    # reading in it (``ev.rise_over``), not the whole window's history.
    oldest = {d: spans for d, spans in windows.items() if len(series[d]) == 1 and d not in rainfall}
    out = _oldest_in_windows(oldest, series)
    spans = {
        d: (series[d][0][0] - w, series[d][-1][0]) for d, w in reach.items() if d not in oldest
    }
    if not spans:
        return out
    lo, hi = min(s[0] for s in spans.values()), max(s[1] for s in spans.values())
    groups = [list(spans)] if hi - lo <= HISTORY_SPAN else [[d] for d in spans]
    adapt = rawsql.datetime_adapter()
    for devices in groups:
        start = min(spans[d][0] for d in devices)
        end = max(spans[d][1] for d in devices)
        rows = rawsql.fetch(
            f"SELECT device_id, at, value FROM {rawsql.table(Reading)} "
            f"WHERE device_id IN ({rawsql.marks(len(devices))}) AND at >= %s AND at <= %s "
            "ORDER BY device_id, at",
            [*devices, adapt(start), adapt(end)],
            datetimes=(1,),
        )
        for device_id, at, value in rows:
            out.setdefault(device_id, []).append((at, value))
    return out


def _oldest_in_windows(
    windows: dict[int, set[timedelta]], series: dict[int, Series]
) -> dict[int, list[tuple[datetime, float]]]:
    """For each device and window: its oldest reading in ``[at - window, at)`` before its one
    new reading at ``at``, sorted by time (what ``ev.rise_over`` answers from, whatever the
    readings between). One indexed look-up per (device, window), 300 to a statement."""
    wanted = sorted(
        (device, series[device][0][0] - window, series[device][0][0])
        for device, spans in windows.items()
        for window in spans
    )
    out: dict[int, list[tuple[datetime, float]]] = {}
    if not wanted:
        return out
    table = connection.ops.quote_name(Reading._meta.db_table)
    adapt, convert = rawsql.datetime_adapter(), rawsql.datetime_converter()
    for start in range(0, len(wanted), 300):
        chunk = wanted[start : start + 300]
        values = ", ".join(["(%s, %s, %s)"] * len(chunk))
        params: list[Any] = []
        for device, lo, hi in chunk:
            params += [device, adapt(lo), adapt(hi)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH w (device_id, lo, hi) AS (VALUES {values}) "
                f"SELECT w.device_id, r.at, r.value FROM w JOIN {table} r ON r.id = ("
                f"SELECT o.id FROM {table} o WHERE o.device_id = w.device_id "
                "AND o.at >= w.lo AND o.at < w.hi ORDER BY o.at LIMIT 1)",
                params,
            )
            for device, at, value in cursor.fetchall():
                when = convert(at)
                assert when is not None  # a reading's time is never null
                out.setdefault(device, []).append((when, value))
    for rows in out.values():
        rows.sort()
    return out


def _derived(rule: Judged, new: Series, history: Series) -> list[tuple[datetime, float]]:
    """What the rule compares with its thresholds, for each new reading."""
    if rule.kind == RuleKind.THRESHOLD:
        return list(new)
    window = timedelta(minutes=rule.window_minutes)
    if rule.kind == RuleKind.RAINFALL:
        return [(at, ev.accumulated(history, at, window)) for at, _v in new]
    rises = [(at, ev.rise_over(history, at, v, window)) for at, v in new]
    return [(at, r) for at, r in rises if r is not None]


def _step(rule: Judged, series: Series, open_level: int, factor: float = 1.0) -> list[ev.Change]:
    """Step the rule's (locked) state through the values; the alert changes they make, in
    order, for the caller to apply (``_apply``)."""
    spec = ev.Spec(
        response.scaled(rule.thresholds, factor),
        pending=timedelta(seconds=rule.pending_seconds),
        clear_margin=rule.clear_margin,
        clear_after=timedelta(seconds=rule.clear_seconds),
    )
    rule.state.open_level = open_level
    changes = []
    for at, value in series:
        change = ev.step(spec, rule.state, at, value)
        if change is not None:
            changes.append(change)
    return changes


def _apply(rule: Rule, alert: Alert | None, change: ev.Change) -> Alert | None:
    if alert is not None and alert.rule_id == rule.pk and alert.point_id == rule.point_id:
        alert.rule, alert.point = rule, rule.point  # loaded already, with device and region
    if change.kind == ev.RESOLVE:
        if alert is not None:
            alerts.resolve(alert, change.at, change.value)
        return None
    if alert is None:
        return alerts.open_alert(rule, change.level, change.at, change.value)
    if change.level > alert.level:
        alerts.escalate(alert, change.level, change.at, change.value)
    return alert


def camera_event(device: Device, event_type: str, confidence: float, at: datetime) -> int:
    """Judge a new camera event by the camera's rules; alerts opened. Runs in its transaction.

    An event of a watched type at the rule's confidence opens the rule's alert (an open one
    stays as it is, its value the latest confidence)."""
    opened = 0
    rules = Rule.objects.filter(device=device, kind=RuleKind.CAMERA, enabled=True)
    for rule in rules.select_related("point", "device"):
        if event_type not in rule.event_types or confidence < rule.min_confidence:
            continue
        state, alert = alerts.lock(rule)
        state.last_at = max(filter(None, [state.last_at, at]))
        state.save(update_fields=["last_at"])
        if alert is None:
            alerts.open_alert(rule, rule.level, at, confidence)
            opened += 1
    return opened
