"""Recurring requests (continuing care, e.g. dinner every day for two weeks): posting one
makes a help request per occurrence; a volunteer takes the whole series in one action, all or
nothing; the requester side cancels what has not started.

Taking a series inserts the orders of every occurrence in one statement before it locks the
requests, the order in which ``orders.take`` works too: a slot someone holds (committed or
not) makes the insert fail or wait, then fail, and the whole series is refused with nothing
written; the partial unique index still allows one volunteer per slot.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.types import Requester, User
from shequ.timebank.models import ACTIVE_ORDER, HelpRequest, Member, Order, Series
from shequ.timebank.services import requests
from shequ.timebank.services.access import member_of, visible_requests
from shequ.timebank.services.errors import Conflict, Forbidden, Invalid, NotFound
from shequ.timebank.services.notices import tell_requester


def _taken() -> Conflict:
    return Conflict(
        _("Some occurrences are taken already: the series can no longer be taken whole."),
        "series_taken",
    )


MAX_COUNT = 31
MAX_EVERY_DAYS = 7
MAX_SPAN = timedelta(days=62)
Status = HelpRequest.Status


def _check_schedule(count: int, every_days: int, window_minutes: int) -> None:
    fields: dict[str, list[str]] = {}
    if not 2 <= count <= MAX_COUNT:
        fields["count"] = [_("Between 2 and %(n)s occurrences.") % {"n": MAX_COUNT}]
    if not 1 <= every_days <= MAX_EVERY_DAYS:
        fields["every_days"] = [_("Every 1 to %(n)s days.") % {"n": MAX_EVERY_DAYS}]
    if not 10 <= window_minutes <= 24 * 60:
        fields["window_minutes"] = [_("A window of 10 minutes to a day.")]
    if not fields and timedelta(days=every_days * (count - 1)) > MAX_SPAN:
        fields["count"] = [_("A series spans at most 62 days.")]
    if fields:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
        raise Invalid(
            _("The recurring request cannot be posted: %(details)s") % {"details": details},
            fields=fields,
        )


def post(
    actor: User,
    beneficiary: Member,
    *,
    category: str,
    description: str,
    first_starts_at: datetime,
    window_minutes: int,
    count: int,
    estimated_minutes: int,
    every_days: int = 1,
    urgency: str = HelpRequest.Urgency.NORMAL,
    estate: str = "",
    building: str = "",
    address: str = "",
    key: str | None = None,
    now: datetime | None = None,
) -> Series:
    """Post a recurring request: ``count`` occurrences, ``every_days`` apart, each a window of
    ``window_minutes`` from the first's start time (local clock time kept across DST). Nothing
    is written unless every occurrence is valid; a retried key returns the first series."""
    now = now or timezone.now()
    if not requests.may_act_for(actor, beneficiary):
        raise Forbidden(_("You may not post for this member."), "not_for_you")
    if key and (found := Series.objects.filter(key=key, posted_by=actor).first()):
        return found
    _check_schedule(count, every_days, window_minutes)
    local_first = (
        timezone.localtime(first_starts_at) if timezone.is_aware(first_starts_at) else None
    )
    try:
        with transaction.atomic():
            series = Series.objects.create(
                region=beneficiary.region,
                beneficiary=beneficiary,
                posted_by=actor,
                first_starts_at=first_starts_at,
                window_minutes=window_minutes,
                every_days=every_days,
                count=count,
                key=key or None,
                created=now,
            )
            for n in range(count):
                if local_first is None:
                    starts = first_starts_at  # naive: requests.post names the field
                else:
                    day = local_first + timedelta(days=n * every_days)
                    starts = timezone.make_aware(day.replace(tzinfo=None))
                requests.post(
                    actor,
                    beneficiary,
                    category=category,
                    description=description,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=window_minutes),
                    estimated_minutes=estimated_minutes,
                    urgency=urgency,
                    estate=estate,
                    building=building,
                    address=address,
                    now=now,
                    series=series,
                    announce=n == 0,  # volunteers are told once, of the first
                )
    except IntegrityError:
        if key and (found := Series.objects.filter(key=key, posted_by=actor).first()):
            return found
        raise Conflict(_("This request key was used already."), "key_reused") from None
    return series


def get(user: Requester, pk: int) -> Series:
    """A series whose occurrences the user may see."""
    found = (
        Series.objects.filter(pk=pk, occurrences__in=visible_requests(user))
        .select_related("region", "beneficiary__person")
        .distinct()
        .first()
    )
    if found is None:
        raise NotFound(_("No recurring request %(pk)s that you may see.") % {"pk": pk}, "no_series")
    return found


def upcoming(series: Series, now: datetime) -> list[HelpRequest]:
    """The occurrences still to come and not cancelled, expired or done, soonest first."""
    return list(
        series.occurrences.filter(
            ends_at__gt=now, status__in=(Status.OPEN, Status.TAKEN, Status.IN_SERVICE)
        ).order_by("starts_at", "id")
    )


def take(actor: User, series: Series, *, now: datetime | None = None) -> list[Order]:
    """The volunteer takes every upcoming occurrence at once, or none of them."""
    now = now or timezone.now()
    volunteer = member_of(actor, volunteer=True)
    if volunteer.region_id != series.region_id:
        raise Forbidden(_("You volunteer in another community."), "other_community")
    if series.beneficiary_id == volunteer.pk:
        raise Conflict(_("You cannot take your own request."), "own_request")
    if series.status == Series.Status.CANCELLED:
        raise Conflict(_("This recurring request was cancelled."), "cancelled")
    todo = upcoming(series, now)
    mine = list(
        Order.objects.filter(request__in=todo, volunteer=volunteer, status__in=ACTIVE_ORDER)
    )
    if todo and len(mine) == len(todo):
        return mine  # a retried take of the series
    if not todo or any(r.status != Status.OPEN for r in todo) or mine:
        raise _taken()
    try:
        with transaction.atomic():
            made = Order.objects.bulk_create(
                Order(
                    request=r, slot=1, volunteer=volunteer, status=Order.Status.TAKEN, taken_at=now
                )
                for r in todo
            )
            ids = [r.pk for r in todo]
            locked = list(HelpRequest.objects.select_for_update().filter(pk__in=ids).order_by("id"))
            if any(r.status != Status.OPEN or r.volunteers_needed != 1 for r in locked):
                raise _taken()
            history = requests.History()
            for order, req in zip(made, todo, strict=True):
                history.add(req, "take", Order.Status.TAKEN, actor=actor, at=now, order=order)
                history.add(
                    req, "take_series", Status.TAKEN, actor=actor, at=now, from_status=Status.OPEN
                )
            HelpRequest.objects.filter(pk__in=ids, first_taken_at__isnull=True).update(
                first_taken_at=now
            )
            HelpRequest.objects.filter(pk__in=ids).update(status=Status.TAKEN)
            history.write()
            first = requests.lock(todo[0])
            tell_requester(
                first,
                _("A volunteer (%(name)s) took all %(n)s occurrences of your recurring request")
                % {"name": volunteer.name, "n": len(todo)},
            )
    except IntegrityError:
        # Someone took one of them a moment ago (or this volunteer, retrying at once).
        mine = list(
            Order.objects.filter(request__in=todo, volunteer=volunteer, status__in=ACTIVE_ORDER)
        )
        if len(mine) == len(todo):
            return mine
        raise _taken() from None
    return made


def cancel(actor: User, series: Series, *, reason: str = "", now: datetime | None = None) -> Series:
    """The requester side (or staff) cancels every occurrence not yet started; those served
    or in service stay. A retried cancel returns the series."""
    now = now or timezone.now()
    first = series.occurrences.select_related("region", "beneficiary").order_by("id").first()
    if first is None or not requests.requester_side(actor, first):
        raise Forbidden(_("Only the requester or staff may cancel this request."), "not_requester")
    with transaction.atomic():
        locked = Series.objects.select_for_update().get(pk=series.pk)
        if locked.status == Series.Status.CANCELLED:
            return locked
        for req in series.occurrences.filter(
            status__in=(Status.OPEN, Status.TAKEN), starts_at__gt=now
        ).order_by("id"):
            requests.cancel(actor, req, reason=reason, now=now)
        locked.status = Series.Status.CANCELLED
        locked.save(update_fields=["status"])
    return locked
