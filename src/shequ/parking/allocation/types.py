"""What goes in and comes out of an allocation: garages, applicants, rules, the result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from shequ.parking.geo import DETOUR_FACTOR, LatLon

MAX_WALK_M = 800.0
PREFERENCE_PENALTY_M = 150


@dataclass(frozen=True)
class Garage:
    """A garage offering shared spaces: window -> number of spaces."""

    code: str
    capacity: Mapping[str, int]
    location: LatLon | None = None


@dataclass(frozen=True)
class Applicant:
    """An application for a pass in one window.

    ``walk_m`` gives the walking distance to each garage; without it, it is estimated from
    ``location`` (the applicant's estate) and the garages' locations.
    """

    id: str
    applied_at: datetime
    window: str = "night"
    group: int = 0  # priority group: 0 first (no space of their own), then 1, 2, ...
    preferences: tuple[str, ...] = ()  # garage codes, most wanted first
    walk_m: Mapping[str, float] | None = None
    location: LatLon | None = None
    plates: int = 1  # plates registered on the pass; one space whatever the number


@dataclass(frozen=True)
class Rules:
    max_walk_m: float = MAX_WALK_M
    preference_penalty_m: int = PREFERENCE_PENALTY_M
    detour: float = DETOUR_FACTOR


@dataclass(frozen=True)
class Assignment:
    applicant: str
    group: int
    garage: str
    window: str
    walk_m: int
    rank: int | None  # position in the applicant's preferences (0: first choice), None: unranked
    cost: int  # walk_m + preference penalty


@dataclass(frozen=True)
class Waiting:
    """A place on the waiting list (1 is next in line)."""

    position: int
    applicant: str
    group: int
    applied_at: datetime
    reachable: bool  # False: no garage within the walking limit offers their window at all


@dataclass
class Allocation:
    """A proposed allocation, for staff to review before it is applied."""

    method: str
    assignments: list[Assignment]
    waiting: list[Waiting]
    applicants_by_group: dict[int, int] = field(default_factory=dict)

    @property
    def total_cost(self) -> int:
        return sum(a.cost for a in self.assignments)

    @property
    def total_walk_m(self) -> int:
        return sum(a.walk_m for a in self.assignments)

    def served_by_group(self) -> dict[int, int]:
        served = dict.fromkeys(self.applicants_by_group, 0)
        for a in self.assignments:
            served[a.group] += 1
        return served

    def priority_vector(self) -> tuple[int, ...]:
        """Served per group, highest priority first: compare two allocations' fairness."""
        served = self.served_by_group()
        return tuple(served[g] for g in sorted(served))

    def load(self) -> dict[tuple[str, str], int]:
        """Spaces taken per (garage, window)."""
        taken: dict[tuple[str, str], int] = {}
        for a in self.assignments:
            taken[(a.garage, a.window)] = taken.get((a.garage, a.window), 0) + 1
        return taken
