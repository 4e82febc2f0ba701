"""The decision at the door: who is this, what the hub says of them, open or not.

``check`` is what every transport calls (the HTTP API today; events a device decided offline
come back through ``offline.upload``). A device's event id makes it idempotent: a repeat
returns the first answer and changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shequ.access.models import AccessEvent, Colour, Credential, Device, VisitorPass
from shequ.access.providers import Finding, Subject, providers
from shequ.access.services import alerts, passes
from shequ.access.services.credentials import ref_hash
from shequ.core.errors import Invalid
from shequ.core.models import Person

METHODS = ("face", "card", "qr")

# What the terminal shows, by outcome (always in the platform's language, zh-Hans by default).
DISPLAY: dict[str, Promise] = {
    "green": _("Green code, please pass"),
    "visitor": _("Visitor, please pass"),
    "yellow": _("Yellow code, please contact the property office"),
    "red": _("Red code, please contact the property office"),
    "refused": _("Please contact the property office"),
    "unknown": _("Not recognised, please contact the property office"),
    "pass": _("Pass not valid, please contact the property office"),
}
_RANK = {Colour.GREEN: 0, Colour.GREY: 1, Colour.YELLOW: 2, Colour.RED: 3}


@dataclass(frozen=True)
class CheckIn:
    event_id: str
    method: str
    value: str
    at: datetime


@dataclass
class Decision:
    event_id: str
    allow: bool
    colour: str
    display: str
    reasons: list[str] = field(default_factory=list)
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "allow": self.allow,
            "colour": self.colour,
            "display": self.display,
            "reasons": self.reasons,
            "replayed": self.replayed,
        }

    @classmethod
    def of(cls, event: AccessEvent, *, replayed: bool) -> Decision:
        return cls(
            event.event_id, event.allow, event.colour, event.display, event.reasons, replayed
        )


@dataclass(frozen=True)
class _Credential:
    """The hot path's view of a credential row and its person (no model instances)."""

    id: int
    active: bool
    person_id: int
    id_hash: str
    name_masked: str


@dataclass
class _Outcome:
    allow: bool
    colour: str
    display: str
    reasons: list[str]
    findings: list[Finding] = field(default_factory=list)
    credential: _Credential | None = None
    visitor_pass: VisitorPass | None = None


_texts: dict[tuple[str, str], str] = {}


def _text(key: str) -> str:
    language = settings.LANGUAGE_CODE
    text = _texts.get((language, key))
    if text is None:
        with translation.override(language):
            text = _texts[(language, key)] = str(DISPLAY[key])
    return text


# The hot path (every door, every few seconds) runs its two reads as plain SQL: building an
# ORM query cost more than running it (~1 ms against ~0.1 ms on SQLite, bench/access.py).
_EVENT = AccessEvent._meta.db_table
_CREDENTIAL, _PERSON = Credential._meta.db_table, Person._meta.db_table


