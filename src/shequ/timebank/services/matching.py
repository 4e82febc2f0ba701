"""Matching (撮合): open requests ranked for a volunteer, volunteers ranked for a request, and
the staff's report of requests nobody matches, with the reason.

The rules live here once, in ``_pair``, written over numpy arrays so that one call ranks a
volunteer against every open request of a community (or a request against every volunteer):

- a volunteer **fits** a request when they have its skill, are available in its window (weekly
  availability overlaps it; a volunteer who stated none counts as available) and the request
  is within their reach (same building, same estate, or anywhere in the community);
- among those, the nearer first (same building, then same estate, then the community), then
  the more languages/dialects shared with the beneficiary;
- requests for a volunteer: then the urgent, then the sooner, then the older (id);
- volunteers for a request: then the more reliable (in bands of a tenth), then the least busy
  of late (spreading the work), then the longer registered (id); volunteers holding
  ``TIMEBANK_MAX_ACTIVE_ORDERS`` orders not yet served are left out (overloaded).

Times are weekly local minutes: Monday 00:00 is 0, a week is ``WEEK`` minutes, and a
volunteer's availability is a cumulative count of available minutes (``_cumulative``), so the
overlap of any window is two look-ups, whatever its length.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequ.core.models import Region
from shequ.core.types import Requester
from shequ.timebank.models import Category, HelpRequest, Member, Order
from shequ.timebank.services import reliability
from shequ.timebank.services.access import require_staff, staff_regions
from shequ.timebank.services.errors import Forbidden, NotFound

WEEK = 7 * 24 * 60
# A Monday: weekly minutes count from here (local time).
_EPOCH = datetime(2024, 1, 1)
NEAR_BUILDING, NEAR_ESTATE, NEAR_COMMUNITY = 0, 1, 2
REACH = {"building": NEAR_BUILDING, "estate": NEAR_ESTATE, "community": NEAR_COMMUNITY}
LOAD_DAYS = 30
BUSY = (Order.Status.TAKEN, Order.Status.IN_SERVICE)
_CATEGORY = {c: i for i, c in enumerate(Category.values)}
_LANGUAGE_BITS = 63  # distinct languages told apart in one ranking; more share the last bit


def local_minutes(at: datetime) -> int:
    """Minutes since the reference Monday 00:00, local time."""
    local = timezone.localtime(at).replace(tzinfo=None)
    return int((local - _EPOCH) // timedelta(minutes=1))


def _cumulative(availability: Mapping[str, Iterable[str]]) -> np.ndarray | None:
    """``c[t]``: available minutes of the week before weekly minute ``t`` (None: not stated)."""
    if not availability or not any(availability.values()):
        return None
    week = np.zeros(WEEK, dtype=np.int8)
    for day, ranges in availability.items():
        base = int(day) * 24 * 60
        for item in ranges:
            start, end = str(item).split("-")
            h1, m1 = (int(x) for x in start.split(":"))
            h2, m2 = (int(x) for x in end.split(":"))
            week[base + h1 * 60 + m1 : base + h2 * 60 + m2] = 1
    out = np.zeros(WEEK + 1, dtype=np.int64)
    np.cumsum(week, out=out[1:])
    return out


def _available_before(cum: np.ndarray, t: np.ndarray | int) -> np.ndarray:
    """Available minutes from the epoch to ``t``, for one week's ``cum`` or a stack of them."""
    t = np.asarray(t, dtype=np.int64)
    weeks, rest = np.divmod(t, WEEK)
    return weeks * cum[..., WEEK] + cum[..., rest]


def weekly_overlap(cum: np.ndarray | None, starts: Any, ends: Any) -> np.ndarray:
    """Minutes of the windows ``[starts, ends)`` (weekly local minutes) the availability covers;
    not stated: the whole window."""
    starts, ends = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
    if cum is None:
        return ends - starts
    return _available_before(cum, ends) - _available_before(cum, starts)


class _Vocab:
    """Strings interned to small integers, shared by the two sides of one ranking."""

    def __init__(self) -> None:
        self.estates: dict[str, int] = {}
        self.buildings: dict[tuple[str, str], int] = {}
        self.languages: dict[str, int] = {}

    def estate(self, estate: str) -> int:
        return self.estates.setdefault(estate, len(self.estates)) if estate else -1

    def building(self, estate: str, building: str) -> int:
        if not (estate and building):
            return -1
        return self.buildings.setdefault((estate, building), len(self.buildings))

    def language_mask(self, languages: Iterable[str]) -> int:
        mask = 0
        for lang in languages:
            bit = self.languages.setdefault(str(lang).strip().lower(), len(self.languages))
            mask |= 1 << min(bit, _LANGUAGE_BITS - 1)
        return mask


