"""The waiting list (候补) of a garage plan: join, offers when a space frees, staff moves."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.parking.models import Application, Garage, SharingPlan, WaitingListEntry
from shequ.parking.services import periods
from shequ.parking.services.access import require_staff
from shequ.parking.services.capacity import free_spaces
from shequ.parking.services.errors import Conflict
from shequ.parking.services.notices import tell_user

OFFER_HOURS = 48
ACTIVE = (WaitingListEntry.Status.WAITING, WaitingListEntry.Status.OFFERED)


def join(
    resident: User, application: Application, garage: Garage, plan_code: str
) -> WaitingListEntry:
    if application.resident_id != resident.pk:
        raise PermissionDenied(_("This is not your application."))
    if not application.eligible:
        raise Conflict(_("Your application is not approved yet."), "not_eligible")
    if not SharingPlan.objects.filter(garage=garage, code=plan_code).exists():
        raise ValidationError(
            {"plan_code": [_("This garage has no plan %(code)s.") % {"code": plan_code}]}
        )
    try:
        with transaction.atomic():
            Garage.objects.select_for_update().get(pk=garage.pk)
            last = WaitingListEntry.objects.filter(
                garage=garage, plan_code=plan_code, status__in=ACTIVE
            ).aggregate(m=Max("rank"))["m"]
            entry = WaitingListEntry.objects.create(
                application=application, garage=garage, plan_code=plan_code, rank=(last or 0) + 1
            )
            record(
                "parking.waiting.join", actor=resident, obj=garage, plan=plan_code, rank=entry.rank
            )
    except IntegrityError as exc:
        raise Conflict(_("You are on this waiting list already."), "already_waiting") from exc
    return entry


def offer_next(garage: Garage, plan_code: str) -> WaitingListEntry | None:
    """Offer a freed space to the first one waiting (call inside the freeing transaction)."""
    today = periods.today()
    if free_spaces(garage, plan_code, today, periods.pass_end(today, 1)) < 1:
        return None
    entry = (
        WaitingListEntry.objects.filter(
            garage=garage, plan_code=plan_code, status=WaitingListEntry.Status.WAITING
        )
        .select_related("application")
        .order_by("rank")
        .first()
    )
    if entry is None:
        return None
    entry.status = WaitingListEntry.Status.OFFERED
    entry.offered_until = timezone.now() + timedelta(hours=OFFER_HOURS)
    entry.save(update_fields=["status", "offered_until"])
    tell_user(
        entry.application.resident,
        _("A shared space is free for you"),
        _("A space at %(garage)s is held for you for %(hours)d hours: buy your pass now.")
        % {"garage": garage.name, "hours": OFFER_HOURS},
    )
    return entry


def expire_offers() -> int:
    """Offers not taken in time lapse; the space goes to the next one waiting."""
    lapsed = WaitingListEntry.objects.filter(
        status=WaitingListEntry.Status.OFFERED, offered_until__lte=timezone.now()
    ).select_related("garage")
    count = 0
    for entry in lapsed:
        with transaction.atomic():
            if WaitingListEntry.objects.filter(
                pk=entry.pk, status=WaitingListEntry.Status.OFFERED
            ).update(status=WaitingListEntry.Status.EXPIRED):
                count += 1
                offer_next(entry.garage, entry.plan_code)
    return count


def move(actor: User, entry: WaitingListEntry, rank: int) -> WaitingListEntry:
    """Staff put an entry at another rank; the others shift to make room."""
    require_staff(actor, entry.garage.region.code)
    if entry.status not in ACTIVE:
        raise Conflict(_("This entry is no longer waiting."), "not_waiting")
    peers = WaitingListEntry.objects.filter(
        garage=entry.garage, plan_code=entry.plan_code, status__in=ACTIVE
    )
    top = peers.count()
    if not 1 <= rank <= top:
        raise ValidationError({"rank": [_("Rank must be between 1 and %(n)d.") % {"n": top}]})
    with transaction.atomic():
        Garage.objects.select_for_update().get(pk=entry.garage_id)
        old = entry.rank
        if rank < old:
            peers.filter(rank__gte=rank, rank__lt=old).update(rank=F("rank") + 1)
        elif rank > old:
            peers.filter(rank__gt=old, rank__lte=rank).update(rank=F("rank") - 1)
        WaitingListEntry.objects.filter(pk=entry.pk).update(rank=rank)
        record("parking.waiting.move", actor=actor, obj=entry.garage, entry=entry.pk, rank=rank)
    entry.refresh_from_db()
    return entry


def remove(actor: User, entry: WaitingListEntry) -> WaitingListEntry:
    """Staff or the resident take an entry off the list; those behind move up."""
    if actor.pk != entry.application.resident_id:
        require_staff(actor, entry.garage.region.code)
    with transaction.atomic():
        Garage.objects.select_for_update().get(pk=entry.garage_id)
        if not WaitingListEntry.objects.filter(pk=entry.pk, status__in=ACTIVE).update(
            status=WaitingListEntry.Status.REMOVED
        ):
            entry.refresh_from_db()
            return entry
        WaitingListEntry.objects.filter(
            garage=entry.garage, plan_code=entry.plan_code, status__in=ACTIVE, rank__gt=entry.rank
        ).update(rank=F("rank") - 1)
        record("parking.waiting.remove", actor=actor, obj=entry.garage, entry=entry.pk)
    entry.refresh_from_db()
    return entry
