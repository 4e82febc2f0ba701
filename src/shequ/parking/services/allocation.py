"""Allocation rounds (车位分配): propose who gets which shared space, let staff review, apply.

When an estate's approved applicants outnumber the shared spaces of a plan (window, e.g.
``night``) over a period, ``propose`` gathers

- the applications of the estate that are eligible (verified by data or approved by staff) and
  hold no pass and no open offer for that period and plan,
- the free spaces of each garage within walking distance (``capacity.free_spaces``: capacity
  minus passes and open offers over the whole period),

and runs both the min-cost allocation (``allocation.allocate``: priority groups first, then
walking distance and stated preferences) and the first-come baseline (``allocation.greedy``).

Nothing is stored: the proposal the staff member reviewed travels as a signed JSON blob in the
page's hidden field (``sign``/``unsign``, no model and no migration). ``apply`` turns it into
offers (a ``WaitingListEntry`` in state *offered*, held ``waiting.OFFER_HOURS`` hours, as
``waiting.offer_next`` makes them) and appends the rest to the waiting lists in the proposed
order. It locks the garages first and checks every entry again, so applying twice, or twice at
once, makes each offer once, and never offers a space that has been sold meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.parking import allocation
from shequ.parking.models import (
    Application,
    Estate,
    Garage,
    Pass,
    SharingPlan,
    WaitingListEntry,
)
from shequ.parking.services import capacity, periods
from shequ.parking.services.access import require_staff
from shequ.parking.services.errors import Conflict
from shequ.parking.services.garages import walking_metres
from shequ.parking.services.notices import tell_user
from shequ.parking.services.waiting import ACTIVE, OFFER_HOURS

GROUPS = {"no_space": 0, "second_car": 1, "other": 2}
ELIGIBLE = (Application.Status.VERIFIED, Application.Status.APPROVED)
SALT = "shequ.parking.allocation"
MAX_AGE_SECONDS = 3600
PERIODS_AHEAD = 3


@dataclass(frozen=True)
class Period:
    """The days a round allocates for: a pass month, both days included."""

    first: date
    last: date

    @property
    def key(self) -> str:
        return self.first.isoformat()


def periods_from(today: date | None = None) -> list[Period]:
    """A month from today, then the next calendar months (what staff choose from)."""
    day = today or periods.today()
    starts = [day]
    for _k in range(PERIODS_AHEAD - 1):
        starts.append(periods.next_period_start(starts[-1]))
    return [Period(s, periods.pass_end(s, 1)) for s in starts]


def period_of(key: str, today: date | None = None) -> Period | None:
    return next((p for p in periods_from(today) if p.key == key), None)


@dataclass(frozen=True)
class Offered:
    """A garage's shared plan within walking distance of the estate, and its free spaces."""

    garage: Garage
    walk_m: int
    capacity: int  # the plan's shared spaces on the first day
    free: int  # unsold over the whole period


@dataclass
class Proposal:
    """Both allocations of one round, with what staff need to review them."""

    estate: Estate
    plan_code: str
    period: Period
    garages: list[Offered]
    applications: dict[int, Application]
    min_cost: allocation.Allocation
    greedy: allocation.Allocation
    waiting_garage: dict[int, int | None] = field(default_factory=dict)  # app -> garage pk

    @property
    def capacity(self) -> int:
        return sum(g.free for g in self.garages)

    def payload(self) -> dict[str, Any]:
        """What ``apply`` needs: the offers and the ranked rest (ids only, no personal data)."""
        return {
            "estate": self.estate.pk,
            "plan": self.plan_code,
            "first": self.period.first.isoformat(),
            "last": self.period.last.isoformat(),
            "offers": [[int(a.applicant), int(a.garage)] for a in self._assigned_in_order()],
            "waiting": [
                [int(w.applicant), self.waiting_garage.get(int(w.applicant))]
                for w in self.min_cost.waiting
            ],
        }

    def _assigned_in_order(self) -> list[allocation.Assignment]:
        order = {a.pk: (GROUPS.get(a.priority_group, 2), a.created, a.pk) for a in self.apps()}
        return sorted(self.min_cost.assignments, key=lambda a: order[int(a.applicant)])

    def apps(self) -> Iterable[Application]:
        return self.applications.values()


def plan_codes(estate: Estate) -> dict[str, str]:
    """Plans offered by garages within walking distance of the estate: code -> a name."""
    near = [g.pk for g, _walk in _garages_in_reach(estate)]
    names: dict[str, str] = {}
    for code, name in SharingPlan.objects.filter(garage__in=near).values_list("code", "name"):
        names.setdefault(code, name)
    return dict(sorted(names.items()))