def _shared(a: Any, b: Any) -> np.ndarray:
    """How many languages two bit masks share."""
    both = np.bitwise_and(np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64))
    return np.bitwise_count(both).astype(np.int64)


@dataclass
class Terms:
    """The rules' terms for each pair of a ranking (arrays of one shape)."""

    skilled: np.ndarray
    available: np.ndarray
    reachable: np.ndarray
    near: np.ndarray
    languages: np.ndarray
    overlap: np.ndarray

    @property
    def fits(self) -> np.ndarray:
        return self.skilled & self.available & self.reachable


def _pair(
    *,
    category: Any,
    skills: Any,
    r_estate: Any,
    r_building: Any,
    v_estate: Any,
    v_building: Any,
    reach: Any,
    r_languages: Any,
    v_languages: Any,
    overlap: Any,
) -> Terms:
    """The one statement of the rules, over broadcastable arrays (one side may be a scalar).

    ``category``: the request's category index; ``skills``: the volunteer's skills as a bit
    mask of category indices; estates and buildings interned (-1: not given, never equal);
    ``reach``: the farthest nearness the volunteer goes; languages as bit masks; ``overlap``:
    available minutes in the request's window."""
    r_estate, v_estate = np.asarray(r_estate), np.asarray(v_estate)
    r_building, v_building = np.asarray(r_building), np.asarray(v_building)
    same_building = (r_building >= 0) & (r_building == v_building)
    same_estate = (r_estate >= 0) & (r_estate == v_estate)
    near = np.where(
        same_building, NEAR_BUILDING, np.where(same_estate, NEAR_ESTATE, NEAR_COMMUNITY)
    )
    skilled = (
        np.right_shift(np.asarray(skills, dtype=np.int64), np.asarray(category, dtype=np.int64)) & 1
    ).astype(bool)
    overlap = np.asarray(overlap, dtype=np.int64)
    return Terms(
        skilled=skilled,
        available=overlap > 0,
        reachable=near <= np.asarray(reach),
        near=near,
        languages=_shared(r_languages, v_languages),
        overlap=overlap,
    )


def _skill_mask(skills: Iterable[str]) -> int:
    return sum(1 << _CATEGORY[s] for s in set(skills) if s in _CATEGORY)


def _reach(member: Member) -> int:
    return REACH.get(getattr(member, "reach", "community"), NEAR_COMMUNITY)


