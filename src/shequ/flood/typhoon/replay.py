"""Replaying the typhoon (``plan.py``) through the same services as real gauges and people.

Readings are published to the broker and stored by the running ingester (``broker.py``)
when there is one, else go through ``ingest.ingest_many`` (what that ingester calls); camera
events go through ``cameras.record_event`` (the HTTP endpoint's service), people act through
the alert, task and response services once the step's readings are stored, and the worker's
camera sweep runs at each step's time.

Where the storm sits in time is decided once (``reserve``) and kept in the audit log with
how far the replay got: six hours ending now on a fresh demo (the demo's quiet week leaves
that window empty, see ``demo.py``), or just after the gauges' last reading when they already
report up to now. Running the scenario again replays the same steps: a reading already stored
is a duplicate, a camera event a replay, and the steps the audit log says are done are not
acted again, so nothing is doubled. People act at the storm's time (``core.clock``), so an
acknowledgement comes minutes after the reading that fired the alert, as it would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone

from shequ.core import clock
from shequ.core.models import AuditEvent, Region
from shequ.core.services.audit import record
from shequ.flood.models import (
    OPEN_STATES,
    RESPONSE_BY_NAME,
    Alert,
    Device,
    LatestReading,
    Task,
)
from shequ.flood.services import alerts, cameras, ingest, response, sweeps, tasks
from shequ.flood.services.ingest import ReadingRow
from shequ.flood.typhoon import broker, plan, snapshot

ACTION = "flood.demo.typhoon"
VILLAGE = "990102001201"


@dataclass(frozen=True)
class Reserved:
    anchor: datetime  # the time of step 0
    seed: int
    done: int  # the last step replayed; -1 for none

    def at(self, step: int) -> datetime:
        return self.anchor + plan.STEP * step


def reserved() -> Reserved | None:
    """The storm's place in time and progress, if the scenario was ever started."""
    last = AuditEvent.objects.filter(action=ACTION).order_by("-id").first()
    if last is None:
        return None
    d = last.details
    return Reserved(datetime.fromisoformat(d["anchor"]), int(d["seed"]), int(d["done"]))


def window() -> tuple[datetime, datetime] | None:
    """Where the demo's quiet readings must not go: the storm's hours [start, end), and
    everything after its start until it has been replayed to its end (a quiet reading newer
    than the storm's would make the rules ignore the storm as late)."""
    found = reserved()
    if found is None:
        return None
    over = found.done >= plan.STEPS - 1
    return found.anchor, found.at(plan.STEPS) if over else datetime.max.replace(tzinfo=UTC)


def reserve(seed: int = plan.DEFAULT_SEED, now: datetime | None = None) -> Reserved:
    """Place the storm in time once: ending now, or after the gauges' last reading."""
    found = reserved()
    if found is not None:
        return found
    now = (now or timezone.now()).astimezone(UTC).replace(second=0, microsecond=0)
    anchor = now - timedelta(minutes=now.minute % 10) - plan.SPAN
    latest = LatestReading.objects.filter(device__point__region__code=VILLAGE).aggregate(
        at=Max("at")
    )["at"]
    if latest is not None and latest >= anchor:
        latest = latest.astimezone(UTC).replace(second=0, microsecond=0)
        anchor = latest - timedelta(minutes=latest.minute % 10) + timedelta(minutes=10)
    return _mark(Reserved(anchor, seed, -1))


def _mark(state: Reserved) -> Reserved:
    village = Region.objects.filter(code=VILLAGE).first()
    record(
        ACTION, obj=village, region_code=VILLAGE,
        anchor=state.anchor.isoformat(), seed=state.seed, done=state.done,
    )  # fmt: skip
    return state


@dataclass
class Summary:
    steps: int = 0
    stored: int = 0
    duplicates: int = 0
    alerts_changed: int = 0
    camera_events: int = 0
    acts: list[str] = field(default_factory=list)
    via: str = broker.DIRECT
    published: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "alerts_changed": self.alerts_changed,
            "camera_events": self.camera_events,
            "acts": len(self.acts),
            "via": self.via,
            "published": self.published,
        }


Say = Callable[[str], None]