def _replay(device: Device, event_id: str) -> Decision | None:
    sql = (
        f"SELECT allow, colour, display, reasons FROM {_EVENT} "
        "WHERE device_id = %s AND event_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [device.pk, event_id])
        row = cursor.fetchone()
    if row is None:
        return None
    reasons = json.loads(row[3]) if isinstance(row[3], str) else row[3]
    return Decision(event_id, bool(row[0]), row[1], row[2], list(reasons), replayed=True)


def _credential(device: Device, method: str, value: str) -> _Credential | None:
    sql = (
        f"SELECT c.id, c.active, p.id, p.id_number_hash, p.name_masked FROM {_CREDENTIAL} c "
        f"JOIN {_PERSON} p ON p.id = c.person_id "
        "WHERE c.region_id = %s AND c.kind = %s AND c.ref_hash = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [device.point.region_id, method, ref_hash(method, value)])
        row = cursor.fetchone()
    if row is None:
        return None
    return _Credential(row[0], bool(row[1]), row[2], row[3] or "", row[4] or "")


def check(device: Device, item: CheckIn, *, offline_allow: bool | None = None) -> Decision:
    """Decide at ``device`` (or replay the first answer to the same event id).

    ``offline_allow``: the event was decided by the device from its allow-list while offline
    and is uploaded now; what the door did is recorded, with today's reasons beside it (an
    abnormal status still alerts the staff, late).

    The reads that decide a face or card (its credential, the providers' snapshots) run
    before the write; a face or card without an alert is one INSERT committed alone, else a
    transaction records the event (and, for a QR pass, counts its use; for an abnormal
    status, the alert). On SQLite it waits its turn in
    the writer queue (``core.sqlite``) instead of SQLite's busy sleeps. A repeated
    event id is caught by the event's unique constraint: the transaction rolls back (a pass
    use with it) and the first answer is returned, so a repeat costs no read up front.
    """
    if item.method not in METHODS:
        raise Invalid("unknown method", fields={"method": ["face, card or qr"]})
    outcome = None if item.method == "qr" else _decide(device, item)
    try:
        if outcome is not None and offline_allow is None and _alone(outcome):
            # The event alone, one INSERT: it commits by itself, with no BEGIN and COMMIT
            # around it, so the writer queue is held for the statement only (bench/access.py).
            event = _record(device, item, outcome, False)
            return Decision(
                item.event_id, event.allow, event.colour, event.display, list(event.reasons)
            )
        with transaction.atomic():  # a visitor pass's use counts only with its event
            if outcome is None:
                outcome = _visitor(device, item)
            if offline_allow is not None:
                outcome.allow = offline_allow
                outcome.reasons = [*outcome.reasons, "decided_offline"]
            event = _record(device, item, outcome, offline_allow is not None)
    except IntegrityError:  # the same event id: recorded before, or by another process now
        first = _replay(device, item.event_id)
        if first is None:
            raise
        return first
    return Decision(
        item.event_id, event.allow, event.colour, event.display, list(event.reasons), False
    )


def _alerts(outcome: _Outcome) -> bool:
    return any(f.alert for f in outcome.findings)


def _alone(outcome: _Outcome) -> bool:
    """Whether the event is the only write (no alert) and no caller's transaction is open (a
    repeated event id's error would break that transaction without a savepoint of its own)."""
    return not _alerts(outcome) and not connection.in_atomic_block


def _decide(device: Device, item: CheckIn) -> _Outcome:
    if item.method == "qr":
        return _visitor(device, item)
    credential = _credential(device, item.method, item.value)
    if credential is None:
        return _Outcome(False, Colour.GREY, _text("unknown"), ["unknown_credential"])
    if not credential.active:
        return _Outcome(
            False, Colour.GREY, _text("unknown"), ["credential_inactive"], credential=credential
        )
    subject = Subject(credential.id_hash, device.point.region.code)
    findings = [p.answer(subject) for p in providers()] if subject.id_hash else []
    colour = max((f.colour for f in findings), key=lambda c: _RANK[Colour(c)], default="green")
    refused = [f for f in findings if f.refuse]
    reasons = [f.reason for f in findings]
    if not refused:
        return _Outcome(True, Colour.GREEN, _text("green"), reasons, findings, credential)
    key = colour if colour in ("yellow", "red") and refused[0].provider == "health" else "refused"
    return _Outcome(False, colour, _text(key), reasons, findings, credential)


def _visitor(device: Device, item: CheckIn) -> _Outcome:
    visitor_pass = passes.find(item.value)
    if visitor_pass is None:
        return _Outcome(False, Colour.GREY, _text("pass"), ["pass_unknown"])
    why = passes.refusal(visitor_pass, device.point, item.at)
    if not why and not passes.use(visitor_pass):
        why = "pass_used_up"
    if why:
        return _Outcome(False, Colour.GREY, _text("pass"), [why], visitor_pass=visitor_pass)
    return _Outcome(True, Colour.GREEN, _text("visitor"), ["pass_valid"], visitor_pass=visitor_pass)


# The event's INSERT, written out: building a model instance and converting its 17 fields one
# by one through Django cost ~1.5 ms a check (cProfile), more than the statement and its commit.
# ``tests/access/services/test_decide.py`` checks that these are all of the model's columns and
# that a row written here reads back as the ORM would have written it.
INSERT_COLUMNS = (
    "region_id",
    "point_id",
    "device_id",
    "event_id",
    "method",
    "at",
    "received_at",
    "credential_id",
    "visitor_pass_id",
    "person_id",
    "subject_masked",
    "allow",
    "colour",
    "display",
    "reasons",
    "abnormal",
    "offline",
)
_REASONS = AccessEvent._meta.get_field("reasons")
_inserts: dict[str, str] = {}


def _insert_sql() -> str:
    sql = _inserts.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in INSERT_COLUMNS)
        marks = ", ".join(["%s"] * len(INSERT_COLUMNS))
        sql = _inserts[connection.vendor] = (
            f"INSERT INTO {quote(_EVENT)} ({columns}) VALUES ({marks}) RETURNING {quote('id')}"
        )
    return sql


@dataclass(frozen=True)
class _Recorded:
    pk: int
    allow: bool
    colour: str
    display: str
    reasons: list[str]
    abnormal: bool
    person_id: int | None


def _record(device: Device, item: CheckIn, outcome: _Outcome, offline: bool) -> _Recorded:
    credential = outcome.credential
    subject = credential.name_masked if credential is not None else ""
    visitor_pass = outcome.visitor_pass
    if visitor_pass is not None:
        subject = visitor_pass.visitor_masked
    point = device.point
    abnormal = _alerts(outcome)
    person_id = credential.person_id if credential is not None else None
    adapt = connection.ops.adapt_datetimefield_value
    params = [
        point.region_id,
        point.pk,
        device.pk,
        item.event_id,
        item.method,
        adapt(item.at),
        adapt(timezone.now()),
        credential.id if credential is not None else None,
        visitor_pass.pk if visitor_pass is not None else None,
        person_id,
        subject,
        outcome.allow,
        outcome.colour,
        outcome.display,
        _REASONS.get_db_prep_save(outcome.reasons, connection),
        abnormal,
        offline,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(), params)
        pk = cursor.fetchone()[0]
    recorded = _Recorded(
        pk, outcome.allow, outcome.colour, outcome.display, outcome.reasons, abnormal, person_id
    )
    if abnormal and person_id is not None:
        event = AccessEvent(
            pk=pk,
            region=point.region,
            point=point,
            device=device,
            event_id=item.event_id,
            method=item.method,
            at=item.at,
            person_id=person_id,
            subject_masked=subject,
            allow=outcome.allow,
            colour=outcome.colour,
            display=outcome.display,
            reasons=outcome.reasons,
            abnormal=True,
            offline=offline,
        )
        event._state.adding = False
        alerts.raise_for(event)
    return recorded