@dataclass
class OpenRequests:
    """A community's open requests as arrays, read by one query: what ``requests_for`` ranks
    every volunteer against."""

    ids: np.ndarray
    beneficiary: np.ndarray
    category: np.ndarray
    estate: np.ndarray
    building: np.ndarray
    languages: np.ndarray
    urgent: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    vocab: _Vocab = field(default_factory=_Vocab)

    @classmethod
    def read(cls, region: Region, *, now: datetime | None = None) -> OpenRequests:
        now = now or timezone.now()
        rows = (
            HelpRequest.objects.filter(
                region=region, status=HelpRequest.Status.OPEN, ends_at__gt=now
            )
            .order_by("id")
            .values_list(
                "id",
                "beneficiary_id",
                "category",
                "estate",
                "building",
                "beneficiary__languages",
                "urgency",
                "starts_at",
                "ends_at",
            )
        )
        return cls.of(rows)

    @classmethod
    def of(cls, rows: Sequence[Sequence[Any]] | Iterable[Sequence[Any]]) -> OpenRequests:
        """From rows of (id, beneficiary id, category, estate, building, beneficiary's
        languages, urgency, starts, ends)."""
        vocab = _Vocab()
        cols: list[list[Any]] = [[] for _ in range(9)]
        # A zone's offset changes on the hour at most: one conversion per hour seen (not per
        # time), still right across a DST change.
        offsets: dict[int, int] = {}

        def local(at: datetime) -> int:
            utc = int(at.timestamp() // 60)
            hour = utc // 60
            if hour not in offsets:
                offsets[hour] = local_minutes(at) - utc
            return utc + offsets[hour]

        for pk, who, category, estate, building, langs, urgency, starts, ends in rows:
            cols[0].append(pk)
            cols[1].append(who)
            cols[2].append(_CATEGORY.get(category, _CATEGORY["other"]))
            cols[3].append(vocab.estate(estate))
            cols[4].append(vocab.building(estate, building))
            cols[5].append(vocab.language_mask(langs or ()))
            cols[6].append(urgency == HelpRequest.Urgency.URGENT)
            cols[7].append(local(starts))
            cols[8].append(local(ends))
        i64 = np.int64
        return cls(
            ids=np.array(cols[0], dtype=i64),
            beneficiary=np.array(cols[1], dtype=i64),
            category=np.array(cols[2], dtype=i64),
            estate=np.array(cols[3], dtype=i64),
            building=np.array(cols[4], dtype=i64),
            languages=np.array(cols[5], dtype=np.uint64),
            urgent=np.array(cols[6], dtype=bool),
            starts=np.array(cols[7], dtype=i64),
            ends=np.array(cols[8], dtype=i64),
            vocab=vocab,
        )

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Ranked:
    """Request ids, best first, and how many of them fit the volunteer."""

    ids: list[int]
    fitting: int


def requests_for(member: Member, pool: OpenRequests, *, limit: int | None = None) -> Ranked:
    """The pool's requests ranked for a volunteer (their own requests left out): the fitting
    ones first, nearest, most languages shared, urgent, soonest."""
    vocab = pool.vocab
    terms = _pair(
        category=pool.category,
        skills=_skill_mask(member.skills),
        r_estate=pool.estate,
        r_building=pool.building,
        v_estate=vocab.estates.get(member.estate, -2) if member.estate else -1,
        v_building=vocab.buildings.get((member.estate, member.building), -2)
        if member.estate and member.building
        else -1,
        reach=_reach(member),
        r_languages=pool.languages,
        v_languages=vocab.language_mask(member.languages or ()),
        overlap=weekly_overlap(_cumulative(member.availability), pool.starts, pool.ends),
    )
    fits = terms.fits
    keep = pool.beneficiary != member.pk
    # np.lexsort sorts by the last key first.
    order = np.lexsort((pool.ids, pool.starts, ~pool.urgent, -terms.languages, terms.near, ~fits))
    order = order[keep[order]]
    if limit is not None:
        order = order[:limit]
    return Ranked(ids=pool.ids[order].tolist(), fitting=int((fits & keep).sum()))


@dataclass
class Volunteers:
    """A community's active volunteers with a login, as arrays for ``_pair``."""

    members: list[Member]
    skills: np.ndarray
    estate: np.ndarray
    building: np.ndarray
    reach: np.ndarray
    languages: np.ndarray
    recent: np.ndarray
    busy: np.ndarray
    cumulative: list[np.ndarray | None]
    vocab: _Vocab

    @classmethod
    def load(
        cls, region_ids: Iterable[int], vocab: _Vocab | None = None, *, now: datetime
    ) -> dict[int, Volunteers]:
        """Per region id, its volunteers (one query for all, with their load)."""
        vocab = vocab or _Vocab()
        since = now - timedelta(days=LOAD_DAYS)
        found = (
            Member.objects.filter(
                region_id__in=list(region_ids), is_volunteer=True, active=True, user__isnull=False
            )
            .annotate(
                recent=Count("orders", filter=Q(orders__taken_at__gte=since)),
                holding=Count("orders", filter=Q(orders__status__in=BUSY)),
            )
            .select_related("user")
            .order_by("region_id", "id")
        )
        by_region: dict[int, list[Member]] = {}
        for m in found:
            by_region.setdefault(m.region_id, []).append(m)
        return {rid: cls.of(ms, vocab) for rid, ms in by_region.items()}

    @classmethod
    def of(cls, members: list[Member], vocab: _Vocab) -> Volunteers:
        return cls(
            members=members,
            skills=np.array([_skill_mask(m.skills) for m in members], dtype=np.int64),
            estate=np.array([vocab.estate(m.estate) for m in members], dtype=np.int64),
            building=np.array(
                [vocab.building(m.estate, m.building) for m in members], dtype=np.int64
            ),
            reach=np.array([_reach(m) for m in members], dtype=np.int64),
            languages=np.array(
                [vocab.language_mask(m.languages or ()) for m in members], dtype=np.uint64
            ),
            recent=np.array([getattr(m, "recent", 0) for m in members], dtype=np.int64),
            busy=np.array(
                [getattr(m, "holding", 0) >= settings.TIMEBANK_MAX_ACTIVE_ORDERS for m in members],
                dtype=bool,
            ),
            cumulative=[_cumulative(m.availability) for m in members],
            vocab=vocab,
        )

    def terms(self, req: HelpRequest, languages: Iterable[str]) -> Terms:
        start, end = local_minutes(req.starts_at), local_minutes(req.ends_at)
        overlap = np.array(
            [int(weekly_overlap(c, start, end)) for c in self.cumulative], dtype=np.int64
        )
        vocab = self.vocab
        return _pair(
            category=_CATEGORY.get(req.category, _CATEGORY["other"]),
            skills=self.skills,
            r_estate=vocab.estate(req.estate),
            r_building=vocab.building(req.estate, req.building),
            v_estate=self.estate,
            v_building=self.building,
            reach=self.reach,
            r_languages=vocab.language_mask(languages),
            v_languages=self.languages,
            overlap=overlap,
        )


def volunteers_for(
    req: HelpRequest, *, now: datetime | None = None, limit: int = 10
) -> list[Member]:
    """The volunteers who fit the request and are not overloaded, best first."""
    now = now or timezone.now()
    pool = Volunteers.load([req.region_id], now=now).get(req.region_id)
    if pool is None:
        return []
    terms = pool.terms(req, req.beneficiary.languages or ())
    ids = np.array([m.pk for m in pool.members], dtype=np.int64)
    eligible = terms.fits & ~pool.busy & (ids != req.beneficiary_id)
    reliable = reliability.scores(ids[eligible].tolist(), now)
    band = np.array([-int(reliable.get(int(pk), 1.0) * 10) for pk in ids], dtype=np.int64)
    order = np.lexsort((ids, pool.recent, band, -terms.languages, terms.near))
    order = order[eligible[order]][:limit]
    return [pool.members[i] for i in order]


WHY = {
    "no_skill": gettext_lazy("No volunteer has this skill"),
    "not_available": gettext_lazy("No volunteer with the skill is available in the window"),
    "too_far": gettext_lazy(
        "The request is out of the reach of every available volunteer with the skill"
    ),
    "overloaded": gettext_lazy("Every volunteer who fits holds too many orders already"),
}


@dataclass
class Unmatched:
    request: HelpRequest
    reason: str
    skilled: int
    available: int
    reachable: int

    @property
    def why(self) -> str:
        return str(WHY[self.reason])


def unmatched(region_ids: Iterable[int], *, now: datetime | None = None) -> list[Unmatched]:
    """Open requests of the regions that no volunteer fits, and the first rule that leaves
    none: the skill, then availability, then reach, then load."""
    now = now or timezone.now()
    ids = list(region_ids)
    open_requests = list(
        HelpRequest.objects.filter(
            region_id__in=ids, status=HelpRequest.Status.OPEN, ends_at__gt=now
        )
        .select_related("region", "beneficiary")
        .order_by("starts_at", "id")
    )
    pools = Volunteers.load({r.region_id for r in open_requests}, now=now)
    found = []
    for req in open_requests:
        pool = pools.get(req.region_id)
        if pool is None:
            found.append(Unmatched(req, "no_skill", 0, 0, 0))
            continue
        terms = pool.terms(req, req.beneficiary.languages or ())
        not_self = np.array([m.pk != req.beneficiary_id for m in pool.members], dtype=bool)
        skilled = terms.skilled & not_self
        available = skilled & terms.available
        reachable = available & terms.reachable
        free = reachable & ~pool.busy
        counts = (int(skilled.sum()), int(available.sum()), int(reachable.sum()))
        if free.any():
            continue
        reason = (
            "no_skill"
            if not counts[0]
            else "not_available"
            if not counts[1]
            else "too_far"
            if not counts[2]
            else "overloaded"
        )
        found.append(Unmatched(req, reason, *counts))
    return found


def ranked_requests(
    member: Member, *, limit: int = 100, category: str = "", now: datetime | None = None
) -> list[HelpRequest]:
    """The open requests of the volunteer's community, ranked for them (the hall, the API)."""
    pool = OpenRequests.read(member.region, now=now)
    ids = requests_for(member, pool).ids
    found = HelpRequest.objects.filter(pk__in=ids).select_related("region", "beneficiary__person")
    if category:
        found = found.filter(category=category)
    by_id = {r.pk: r for r in found}
    return [by_id[pk] for pk in ids if pk in by_id][:limit]


def staff_report_regions(user: Requester, code: str | None = None) -> list[int]:
    """The region ids whose report the user may read: the communities they staff, or the one
    asked for (refused when they do not staff it; unknown codes are not found)."""
    regions = staff_regions(user)
    if code is None:
        ids = list(regions.values_list("pk", flat=True))
        if not ids:
            raise Forbidden(_("Only the community's staff may do this."), "not_staff")
        return ids
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(
            _("No region %(code)s.") % {"code": code}, fields={"region": [_("Not found.")]}
        )
    require_staff(user, region)
    return list(regions.filter(code__startswith=region.prefix).values_list("pk", flat=True))
