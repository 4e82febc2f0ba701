"""Residents apply with their plates; hub data verifies them, or staff review their proof."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core import pii
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.parking.models import MAX_PLATES, Application, Estate, Garage, PriorityGroup
from shequ.parking.services import plates as plate_svc
from shequ.parking.services import verification
from shequ.parking.services.access import require_staff
from shequ.parking.services.errors import Conflict
from shequ.parking.services.garages import walking_metres
from shequ.parking.services.residents import account_of, phone_of

OPEN = (
    Application.Status.VERIFIED,
    Application.Status.NEEDS_PROOF,
    Application.Status.IN_REVIEW,
    Application.Status.APPROVED,
)


def _clean_plates(raw: list[str]) -> list[str]:
    clean: list[str] = []
    problems: list[str] = []
    for value in raw:
        try:
            plate = plate_svc.normalize(value)
        except ValidationError as exc:
            problems.extend(exc.messages)
            continue
        if plate not in clean:
            clean.append(plate)
    if problems:
        raise ValidationError({"plates": problems})
    if not 1 <= len(clean) <= MAX_PLATES:
        raise ValidationError({"plates": [_("Apply with one or two plates.")]})
    return clean


def _clean_preferences(estate: Estate, preferences: list[int]) -> tuple[list[int], dict[str, int]]:
    garages = {g.pk: g for g in Garage.objects.filter(pk__in=preferences)}
    unknown = [p for p in preferences if p not in garages]
    if unknown:
        raise ValidationError(
            {"preferences": [_("No such garage: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}]}
        )
    ranked = list(dict.fromkeys(preferences))
    walking = {
        str(pk): walking_metres(estate.lat, estate.lon, garages[pk].lat, garages[pk].lon)
        for pk in ranked
    }
    return ranked, walking


def apply(
    resident: User,
    estate: Estate,
    *,
    plates: list[str],
    name: str = "",
    id_number: str = "",
    preferences: list[int] | None = None,
    priority_group: str = PriorityGroup.NO_SPACE,
) -> Application:
    """File an application and verify it against the hub at once."""
    account = account_of(resident)
    if account is None:
        raise PermissionDenied(_("Log in with your phone number first."))
    errors: dict[str, list[str]] = {}
    try:
        clean = _clean_plates(plates)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    id_clean = ""
    if id_number.strip():
        try:
            id_clean = pii.validate_id_number(id_number)
        except ValidationError as exc:
            errors["id_number"] = list(exc.messages)
    if priority_group not in PriorityGroup.values:
        errors["priority_group"] = [
            _("Choose one of: %(v)s.") % {"v": ", ".join(PriorityGroup.values)}
        ]
    try:
        ranked, walking = _clean_preferences(estate, preferences or [])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    hashes = [plate_svc.plate_hash(p) for p in clean]
    mine = Application.objects.filter(resident=resident, status__in=OPEN)
    if any(set(hashes) & set(a.plate_hashes) for a in mine):
        raise Conflict(_("You have an open application for this plate already."), "duplicate")
    app = Application(
        resident=resident,
        estate=estate,
        plates_enc=pii.encrypt(json.dumps(clean)),
        plate_hashes=hashes,
        plates_masked=[pii.mask_plate(p) for p in clean],
        name_enc=pii.encrypt(name.strip()) if name.strip() else "",
        name_masked=pii.mask_name(name) if name.strip() else "",
        id_number_hash=pii.lookup_hash("id_card", id_clean) if id_clean else "",
        preferences=ranked,
        walking_m=walking,
        priority_group=priority_group,
        status=Application.Status.NEEDS_PROOF,
    )
    app.save()
    # The hub query runs outside any transaction: it must not hold the database's write lock.
    result = verification.check(
        region_code=estate.region.code,
        phone=phone_of(account),
        id_number=id_clean,
        plates=clean,
        purpose=f"parking application {app.pk}: residence and plate ownership",
    )
    app.verification = {
        "residence": result.residence,
        "plates": {pii.mask_plate(p): v for p, v in result.plates.items()},
        "checked_at": result.checked_at,
    }
    app.status = Application.Status.VERIFIED if result.complete else Application.Status.NEEDS_PROOF
    with transaction.atomic():
        app.save(update_fields=["verification", "status"])
        record("parking.application.file", actor=resident, obj=app, status=app.status)
    return app


def submit_proof(
    resident: User, app: Application, *, note: str, reference: str = ""
) -> Application:
    """The resident's manual proof (lease, property certificate, vehicle licence) for review."""
    if app.resident_id != resident.pk:
        raise PermissionDenied(_("This is not your application."))
    if app.status not in (Application.Status.NEEDS_PROOF, Application.Status.IN_REVIEW):
        raise Conflict(_("This application needs no proof."), "no_proof_needed")
    if not note.strip():
        raise ValidationError({"note": [_("Describe the proof you provide.")]})
    Application.objects.filter(pk=app.pk).update(
        proof_note=note.strip(), proof_reference=reference.strip()[:200], status="in_review"
    )
    app.refresh_from_db()
    record("parking.application.proof", actor=resident, obj=app)
    return app


def decide(actor: User, app: Application, *, approve: bool, note: str = "") -> Application:
    """Staff approve or reject an application that data could not verify."""
    require_staff(actor, app.estate.region.code)
    if not approve and not note.strip():
        raise ValidationError({"note": [_("Say why the application is rejected.")]})
    new = Application.Status.APPROVED if approve else Application.Status.REJECTED
    changed = Application.objects.filter(
        pk=app.pk, status__in=[Application.Status.NEEDS_PROOF, Application.Status.IN_REVIEW]
    ).update(status=new, reviewed_by=actor, reviewed_at=timezone.now(), review_note=note.strip())
    app.refresh_from_db()
    if not changed and app.status != new:
        raise Conflict(_("This application has been decided already."), "decided")
    if changed:
        record("parking.application.decide", actor=actor, obj=app, status=new)
    return app


def withdraw(resident: User, app: Application) -> Application:
    if app.resident_id != resident.pk:
        raise PermissionDenied(_("This is not your application."))
    Application.objects.filter(pk=app.pk, status__in=OPEN).update(status="withdrawn")
    app.refresh_from_db()
    return app


def clear_plates(app: Application) -> list[str]:
    return list(json.loads(pii.decrypt(app.plates_enc)))


def verification_rows(app: Application) -> list[tuple[str, str]]:
    """The data check as the resident sees it: (what was checked, result).

    Results are ``matched``, ``no_match``, ``unavailable``, or ``staff`` once staff approved
    the application on proof: an approved application shows no open question ("?").
    """
    found = app.verification or {}
    rows = [(_("Residence in %(estate)s") % {"estate": app.estate.name}, found.get("residence"))]
    for masked, result in (found.get("plates") or {}).items():
        rows.append((_("Plate %(plate)s registered to you") % {"plate": masked}, result))
    approved = app.status == Application.Status.APPROVED
    return [
        (label, "staff" if approved and result != "matched" else result or "unavailable")
        for label, result in rows
    ]