def listed(proposal: Proposal) -> set[tuple[int, int]]:
    """(application, garage) pairs of the proposal's applicants already on a waiting list."""
    return set(
        WaitingListEntry.objects.filter(
            application__in=list(proposal.applications),
            plan_code=proposal.plan_code,
            status=WaitingListEntry.Status.WAITING,
        ).values_list("application_id", "garage_id")
    )


def _garages_in_reach(estate: Estate) -> list[tuple[Garage, int]]:
    """Garages of the estate's street within ``allocation.MAX_WALK_M``, nearest first."""
    street = estate.region.code[:9]
    found = []
    for garage in Garage.objects.filter(region__code__startswith=street).select_related("region"):
        walk = walking_metres(estate.lat, estate.lon, garage.lat, garage.lon)
        if walk <= allocation.MAX_WALK_M:
            found.append((garage, walk))
    return sorted(found, key=lambda pair: (pair[1], pair[0].code))


def offered(estate: Estate, plan_code: str, period: Period) -> list[Offered]:
    """The garages in reach that run the plan on the period's first day, with free spaces."""
    out = []
    for garage, walk in _garages_in_reach(estate):
        plan = (
            SharingPlan.objects.filter(garage=garage, code=plan_code, valid_from__lte=period.first)
            .order_by("-valid_from")
            .first()
        )
        if plan is None:
            continue
        free = capacity.free_spaces(garage, plan_code, period.first, period.last)
        out.append(Offered(garage, walk, plan.capacity, free))
    return out


def _holders(plan_code: str, period: Period) -> Q:
    """Applications that hold a space (a pass or an open offer) of the plan in the period."""
    now = timezone.now()
    held = Pass.objects.filter(
        plan_code=plan_code, starts_on__lte=period.last, ends_on__gte=period.first
    ).filter(
        Q(status__in=[Pass.Status.ACTIVE, Pass.Status.SUSPENDED])
        | Q(status=Pass.Status.PENDING, hold_until__gt=now)
    )
    offers = WaitingListEntry.objects.filter(
        plan_code=plan_code, status=WaitingListEntry.Status.OFFERED, offered_until__gt=now
    )
    return Q(pk__in=held.values("application")) | Q(pk__in=offers.values("application"))


def applicants(estate: Estate, plan_code: str, period: Period) -> list[Application]:
    """Eligible applications of the estate without a space of the plan in the period."""
    return list(
        Application.objects.filter(estate=estate, status__in=ELIGIBLE)
        .exclude(_holders(plan_code, period))
        .select_related("resident")
        .order_by("created", "pk")
    )


def _applicant(app: Application, plan_code: str, garages: Sequence[Offered]) -> Any:
    walks = {}
    for g in garages:
        stored = (app.walking_m or {}).get(str(g.garage.pk))
        walks[str(g.garage.pk)] = float(stored if stored is not None else g.walk_m)
    codes = {str(g.garage.pk) for g in garages}
    prefs = tuple(str(p) for p in app.preferences or [] if str(p) in codes)
    return allocation.Applicant(
        id=str(app.pk),
        applied_at=app.created,
        window=plan_code,
        group=GROUPS.get(app.priority_group, 2),
        preferences=prefs,
        walk_m=walks,
        plates=len(app.plates_masked),
    )


def propose(estate: Estate, plan_code: str, period: Period) -> Proposal:
    """Both allocations of the estate's eligible applicants over the garages' free spaces."""
    garages = offered(estate, plan_code, period)
    apps = applicants(estate, plan_code, period)
    people = [_applicant(a, plan_code, garages) for a in apps]
    lots = [allocation.Garage(str(g.garage.pk), {plan_code: g.free}) for g in garages]
    proposal = Proposal(
        estate=estate,
        plan_code=plan_code,
        period=period,
        garages=garages,
        applications={a.pk: a for a in apps},
        min_cost=allocation.allocate(people, lots),
        greedy=allocation.greedy(people, lots),
    )
    proposal.waiting_garage = {
        a.pk: _waiting_garage(p, garages) for a, p in zip(apps, people, strict=True)
    }
    return proposal


def _waiting_garage(person: Any, garages: Sequence[Offered]) -> int | None:
    """The list an applicant left out waits on: their first choice in reach, else the nearest."""
    reach = {
        code: metres for code, metres in person.walk_m.items() if metres <= allocation.MAX_WALK_M
    }
    for code in person.preferences:
        if code in reach:
            return int(code)
    if not reach:
        return None
    return int(min(reach, key=lambda code: (reach[code], int(code))))


# ---------------------------------------------------------------------------------------------
# The reviewed proposal, signed; applying it
# ---------------------------------------------------------------------------------------------


def sign(payload: dict[str, Any]) -> str:
    return signing.dumps(payload, salt=SALT, compress=True)


