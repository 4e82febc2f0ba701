"""Volunteers ranked for a request: a community's active volunteers as arrays, with their
load (``Volunteers``), and the best of those who fit (``volunteers_for``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from shequ.timebank.models import HelpRequest, Member, Order
from shequ.timebank.services import reliability
from shequ.timebank.services.matching.rules import (
    CATEGORY,
    Terms,
    Vocab,
    pair,
    reach_of,
    skill_mask,
)
from shequ.timebank.services.matching.week import cumulative, local_minutes, weekly_overlap

LOAD_DAYS = 30
BUSY = (Order.Status.TAKEN, Order.Status.IN_SERVICE)


@dataclass
class Volunteers:
    """A community's active volunteers with a login, as arrays for ``rules.pair``."""

    members: list[Member]
    skills: np.ndarray
    estate: np.ndarray
    building: np.ndarray
    reach: np.ndarray
    languages: np.ndarray
    recent: np.ndarray
    busy: np.ndarray
    cumulative: list[np.ndarray | None]
    vocab: Vocab

    @classmethod
    def load(
        cls, region_ids: Iterable[int], vocab: Vocab | None = None, *, now: datetime
    ) -> dict[int, Volunteers]:
        """Per region id, its volunteers (one query for all, with their load)."""
        vocab = vocab or Vocab()
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
    def of(cls, members: list[Member], vocab: Vocab) -> Volunteers:
        return cls(
            members=members,
            skills=np.array([skill_mask(m.skills) for m in members], dtype=np.int64),
            estate=np.array([vocab.estate(m.estate) for m in members], dtype=np.int64),
            building=np.array(
                [vocab.building(m.estate, m.building) for m in members], dtype=np.int64
            ),
            reach=np.array([reach_of(m) for m in members], dtype=np.int64),
            languages=np.array(
                [vocab.language_mask(m.languages or ()) for m in members], dtype=np.uint64
            ),
            recent=np.array([getattr(m, "recent", 0) for m in members], dtype=np.int64),
            busy=np.array(
                [getattr(m, "holding", 0) >= settings.TIMEBANK_MAX_ACTIVE_ORDERS for m in members],
                dtype=bool,
            ),
            cumulative=[cumulative(m.availability) for m in members],
            vocab=vocab,
        )

    def terms(self, req: HelpRequest, languages: Iterable[str]) -> Terms:
        start, end = local_minutes(req.starts_at), local_minutes(req.ends_at)
        overlap = np.array(
            [int(weekly_overlap(c, start, end)) for c in self.cumulative], dtype=np.int64
        )
        vocab = self.vocab
        return pair(
            category=CATEGORY.get(req.category, CATEGORY["other"]),
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
