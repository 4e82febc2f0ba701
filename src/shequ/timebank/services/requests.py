"""Help requests (求助单): posting (also on behalf of a beneficiary), cancelling, expiring,
the request's status as its orders make it, and the exact address for who may see it."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core import pii
from shequ.core.permissions import Perm, can
from shequ.core.services.audit import record
from shequ.core.types import Requester, User
from shequ.timebank.models import (
    ACTIVE_ORDER,
    Category,
    Event,
    HelpRequest,
    Member,
    Order,
    Series,
)
from shequ.timebank.services.access import is_staff_at
from shequ.timebank.services.errors import Conflict, Forbidden, Invalid
from shequ.timebank.services.notices import is_muted, tell
from shequ.timebank.signals import request_open

MAX_WINDOW = timedelta(days=14)
MIN_MINUTES, MAX_MINUTES = 10, 12 * 60
MAX_DESCRIPTION = 1000
MAX_ADDRESS = 200
Status = HelpRequest.Status
TERMINAL = (Status.CONFIRMED, Status.CANCELLED, Status.EXPIRED)


def may_act_for(user: Requester, beneficiary: Member) -> bool:
    """The beneficiary themselves, a family member registered as their carer, or staff."""
    if not isinstance(user, User) or not can(user, Perm.TIMEBANK, beneficiary.region):
        return False
    if beneficiary.user_id == user.pk or is_staff_at(user, beneficiary.region):
        return True
    return beneficiary.carers.filter(pk=user.pk).exists()


def requester_side(user: Requester, req: HelpRequest) -> bool:
    """Who may confirm, object, rate and cancel for the beneficiary."""
    return req.posted_by_id == getattr(user, "pk", None) or may_act_for(user, req.beneficiary)


def event(
    req: HelpRequest,
    action: str,
    to_status: str,
    *,
    actor: User | None,
    at: datetime,
    order: Order | None = None,
    from_status: str = "",
    note: str = "",
) -> None:
    """One event written at once (a transition that writes nothing else)."""
    history = History()
    history.add(
        req, action, to_status, actor=actor, at=at, order=order, from_status=from_status, note=note
    )
    history.write()


class History:
    """The events of one transaction, written by one insert when the transition is decided
    (``write``), instead of one round trip each."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(
        self,
        req: HelpRequest,
        action: str,
        to_status: str,
        *,
        actor: User | None,
        at: datetime,
        order: Order | None = None,
        from_status: str = "",
        note: str = "",
    ) -> None:
        self.events.append(
            Event(
                request=req,
                order=order,
                action=action,
                from_status=from_status,
                to_status=to_status,
                actor=actor,
                at=at,
                note=note[:300],
            )
        )

    def write(self) -> None:
        if self.events:
            Event.objects.bulk_create(self.events)
            self.events = []


def _validate(
    *,
    category: str,
    description: str,
    starts_at: datetime,
    ends_at: datetime,
    estimated_minutes: int,
    volunteers_needed: int,
    urgency: str,
    address: str,
    now: datetime,
) -> None:
    fields: dict[str, list[str]] = {}
    if category not in Category.values:
        fields["category"] = [
            _("Choose from %(join_category_values)s.")
            % {"join_category_values": ", ".join(Category.values)}
        ]
    if not description.strip():
        fields["description"] = [_("Say what help is needed.")]
    elif len(description) > MAX_DESCRIPTION:
        fields["description"] = [
            _("At most %(max_description)s characters.") % {"max_description": MAX_DESCRIPTION}
        ]
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        fields["starts_at"] = [_("Give times with their offset (e.g. +08:00).")]
    elif ends_at <= starts_at:
        fields["ends_at"] = [_("The window must end after it starts.")]
    elif ends_at - starts_at > MAX_WINDOW:
        fields["ends_at"] = [_("A window is at most 14 days.")]
    elif ends_at <= now:
        fields["ends_at"] = [_("The window has passed already.")]
    if not MIN_MINUTES <= estimated_minutes <= MAX_MINUTES:
        fields["estimated_minutes"] = [
            _("Between %(min_minutes)s and %(max_minutes)s minutes.")
            % {"min_minutes": MIN_MINUTES, "max_minutes": MAX_MINUTES}
        ]
    if not 1 <= volunteers_needed <= 20:
        fields["volunteers_needed"] = [_("Between 1 and 20 volunteers.")]
    if urgency not in HelpRequest.Urgency.values:
        fields["urgency"] = [_("normal or urgent.")]
    if len(address) > MAX_ADDRESS:
        fields["address"] = [
            _("At most %(max_address)s characters.") % {"max_address": MAX_ADDRESS}
        ]
    if fields:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
        raise Invalid(
            _("The help request cannot be posted: %(details)s") % {"details": details},
            fields=fields,
        )


