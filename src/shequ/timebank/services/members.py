"""Register members (a person already on the community's register) and keep their profile."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core import pii
from shequ.core.models import Person, Region
from shequ.core.permissions import Perm, scope
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.timebank.models import Account, Member, Reach, Skill
from shequ.timebank.services import ledger
from shequ.timebank.services.access import require_staff
from shequ.timebank.services.errors import Conflict, Invalid, NotFound

_RANGE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")


def clean_skills(skills: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(skills))
    unknown = [s for s in chosen if s not in Skill.values]
    if unknown:
        raise Invalid(
            _("Unknown skill(s): %(join_unknown)s.") % {"join_unknown": ", ".join(unknown)},
            fields={
                "skills": [
                    _("Choose from %(join_skill_values)s.")
                    % {"join_skill_values": ", ".join(Skill.values)}
                ]
            },
        )
    return chosen


def clean_availability(availability: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """``{"0": ["08:00-12:00"]}``: weekday (Monday 0) to local time ranges, start before end."""
    clean: dict[str, list[str]] = {}
    for day, ranges in availability.items():
        if str(day) not in {str(n) for n in range(7)}:
            raise Invalid(
                _("Weekday %(day)s is not 0 (Monday) to 6.") % {"day": repr(day)},
                fields={"availability": [_("From 0 (Monday) to 6.")]},
            )
        items = []
        for item in ranges:
            if not _RANGE.match(str(item)) or str(item)[:5] >= str(item)[6:]:
                raise Invalid(
                    _("%(item)s is not a time range like 08:00-12:00.") % {"item": repr(item)},
                    fields={"availability": [_("Ranges like 08:00-12:00.")]},
                )
            items.append(str(item))
        clean[str(day)] = items
    return clean


MAX_LANGUAGES = 8


def clean_languages(languages: Iterable[str]) -> list[str]:
    """Languages and dialects as people say them (普通话, 上海话, English): at most eight,
    each at most 30 characters, repeats dropped."""
    chosen = list(dict.fromkeys(str(x).strip() for x in languages if str(x).strip()))
    if len(chosen) > MAX_LANGUAGES or any(len(x) > 30 for x in chosen):
        raise Invalid(
            _("At most %(n)s languages, each at most 30 characters.") % {"n": MAX_LANGUAGES},
            fields={"languages": [_("At most %(n)s, 30 characters each.") % {"n": MAX_LANGUAGES}]},
        )
    return chosen


def clean_reach(reach: str) -> str:
    if reach not in Reach.values:
        raise Invalid(
            _("How far: one of %(values)s.") % {"values": ", ".join(Reach.values)},
            fields={"reach": [_("One of %(values)s.") % {"values": ", ".join(Reach.values)}]},
        )
    return reach


def register(
    actor: User,
    person: Person,
    *,
    region: Region | None = None,
    user: User | None = None,
    volunteer: bool = False,
    requester: bool = True,
    skills: Iterable[str] = (),
    languages: Iterable[str] = (),
    availability: Mapping[str, Iterable[str]] | None = None,
    estate: str = "",
    building: str = "",
    reach: str = Reach.COMMUNITY,
    joined: datetime | None = None,
    request: HttpRequest | None = None,
) -> Member:
    """Staff register a person of their community as a member, with an hours account."""
    region = region or person.region
    require_staff(actor, region)
    if not person.region.code.startswith(region.prefix):
        raise Invalid(
            _("The person is not registered in this community."),
            fields={"person": [_("Elsewhere.")]},
        )
    if not (volunteer or requester):
        raise Invalid(
            _("A member is a volunteer, a requester or both."),
            fields={"volunteer": [_("Choose one.")]},
        )
    skill_list = clean_skills(skills)
    hours_of_week = clean_availability(availability or {})
    language_list = clean_languages(languages)
    reach = clean_reach(reach)
    try:
        with transaction.atomic():
            account = Account.objects.create(
                region=region,
                kind=Account.Kind.MEMBER,
                name=f"{person.name_masked} {region.name}",
                lower_limit=ledger.MEMBER_LOWER_LIMIT,
            )
            member = Member.objects.create(
                region=region,
                person=person,
                user=user,
                account=account,
                is_volunteer=volunteer,
                is_requester=requester,
                skills=skill_list,
                languages=language_list,
                reach=reach,
                availability=hours_of_week,
                estate=estate[:100],
                building=building[:50],
                joined=joined or timezone.now(),
            )
            record("timebank.member.register", actor=actor, obj=member, request=request)
    except IntegrityError:
        raise Conflict(
            _("This person (or this login) is a member of this time bank already."),
            "already_member",
        ) from None
    return member


def update_profile(
    member: Member,
    *,
    skills: Iterable[str] | None = None,
    availability: Mapping[str, Iterable[str]] | None = None,
    volunteer: bool | None = None,
    languages: Iterable[str] | None = None,
    reach: str | None = None,
) -> Member:
    """A member keeps their own skills, languages, availability, reach and whether they
    volunteer (all checked before anything is written)."""
    if skills is not None:
        member.skills = clean_skills(skills)
    if availability is not None:
        member.availability = clean_availability(availability)
    if languages is not None:
        member.languages = clean_languages(languages)
    if reach is not None:
        member.reach = clean_reach(reach)
    if volunteer is not None:
        member.is_volunteer = volunteer
    member.save(update_fields=["skills", "availability", "languages", "reach", "is_volunteer"])
    return member


def find_person(actor: User, region: Region, who: str) -> Person:
    """The person on ``region``'s register whose ID number or mobile phone is ``who``.

    Matched by the number's keyed hash, so the clear number is neither kept nor shown; the
    caller sees only the masked record. Staff find people only where they run the time bank
    and may see people."""
    require_staff(actor, region)
    raw = who.strip()
    digits = raw.replace(" ", "").replace("-", "")
    try:
        if len(digits) >= 15 and not digits.startswith(("+", "00")):
            kind, value = "id_card", pii.validate_id_number(raw)
        else:
            kind, value = "phone", pii.validate_phone(raw)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages), fields={"who": list(exc.messages)}) from None
    field = "id_number_hash" if kind == "id_card" else "phone_hash"
    people = scope(Person.objects.select_related("region"), actor, Perm.VIEW_PEOPLE).filter(
        region__code__startswith=region.prefix, **{field: pii.lookup_hash(kind, value)}
    )
    found = list(people[:2])
    if not found:
        message = _("Nobody with this number is on this community's register.")
        raise NotFound(message, "no_person", fields={"who": [message]})
    if len(found) > 1:
        message = _("Several people share this phone: use the ID number.")
        raise Invalid(message, fields={"who": [message]})
    return found[0]


def find_person_by_pk(actor: User, region: Region, pk: int) -> Person:
    """The person found before (a signed reference), checked again against the actor's rights."""
    require_staff(actor, region)
    found = (
        scope(Person.objects.select_related("region"), actor, Perm.VIEW_PEOPLE)
        .filter(pk=pk, region__code__startswith=region.prefix)
        .first()
    )
    if found is None:
        message = _("Nobody with this number is on this community's register.")
        raise NotFound(message, "no_person", fields={"who": [message]})
    return found


