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
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shequ.access.models import AccessEvent, Colour, Credential, Device, VisitorPass
from shequ.access.providers import Finding, Subject, providers
from shequ.access.services import alerts, passes
from shequ.access.services.credentials import ref_hash
from shequ.core.errors import Invalid
from shequ.core.models import Person
from shequ.core.services import fastsql

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


@dataclass
class _Outcome:
    allow: bool
    colour: str
    display: str
    reasons: list[str]
    findings: list[Finding] = field(default_factory=list)
    credential: Credential | None = None
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


def _credential(device: Device, method: str, value: str) -> Credential | None:
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
    person = Person(id=row[2], id_number_hash=row[3], name_masked=row[4])
    person._state.adding = False
    credential = Credential(id=row[0], active=bool(row[1]), person=person, kind=method)
    credential._state.adding = False
    return credential


def check(device: Device, item: CheckIn, *, offline_allow: bool | None = None) -> Decision:
    """Decide at ``device`` (or replay the first answer to the same event id).

    ``offline_allow``: the event was decided by the device from its allow-list while offline
    and is uploaded now; what the door did is recorded, with today's reasons beside it (an
    abnormal status still alerts the staff, late).
    """
    if item.method not in METHODS:
        raise Invalid("unknown method", fields={"method": ["face, card or qr"]})
    first = _replay(device, item.event_id)
    if first is not None:
        return first
    try:
        with transaction.atomic():  # a visitor pass's use counts only with its event
            outcome = _decide(device, item)
            if offline_allow is not None:
                outcome.allow = offline_allow
                outcome.reasons = [*outcome.reasons, "decided_offline"]
            event = _record(device, item, outcome, offline_allow is not None)
            if any(f.alert for f in outcome.findings) and event.person_id is not None:
                alerts.raise_for(event)
    except IntegrityError:  # the same event id, decided at the same moment by another process
        earlier = AccessEvent.objects.get(device=device, event_id=item.event_id)
        return Decision.of(earlier, replayed=True)
    return Decision.of(event, replayed=False)


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
    subject = Subject(credential.person.id_number_hash, device.point.region.code)
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


def _record(device: Device, item: CheckIn, outcome: _Outcome, offline: bool) -> AccessEvent:
    credential = outcome.credential
    person = credential.person if credential is not None else None
    subject = person.name_masked if person is not None else ""
    if outcome.visitor_pass is not None:
        subject = outcome.visitor_pass.visitor_masked
    event = AccessEvent(
        region=device.point.region,
        point=device.point,
        device=device,
        event_id=item.event_id,
        method=item.method,
        at=item.at,
        credential=credential,
        visitor_pass=outcome.visitor_pass,
        person=person,
        subject_masked=subject,
        allow=outcome.allow,
        colour=outcome.colour,
        display=outcome.display,
        reasons=outcome.reasons,
        abnormal=any(f.alert for f in outcome.findings),
        offline=offline,
    )
    return fastsql.insert(event)  # AccessEvent has no signal receivers