def _announce_open(req: HelpRequest) -> None:
    """After the commit, the jobs tell matching volunteers (not while writing history)."""
    if not is_muted():
        transaction.on_commit(partial(request_open.send, sender=HelpRequest, request_id=req.pk))


def post(
    actor: User,
    beneficiary: Member,
    *,
    category: str,
    description: str,
    starts_at: datetime,
    ends_at: datetime,
    estimated_minutes: int,
    volunteers_needed: int = 1,
    urgency: str = HelpRequest.Urgency.NORMAL,
    estate: str = "",
    building: str = "",
    address: str = "",
    key: str | None = None,
    now: datetime | None = None,
    request: HttpRequest | None = None,
    series: Series | None = None,
    announce: bool = True,
) -> HelpRequest:
    """Post a help request for ``beneficiary`` (themselves, a carer, or staff on a phone call).

    With ``key``, posting again (a double tap, a retried call) returns the first request.
    ``series``: the recurring request it is an occurrence of (``announce``: whether matching
    volunteers are told; a series tells them once).
    """
    now = now or timezone.now()
    if not may_act_for(actor, beneficiary):
        raise Forbidden(_("You may not post for this member."), "not_for_you")
    if key and (found := HelpRequest.objects.filter(key=key, posted_by=actor).first()):
        return found
    _validate(
        category=category,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        estimated_minutes=estimated_minutes,
        volunteers_needed=volunteers_needed,
        urgency=urgency,
        address=address.strip(),
        now=now,
    )
    address = address.strip()
    try:
        with transaction.atomic():
            req = HelpRequest.objects.create(
                region=beneficiary.region,
                beneficiary=beneficiary,
                posted_by=actor,
                category=category,
                description=description.strip(),
                estate=(estate or beneficiary.estate)[:100],
                building=(building or beneficiary.building)[:50],
                address_enc=pii.encrypt(address) if address else "",
                address_masked=pii.mask_address(address) if address else "",
                starts_at=starts_at,
                ends_at=ends_at,
                volunteers_needed=volunteers_needed,
                estimated_minutes=estimated_minutes,
                urgency=urgency,
                key=key or None,
                created=now,
                series=series,
            )
            event(req, "post", Status.OPEN, actor=actor, at=now)
            if announce:
                _announce_open(req)
    except IntegrityError:
        if key and (found := HelpRequest.objects.filter(key=key, posted_by=actor).first()):
            return found  # the same key posted at the same moment: the first one stands
        raise Conflict(_("This request key was used already."), "key_reused") from None
    return req


def refresh_status(
    req: HelpRequest,
    *,
    actor: User | None,
    at: datetime,
    action: str,
    history: History | None = None,
    changed: Order | None = None,
    also: dict[str, object] | None = None,
) -> str:
    """Set the request's status from its orders (the caller holds the request's lock).

    ``changed``: the order the caller just moved (its new status set), so a one-slot request
    needs no look-up of its orders; ``history``: where the event goes (else written at once);
    ``also``: more of the request's fields written by the same update.
    """
    fields: dict[str, object] = dict(also or {})
    new = req.status
    if req.status not in (Status.CANCELLED, Status.EXPIRED):
        if changed is not None and req.volunteers_needed == 1:
            # One slot: the changed order is the only one that can be active.
            active = [changed.status] if changed.status in ACTIVE_ORDER else []
        else:
            active = list(
                req.orders.filter(status__in=ACTIVE_ORDER).values_list("status", flat=True)
            )
        if len(active) < req.volunteers_needed:
            new = Status.OPEN
        elif all(s == Order.Status.CONFIRMED for s in active):
            new = Status.CONFIRMED
        elif all(s in (Order.Status.COMPLETED, Order.Status.CONFIRMED, "disputed") for s in active):
            new = Status.COMPLETED
        elif any(s != Order.Status.TAKEN for s in active):
            new = Status.IN_SERVICE
        else:
            new = Status.TAKEN
    if new != req.status:
        if history is not None:
            history.add(req, action, new, actor=actor, at=at, from_status=req.status)
        else:
            event(req, action, new, actor=actor, at=at, from_status=req.status)
        fields["status"] = new
    if fields:
        HelpRequest.objects.filter(pk=req.pk).update(**fields)
        for name, value in fields.items():
            setattr(req, name, value)
        if new == Status.OPEN and "status" in fields:
            _announce_open(req)
    return new