def edit(
    actor: User,
    member: Member,
    *,
    volunteer: bool,
    requester: bool,
    skills: Iterable[str],
    languages: Iterable[str],
    availability: Mapping[str, Iterable[str]],
    estate: str,
    building: str,
    reach: str,
    active: bool = True,
    request: HttpRequest | None = None,
) -> Member:
    """Staff change a member's profile (all checked before anything is written); the audit
    names the fields that changed, never their values."""
    require_staff(actor, member.region)
    if not (volunteer or requester):
        raise Invalid(
            _("A member is a volunteer, a requester or both."),
            fields={"volunteer": [_("Choose one.")]},
        )
    wanted = {
        "is_volunteer": volunteer,
        "is_requester": requester,
        "skills": clean_skills(skills),
        "languages": clean_languages(languages),
        "availability": clean_availability(availability),
        "estate": estate.strip()[:100],
        "building": building.strip()[:50],
        "reach": clean_reach(reach),
        "active": active,
    }
    changed = [name for name, value in wanted.items() if getattr(member, name) != value]
    if not changed:
        return member
    for name in changed:
        setattr(member, name, wanted[name])
    with transaction.atomic():
        member.save(update_fields=changed)
        record("timebank.member.edit", actor=actor, obj=member, request=request, fields=changed)
    return member
