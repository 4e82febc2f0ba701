"""Open requests ranked for a volunteer: a community's open requests read once as arrays
(``OpenRequests``), ranked for each volunteer against them (``requests_for``), and the hall's
list of requests (``ranked_requests``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from django.utils import timezone

from shequ.core.models import Region
from shequ.timebank.models import HelpRequest, Member
from shequ.timebank.services.matching.rules import CATEGORY, Vocab, pair, reach_of, skill_mask
from shequ.timebank.services.matching.week import cumulative, local_minutes, weekly_overlap


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
    vocab: Vocab = field(default_factory=Vocab)

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
        vocab = Vocab()
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
            cols[2].append(CATEGORY.get(category, CATEGORY["other"]))
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
    terms = pair(
        category=pool.category,
        skills=skill_mask(member.skills),
        r_estate=pool.estate,
        r_building=pool.building,
        v_estate=vocab.estates.get(member.estate, -2) if member.estate else -1,
        v_building=vocab.buildings.get((member.estate, member.building), -2)
        if member.estate and member.building
        else -1,
        reach=reach_of(member),
        r_languages=pool.languages,
        v_languages=vocab.language_mask(member.languages or ()),
        overlap=weekly_overlap(cumulative(member.availability), pool.starts, pool.ends),
    )
    fits = terms.fits
    keep = pool.beneficiary != member.pk
    # np.lexsort sorts by the last key first.
    order = np.lexsort((pool.ids, pool.starts, ~pool.urgent, -terms.languages, terms.near, ~fits))
    order = order[keep[order]]
    if limit is not None:
        order = order[:limit]
    return Ranked(ids=pool.ids[order].tolist(), fitting=int((fits & keep).sum()))


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
