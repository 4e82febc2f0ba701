"""Clear plates for the people who manage a garage, one audited look at a time.

Operator and staff pages show plates masked. A clear plate is shown once, after the user gives
a reason, to the garage's operators and to staff of its region who may see clear personal
data (``Perm.REVEAL_PII``); every reveal is an audit event with the reason and never the plate.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shequ.core import pii
from shequ.core.permissions import Perm, can
from shequ.core.services.audit import record
from shequ.core.types import Requester, User
from shequ.parking.models import Garage, GateEvent, Pass, Presence
from shequ.parking.services.access import can_manage_garage, is_operator_of

KINDS = ("event", "presence", "pass")


@dataclass(frozen=True)
class Target:
    """What a reveal is about: the object, its garage and the masked plates shown for it."""

    kind: str
    obj: Model
    garage: Garage
    masked: list[str]


def can_reveal(user: Requester, garage: Garage) -> bool:
    if not can_manage_garage(user, garage):
        return False
    return is_operator_of(user, garage) or can(user, Perm.REVEAL_PII, garage.region)


def target(kind: str, obj_id: int) -> Target | None:
    """The event, presence or pass by id (None: no such thing)."""
    if kind == "event":
        event = GateEvent.objects.select_related("garage__region").filter(pk=obj_id).first()
        if event is not None and event.plate_enc:
            return Target(kind, event, event.garage, [event.plate_masked])
    elif kind == "presence":
        inside = Presence.objects.select_related("garage__region").filter(pk=obj_id).first()
        if inside is not None:
            return Target(kind, inside, inside.garage, [inside.plate_masked])
    elif kind == "pass":
        held = Pass.objects.select_related("garage__region").filter(pk=obj_id).first()
        if held is not None:
            return Target(kind, held, held.garage, [p.plate_masked for p in held.plates.all()])
    return None


def _clear_plates(found: Target) -> list[str]:
    obj = found.obj
    if isinstance(obj, GateEvent):
        return [pii.decrypt(obj.plate_enc)]
    if isinstance(obj, Pass):
        return [pii.decrypt(p.plate_enc) for p in obj.plates.all()]
    assert isinstance(obj, Presence)
    # A presence keeps only the hash: the pass's plate or the car's latest read has it in clear.
    if obj.pass_obj_id is not None:
        plate = obj.pass_obj.plates.filter(plate_hash=obj.plate_hash).first()  # type: ignore[union-attr]
        if plate is not None:
            return [pii.decrypt(plate.plate_enc)]
    read = (
        GateEvent.objects.filter(garage=obj.garage, plate_hash=obj.plate_hash)
        .exclude(plate_enc="")
        .order_by("-at")
        .first()
    )
    return [pii.decrypt(read.plate_enc)] if read is not None else []


def reveal(
    actor: User, found: Target, *, reason: str, request: HttpRequest | None = None
) -> list[str]:
    """The clear plates of ``found``, after checking who asks and why; audited."""
    if not can_reveal(actor, found.garage):
        raise PermissionDenied(_("You may not see this plate in clear."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why you need the clear plate.")]})
    clear = _clear_plates(found)
    record(
        f"parking.{found.kind}.reveal",
        actor=actor,
        obj=found.obj,
        region_code=found.garage.region.code,
        request=request,
        reason=reason.strip(),
        garage=found.garage.code,
    )
    return clear