def unsign(token: str) -> dict[str, Any]:
    """The payload staff reviewed; a Conflict when it was tampered with or is too old."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise Conflict(_("This proposal is too old: review it again."), "stale") from exc
    except signing.BadSignature as exc:
        raise Conflict(_("This proposal is not valid: review it again."), "bad_proposal") from exc
    if not isinstance(payload, dict):
        raise Conflict(_("This proposal is not valid: review it again."), "bad_proposal")
    return payload


@dataclass
class Applied:
    """What applying a proposal changed."""

    offered: int = 0
    waiting: int = 0
    unchanged: int = 0  # already offered, waiting, holding a pass, or no longer eligible
    taken_meanwhile: int = 0  # the space was sold meanwhile: put on the waiting list instead

    @property
    def changed(self) -> bool:
        return bool(self.offered or self.waiting)


def apply(actor: User, payload: dict[str, Any]) -> Applied:
    """Make the proposal's offers and waiting-list places; repeating it changes nothing."""
    estate = Estate.objects.select_related("region").get(pk=payload["estate"])
    require_staff(actor, estate.region.code)
    plan_code = str(payload["plan"])
    period = Period(date.fromisoformat(payload["first"]), date.fromisoformat(payload["last"]))
    offers = [(int(a), int(g)) for a, g in payload["offers"]]
    rest = [(int(a), None if g is None else int(g)) for a, g in payload["waiting"]]
    garage_ids = sorted({g for _a, g in offers} | {g for _a, g in rest if g is not None})
    result = Applied()
    with transaction.atomic():
        # One lock order (by pk) for every round: concurrent rounds queue, never deadlock.
        garages = {
            g.pk: g
            for g in Garage.objects.select_for_update().filter(pk__in=garage_ids).order_by("pk")
        }
        eligible = set(
            Application.objects.filter(
                pk__in=[a for a, _g in offers + rest], estate=estate, status__in=ELIGIBLE
            )
            .exclude(_holders(plan_code, period))
            .values_list("pk", flat=True)
        )
        for app_id, garage_id in offers:
            _offer(result, eligible, app_id, garages.get(garage_id), plan_code, period)
        for app_id, waits_at in rest:
            lot = garages.get(waits_at) if waits_at is not None else None
            _wait(result, eligible, app_id, lot, plan_code)
        if result.changed:
            record(
                "parking.allocation.apply",
                actor=actor,
                obj=estate,
                plan=plan_code,
                first=period.first.isoformat(),
                offered=result.offered,
                waiting=result.waiting,
                taken_meanwhile=result.taken_meanwhile,
            )
    return result


def _entry(app_id: int, garage: Garage, plan_code: str) -> WaitingListEntry | None:
    return WaitingListEntry.objects.filter(
        application_id=app_id, garage=garage, plan_code=plan_code, status__in=ACTIVE
    ).first()


def _next_rank(garage: Garage, plan_code: str) -> int:
    last = WaitingListEntry.objects.filter(
        garage=garage, plan_code=plan_code, status__in=ACTIVE
    ).aggregate(m=Max("rank"))["m"]
    return int(last or 0) + 1


def _offer(
    result: Applied,
    eligible: set[int],
    app_id: int,
    garage: Garage | None,
    plan_code: str,
    period: Period,
) -> None:
    if garage is None or app_id not in eligible:
        result.unchanged += 1
        return
    app = Application.objects.select_related("resident").get(pk=app_id)
    if capacity.free_spaces(garage, plan_code, period.first, period.last, app) < 1:
        result.taken_meanwhile += 1
        _wait(result, eligible, app_id, garage, plan_code)
        return
    until = timezone.now() + timedelta(hours=OFFER_HOURS)
    entry = _entry(app_id, garage, plan_code)
    if entry is None:
        entry = WaitingListEntry.objects.create(
            application=app,
            garage=garage,
            plan_code=plan_code,
            rank=_next_rank(garage, plan_code),
            status=WaitingListEntry.Status.OFFERED,
            offered_until=until,
        )
    else:  # on this list already: their turn has come
        entry.status, entry.offered_until = WaitingListEntry.Status.OFFERED, until
        entry.save(update_fields=["status", "offered_until"])
    eligible.discard(app_id)  # holds an offer now: nothing more for them in this round
    result.offered += 1
    tell_user(
        app.resident,
        _("A shared space is free for you"),
        _("A space at %(garage)s is held for you for %(hours)d hours: buy your pass now.")
        % {"garage": garage.name, "hours": OFFER_HOURS},
    )


def _wait(
    result: Applied, eligible: set[int], app_id: int, garage: Garage | None, plan_code: str
) -> None:
    if garage is None or app_id not in eligible or _entry(app_id, garage, plan_code) is not None:
        result.unchanged += 1
        return
    WaitingListEntry.objects.create(
        application_id=app_id,
        garage=garage,
        plan_code=plan_code,
        rank=_next_rank(garage, plan_code),
    )
    result.waiting += 1
