"""Welfare check: elders living alone, with a door credential, not seen at any door for
``SHEQU_ACCESS_WELFARE_HOURS`` (48) raise a gentle alert for the community worker, never in
the quiet hours (``SHEQU_ACCESS_WELFARE_QUIET``, local, "22-7"). The worker records the
outcome; silence for another period after a closed check raises the next level. A resident
may opt out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.access.models import AccessEvent, Credential, WelfareCheck, WelfareOptOut
from shequ.access.providers.elders import ELDERS
from shequ.access.services.access import is_staff_for, require_staff, staff_scope
from shequ.core.errors import Forbidden, Invalid
from shequ.core.models import Person
from shequ.core.services.audit import record
from shequ.core.services.notify import notify_region_later
from shequ.core.transports.base import Message
from shequ.core.types import Requester, User


def quiet(moment: datetime, spec: str | None = None) -> bool:
    """Inside the quiet hours ("22-7": from 22:00 to 07:00 local; "" none)."""
    spec = settings.ACCESS_WELFARE_QUIET if spec is None else spec
    if not spec:
        return False
    start, end = (int(part) for part in spec.split("-"))
    hour = timezone.localtime(moment).hour
    return start <= hour or hour < end if start > end else start <= hour < end


def _last_seen(person: Person) -> datetime | None:
    found = AccessEvent.objects.filter(person=person, allow=True).aggregate(last=Max("at"))
    return found["last"]


def sweep(now: datetime | None = None, *, respect_quiet: bool = True) -> int:
    """Raise the checks due now; returns how many were raised."""
    now = now or timezone.now()
    if respect_quiet and quiet(now):
        return 0
    window = timedelta(hours=int(settings.ACCESS_WELFARE_HOURS))
    elders = ELDERS.hashes()
    if not elders:
        return 0
    people = (
        Person.objects.filter(id_number_hash__in=elders, access_credentials__active=True)
        .exclude(welfare_opt_out__isnull=False)
        .select_related("region")
        .distinct()
    )
    raised = 0
    for person in people:
        raised += _check_one(person, now, window)
    return raised


def _check_one(person: Person, now: datetime, window: timedelta) -> int:
    seen = _last_seen(person)
    enrolled = (
        Credential.objects.filter(person=person)
        .order_by("created")
        .values_list("created", flat=True)
        .first()
    )
    since = seen or enrolled
    if since is None or now - since < window:
        return 0
    previous = WelfareCheck.objects.filter(person=person).order_by("-raised_at").first()
    if previous is not None:
        if previous.outcome == WelfareCheck.Outcome.OPEN:
            return 0
        closed = previous.recorded_at or previous.raised_at
        if closed > since and now - closed < window:
            return 0  # visited or called since they were last seen: wait another period
    level = (
        previous.level + 1
        if previous is not None and (seen is None or previous.raised_at > seen)
        else 1
    )
    try:
        with transaction.atomic():
            check = WelfareCheck.objects.create(
                region=person.region, person=person, raised_at=now, last_seen_at=seen, level=level
            )
    except IntegrityError:  # another sweep raised it at the same moment
        return 0
    _notify(check)
    return 1


def _notify(check: WelfareCheck) -> None:
    hours = int(settings.ACCESS_WELFARE_HOURS)
    title = _("Welfare check: %(who)s not seen at the doors for %(hours)d hours") % {
        "who": check.person.name_masked,
        "hours": hours,
    }
    body = _("Please visit or call, then record how they are.")
    notify_region_later(
        check.region,
        Message(
            title=title,
            body=body,
            url=reverse("access:welfare"),
            level="warning" if check.level > 1 else "info",
            region_code=check.region.code,
            event_id=f"access-welfare-{check.pk}",
        ),
    )


def checks_for(user: Requester) -> QuerySet[WelfareCheck]:
    return staff_scope(WelfareCheck.objects.all(), user, "region").select_related(
        "region", "person"
    )


def record_outcome(actor: User, check: WelfareCheck, outcome: str, note: str = "") -> WelfareCheck:
    require_staff(actor, check.region.code)
    closing = [c for c in WelfareCheck.Outcome.values if c != WelfareCheck.Outcome.OPEN]
    if outcome not in closing:
        raise Invalid(_("Choose an outcome."), fields={"outcome": [_("Choose an outcome.")]})
    if len(note.strip()) > 500:
        raise Invalid(_("The note is too long."), fields={"note": [_("At most 500 characters.")]})
    with transaction.atomic():
        check.outcome = outcome
        check.note = note.strip()
        check.recorded_by = actor
        check.recorded_at = timezone.now()
        check.save(update_fields=["outcome", "note", "recorded_by", "recorded_at"])
        record("access.welfare.outcome", actor=actor, obj=check, outcome=outcome)
    return check


def may_choose_for(actor: User, person: Person) -> bool:
    """The resident themself (an account linked to one of their credentials) or their staff."""
    if Credential.objects.filter(person=person, user=actor).exists():
        return True
    return is_staff_for(actor, person.region.code)


def _require_chooser(actor: User, person: Person) -> None:
    if not may_choose_for(actor, person):
        raise Forbidden(_("Only the resident or staff of their community may change this."))


def opted_out(person: Person) -> bool:
    return WelfareOptOut.objects.filter(person=person).exists()


def opt_out(actor: User, person: Person) -> WelfareOptOut:
    """Record a resident's wish not to be watched for absence (by them, or staff for them).

    The sweep skips them from then on, and an open check of theirs is closed as fine
    (nobody should call on someone who said no). Repeating it changes nothing.
    """
    _require_chooser(actor, person)
    with transaction.atomic():
        opted, created = WelfareOptOut.objects.get_or_create(
            person=person, defaults={"recorded_by": actor}
        )
        if created:
            closed = WelfareCheck.objects.filter(
                person=person, outcome=WelfareCheck.Outcome.OPEN
            ).update(
                outcome=WelfareCheck.Outcome.FINE,
                note=_("Opted out of the welfare check."),
                recorded_by=actor,
                recorded_at=timezone.now(),
            )
            record(
                "access.welfare.opt_out",
                actor=actor,
                obj=person,
                on_behalf=not _is_self(actor, person),
                closed_checks=closed,
            )
    return opted


def opt_in(actor: User, person: Person) -> bool:
    """Back into the welfare check; ``True`` when they had opted out (a repeat changes nothing)."""
    _require_chooser(actor, person)
    with transaction.atomic():
        deleted, _detail = WelfareOptOut.objects.filter(person=person).delete()
        if deleted:
            record(
                "access.welfare.opt_in",
                actor=actor,
                obj=person,
                on_behalf=not _is_self(actor, person),
            )
    return bool(deleted)


def _is_self(actor: User, person: Person) -> bool:
    return Credential.objects.filter(person=person, user=actor).exists()


def people_of(user: User) -> list[Person]:
    """The residents whose credentials are linked to this account (usually one)."""
    return list(
        Person.objects.filter(access_credentials__user=user).select_related("region").distinct()
    )


def opt_outs_for(actor: User) -> QuerySet[WelfareOptOut]:
    return staff_scope(WelfareOptOut.objects.all(), actor, "person__region").select_related(
        "person__region", "recorded_by"
    )
