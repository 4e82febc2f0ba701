"""Create, find and reveal residents' records; every clear read is audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shequ.core import pii
from shequ.core.models import Person, Region
from shequ.core.permissions import Perm, require
from shequ.core.services.audit import record

NAME_MAX_LENGTH = 50


@dataclass(frozen=True)
class PersonRecord:
    """A person's record as one caller may see it: masked (``masked``), or clear only after an
    audited reveal (``reveal``)."""

    id: int
    region_code: str
    name: str
    id_number: str
    phone: str
    address: str


def masked(person: Person) -> PersonRecord:
    """The record as lists and pages show it to anyone who may see the person at all."""
    return PersonRecord(
        id=person.pk,
        region_code=person.region.code,
        name=person.name_masked,
        id_number=person.id_number_masked,
        phone=person.phone_masked,
        address=person.address_masked,
    )


def _set_fields(person: Person, *, name: str, id_number: str, phone: str, address: str) -> None:
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors["name"] = [_("A name is required.")]
    elif len(name) > NAME_MAX_LENGTH:
        # The masked name keeps the length of a Chinese name: longer would not fit its column.
        errors["name"] = [_("A name has at most %(max)d characters.") % {"max": NAME_MAX_LENGTH}]
    validators = {"id_number": pii.validate_id_number, "phone": pii.validate_phone}
    raw = {"id_number": id_number.strip(), "phone": phone.strip()}
    clean = {"id_number": "", "phone": ""}
    for field, validate in validators.items():
        if not raw[field]:
            continue
        try:
            clean[field] = validate(raw[field])
        except ValidationError as exc:
            errors[field] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    address = address.strip()
    person.name_enc, person.name_masked = pii.encrypt(name), pii.mask_name(name)
    person.id_number_enc, person.id_number_masked = _protect(clean["id_number"], "id_card")
    person.id_number_hash = _digest(clean["id_number"], "id_card")
    person.phone_enc, person.phone_masked = _protect(clean["phone"], "phone")
    person.phone_hash = _digest(clean["phone"], "phone")
    person.address_enc, person.address_masked = _protect(address, "address")


def _protect(value: str, kind: str) -> tuple[str, str]:
    """The encrypted and masked forms of a value ("" stays "")."""
    if not value:
        return "", ""
    return pii.encrypt(value), pii.mask(kind, value) or ""


def _digest(value: str, kind: str) -> str:
    return pii.lookup_hash(kind, value) if value else ""


def create_person(
    actor: Any,
    region: Region,
    *,
    name: str,
    id_number: str = "",
    phone: str = "",
    address: str = "",
    request: HttpRequest | None = None,
) -> Person:
    """Register a resident in a region the actor manages."""
    require(actor, Perm.MANAGE_PEOPLE, region)
    person = Person(region=region)
    _set_fields(person, name=name, id_number=id_number, phone=phone, address=address)
    try:
        with transaction.atomic():
            person.save()
            record("person.create", actor=actor, obj=person, request=request)
    except IntegrityError as exc:
        raise ValidationError(
            {"id_number": [_("A person with this ID number is already registered here.")]}
        ) from exc
    return person


def find_by_id_number(region: Region, id_number: str) -> Person | None:
    digest = pii.lookup_hash("id_card", pii.validate_id_number(id_number))
    return Person.objects.filter(region=region, id_number_hash=digest).first()


def find_by_phone(phone: str) -> list[Person]:
    digest = pii.lookup_hash("phone", pii.validate_phone(phone))
    return list(Person.objects.filter(phone_hash=digest).select_related("region"))


def reveal(
    actor: Any, person: Person, *, reason: str, request: HttpRequest | None = None
) -> PersonRecord:
    """Decrypt a person's record for an authorised actor, recording who, why and when."""
    require(actor, Perm.REVEAL_PII, person.region)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why you need the clear values.")]})
    record("person.reveal", actor=actor, obj=person, request=request, reason=reason.strip())

    def clear(token: str) -> str:
        return pii.decrypt(token) if token else ""

    return PersonRecord(
        id=person.pk,
        region_code=person.region.code,
        name=clear(person.name_enc),
        id_number=clear(person.id_number_enc),
        phone=clear(person.phone_enc),
        address=clear(person.address_enc),
    )
