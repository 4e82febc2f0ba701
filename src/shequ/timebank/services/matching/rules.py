"""The rules of matching, stated once (``pair``) over numpy arrays: whether a volunteer fits a
request (skill, availability, reach) and the terms that rank the pairs (nearness, languages)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from shequ.timebank.models import Category, Member

NEAR_BUILDING, NEAR_ESTATE, NEAR_COMMUNITY = 0, 1, 2
REACH = {"building": NEAR_BUILDING, "estate": NEAR_ESTATE, "community": NEAR_COMMUNITY}
CATEGORY = {c: i for i, c in enumerate(Category.values)}
LANGUAGE_BITS = 63  # distinct languages told apart in one ranking; more share the last bit


class Vocab:
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
            mask |= 1 << min(bit, LANGUAGE_BITS - 1)
        return mask


def shared(a: Any, b: Any) -> np.ndarray:
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


def pair(
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
        languages=shared(r_languages, v_languages),
        overlap=overlap,
    )


def skill_mask(skills: Iterable[str]) -> int:
    return sum(1 << CATEGORY[s] for s in set(skills) if s in CATEGORY)


def reach_of(member: Member) -> int:
    return REACH.get(getattr(member, "reach", "community"), NEAR_COMMUNITY)