# Not the region: its boundary is a GeoJSON document nobody here reads.
LOCKED_WITH = ("posted_by", "beneficiary__user")


def lock(req: HelpRequest) -> HelpRequest:
    """The request's row, locked until the transaction ends (with who is told of it)."""
    return (
        HelpRequest.objects.select_for_update(of=("self",))
        .select_related(*LOCKED_WITH)
        .get(pk=req.pk)
    )


def cancel(
    actor: User, req: HelpRequest, *, reason: str = "", now: datetime | None = None
) -> HelpRequest:
    """The requester side or staff cancel a request nobody has started serving yet."""
    now = now or timezone.now()
    if not requester_side(actor, req):
        raise Forbidden(_("Only the requester or staff may cancel this request."), "not_requester")
    with transaction.atomic():
        req = lock(req)
        if req.status == Status.CANCELLED:
            return req  # a retried cancel
        if req.status not in (Status.OPEN, Status.TAKEN):
            raise Conflict(
                _("A request that is %(display)s cannot be cancelled.")
                % {"display": req.get_status_display()},
                "too_late",
            )
        volunteers = []
        for order in req.orders.select_for_update().filter(status=Order.Status.TAKEN):
            order.status = Order.Status.CANCELLED
            order.save(update_fields=["status"])
            event(
                req, "cancel", order.status, actor=actor, at=now, order=order, from_status="taken"
            )
            volunteers.append(order.volunteer.user)
        event(
            req,
            "cancel",
            Status.CANCELLED,
            actor=actor,
            at=now,
            from_status=req.status,
            note=reason,
        )
        req.status = Status.CANCELLED
        req.save(update_fields=["status"])
        tell(volunteers, _("Help request #%(pk)s was cancelled") % {"pk": req.pk}, reason)
    return req


def expire(now: datetime | None = None) -> int:
    """Open requests whose window has passed with nobody taking them expire (the worker)."""
    now = now or timezone.now()
    count = 0
    for pk in HelpRequest.objects.filter(status=Status.OPEN, ends_at__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            req = HelpRequest.objects.select_for_update().get(pk=pk)
            if req.status != Status.OPEN or req.orders.filter(status__in=ACTIVE_ORDER).exists():
                continue
            event(req, "expire", Status.EXPIRED, actor=None, at=now, from_status=req.status)
            req.status = Status.EXPIRED
            req.save(update_fields=["status"])
            tell(
                [req.posted_by],
                _("Help request #%(pk)s expired: nobody could take it in time") % {"pk": req.pk},
            )
            count += 1
    return count


def untaken(
    region_ids: list[int] | None = None, *, now: datetime | None = None
) -> list[HelpRequest]:
    """Open requests posted longer ago than ``TIMEBANK_TAKE_ALERT_MINUTES`` (stuck ones)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.TIMEBANK_TAKE_ALERT_MINUTES)
    found = HelpRequest.objects.filter(status=Status.OPEN, created__lte=cutoff, ends_at__gt=now)
    if region_ids is not None:
        found = found.filter(region_id__in=region_ids)
    return list(found.select_related("region").order_by("created"))


def reveal_address(actor: User, req: HelpRequest, *, request: HttpRequest | None = None) -> str:
    """The exact address: for a volunteer holding an order of the request, or staff allowed
    to see clear personal data; every reading is audited (never the address itself)."""
    holds = req.orders.filter(
        volunteer__user=actor, status__in=(Order.Status.TAKEN, Order.Status.IN_SERVICE)
    ).exists()
    staff = is_staff_at(actor, req.region) and can(actor, Perm.REVEAL_PII, req.region)
    if not (holds or staff or requester_side(actor, req)):
        raise Forbidden(
            _("The exact address is shown only to the volunteer who took the order."), "not_yours"
        )
    record("timebank.address.reveal", actor=actor, obj=req, request=request)
    return pii.decrypt(req.address_enc) if req.address_enc else ""