def run(
    *,
    seed: int = plan.DEFAULT_SEED,
    until: int = plan.STEPS - 1,
    pace: float = 0.0,
    say: Say = lambda _line: None,
    via: str = "auto",
) -> Summary:
    """Replay steps up to ``until`` (inclusive), ``pace`` seconds apart (0: at once); the
    readings ``via`` the broker and its ingester or directly (``broker.choose``)."""
    state = reserve(seed)
    if state.seed != seed:
        say(f"typhoon: replaying the storm placed earlier with seed {state.seed}")
    gauges = list(
        Device.objects.select_related("point", "point__region")
        .filter(point__region__code=VILLAGE, code__in=list(plan.COURSES))
        .order_by("code")
    )
    series = {g.code: plan.readings(g.code, g.kind, state.seed) for g in gauges}
    route = broker.choose(via)
    summary = Summary(via=route.name)
    done = state.done
    try:
        for step in range(until + 1):
            if pace and step:
                time.sleep(pace)
            _step(state, step, gauges, series, summary, route, act=step > state.done)
            done = max(done, step)
    finally:
        route.close()
        summary.published = route.published
        if done != state.done:
            _mark(Reserved(state.anchor, state.seed, done))
    how = (
        f"readings via MQTT: {summary.published} published to the broker, stored by {route.reason}"
        if route.name == broker.MQTT
        else f"readings ingested directly ({route.reason})"
    )
    say(
        f"typhoon: {summary.steps} steps from {state.anchor:%Y-%m-%d %H:%M} UTC, "
        f"{summary.stored} readings stored ({summary.duplicates} already there), "
        f"{summary.alerts_changed} alert changes, {len(summary.acts)} actions; {how}"
    )
    return summary


def _step(
    state: Reserved,
    step: int,
    gauges: list[Device],
    series: dict[str, list[float]],
    summary: Summary,
    route: broker.Route,
    *,
    act: bool,
) -> None:
    at = state.at(step)
    batches = [(g, [ReadingRow(time=at, value=series[g.code][step])]) for g in gauges]
    if route.name == broker.MQTT:  # published, then stored by the ingester: waited for
        sent = broker.send(route, at, batches)
        summary.stored += sent.stored
        summary.duplicates += sent.duplicates
        summary.alerts_changed += sent.alerts_changed
    else:
        for outcome in ingest.ingest_many(batches):
            summary.stored += outcome.stored
            summary.duplicates += outcome.duplicates
            summary.alerts_changed += outcome.alerts_changed
    for shot in plan.CAMERA:
        if shot.step == step:
            summary.camera_events += _shoot(state, shot, series["W01"][step])
    summary.alerts_changed += sweeps.sweep_cameras(now=at)  # the worker's sweep, at this time
    if act:
        for deed in plan.ACTS:
            if deed.step == step:
                with clock.acting_at(at + ACT_AFTER):
                    _act(deed)
                summary.acts.append(f"{deed.what} {deed.target}")
    summary.steps += 1


def _shoot(state: Reserved, shot: plan.CameraShot, depth: float) -> int:
    camera = Device.objects.select_related("point", "point__region").get(code=shot.camera)
    picture = snapshot.png(depth, trapped=shot.type == "vehicle_trapped")
    event = cameras.EventIn(
        event_id=f"typhoon-{state.anchor:%Y%m%d%H%M}-{shot.step}-{shot.type}",
        at=state.at(shot.step),
        type=shot.type,
        confidence=shot.confidence,
        boxes=[[0.35, 0.45, 0.3, 0.25]] if shot.type == "vehicle_trapped" else [],
        image=picture,
    )
    return 0 if cameras.record_event(camera, event).replayed else 1


ACT_AFTER = timedelta(minutes=2)  # people act a little after the reading that moved them


def _act(deed: plan.Act) -> None:
    user = get_user_model().objects.get(username=deed.who)
    if deed.what == "response":
        street = Region.objects.get(code=plan.STREET)
        response.set_level(user, street, RESPONSE_BY_NAME[deed.target], deed.text)
        return
    alert = _alert(deed.target)
    if deed.what in ("start", "finish"):
        task = Task.objects.filter(alert=alert, key=f"typhoon-{deed.task}").first()
        if task is not None and task.is_open and deed.what == "start":
            tasks.start(user, task)
        elif task is not None and task.is_open:
            tasks.finish(user, task, deed.text)
    elif alert is None or alert.state not in OPEN_STATES:
        return  # the seed's noise kept this rule quiet, or it is over already
    elif deed.what == "acknowledge":
        alerts.acknowledge(user, alert, deed.text)
    elif deed.what == "close":
        alerts.close(user, alert, deed.text)
    elif deed.what == "task":
        tasks.create(user, alert, deed.task, note=deed.text, key=f"typhoon-{deed.task}")


def _alert(target: str) -> Alert | None:
    """The newest alert of ``point:rule kind[:camera event type]``."""
    point, kind, *seen = target.split(":")
    found = (
        Alert.objects.filter(point__code=point, rule__kind=kind)
        .select_related("point", "point__region", "rule", "rule__device")
        .order_by("-opened_at", "-id")
    )
    for alert in found:
        if not seen or seen[0] in alert.rule.event_types:
            return alert
    return None
