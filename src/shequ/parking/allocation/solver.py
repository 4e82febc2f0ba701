"""The solver: one max flow per priority group, then one min-cost flow; the baselines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from shequ.parking.allocation.types import (
    Allocation,
    Applicant,
    Assignment,
    Garage,
    Rules,
    Waiting,
)
from shequ.parking.geo import LatLon, walking_m

_INT64_SAFE = 2**62


# ---------------------------------------------------------------------------------------------
# The problem as arrays: one arc per (applicant, garage window) within reach
# ---------------------------------------------------------------------------------------------


@dataclass
class _Problem:
    applicants: list[Applicant]
    slots: list[tuple[str, str]]  # (garage, window)
    slot_capacity: np.ndarray  # int64 per slot
    arc_app: np.ndarray  # int32, arcs sorted by applicant
    arc_slot: np.ndarray  # int32
    arc_cost: np.ndarray  # int64
    arc_walk: np.ndarray  # int64
    arc_rank: np.ndarray  # int32, -1 for an unranked garage
    groups: list[int]  # distinct groups, highest priority first
    group_index: np.ndarray  # per applicant, index into groups

    @property
    def n(self) -> int:
        return len(self.applicants)


def _problem(applicants: Sequence[Applicant], garages: Sequence[Garage], rules: Rules) -> _Problem:
    _validate(applicants, garages)
    slots: list[tuple[str, str]] = []
    capacity: list[int] = []
    by_window: dict[str, list[tuple[int, Garage]]] = {}
    for garage in garages:
        for window, spaces in sorted(garage.capacity.items()):
            if spaces > 0:
                by_window.setdefault(window, []).append((len(slots), garage))
                slots.append((garage.code, window))
                capacity.append(int(spaces))
    walks_at: dict[LatLon, dict[str, float]] = {}
    apps, heads, costs, walks, ranks = [], [], [], [], []
    penalty = int(rules.preference_penalty_m)
    for i, applicant in enumerate(applicants):
        walk = applicant.walk_m
        if walk is None:
            walk = _walks_from(applicant, garages, rules, walks_at)
        ranked = {code: r for r, code in enumerate(applicant.preferences)}
        unranked = len(ranked)
        for slot, garage in by_window.get(applicant.window, ()):
            metres = walk.get(garage.code)
            if metres is None or metres > rules.max_walk_m:
                continue
            rank = ranked.get(garage.code)
            apps.append(i)
            heads.append(slot)
            walks.append(round(metres))
            ranks.append(-1 if rank is None else rank)
            costs.append(round(metres) + penalty * (unranked if rank is None else rank))
    groups = sorted({a.group for a in applicants})
    index = {g: k for k, g in enumerate(groups)}
    return _Problem(
        applicants=list(applicants),
        slots=slots,
        slot_capacity=np.asarray(capacity, dtype=np.int64),
        arc_app=np.asarray(apps, dtype=np.int32),
        arc_slot=np.asarray(heads, dtype=np.int32),
        arc_cost=np.asarray(costs, dtype=np.int64),
        arc_walk=np.asarray(walks, dtype=np.int64),
        arc_rank=np.asarray(ranks, dtype=np.int32),
        groups=groups,
        group_index=np.asarray([index[a.group] for a in applicants], dtype=np.int32),
    )


def _validate(applicants: Sequence[Applicant], garages: Sequence[Garage]) -> None:
    ids = [a.id for a in applicants]
    if len(set(ids)) != len(ids):
        raise ValueError("Applicant ids must be unique.")
    codes = [g.code for g in garages]
    if len(set(codes)) != len(codes):
        raise ValueError("Garage codes must be unique.")
    for g in garages:
        if any(int(v) < 0 for v in g.capacity.values()):
            raise ValueError(f"Garage {g.code} has a negative capacity.")
    for a in applicants:
        if a.group < 0:
            raise ValueError(f"Applicant {a.id} has a negative priority group.")
        if a.walk_m is None and a.location is None:
            raise ValueError(f"Applicant {a.id} has neither walking distances nor a location.")


def _walks_from(
    applicant: Applicant,
    garages: Sequence[Garage],
    rules: Rules,
    cache: dict[LatLon, dict[str, float]],
) -> dict[str, float]:
    assert applicant.location is not None
    home = applicant.location
    if home not in cache:
        cache[home] = {
            g.code: walking_m(home, g.location, rules.detour)
            for g in garages
            if g.location is not None
        }
    return cache[home]


def _queue_order(applicants: Sequence[Applicant]) -> list[int]:
    """Indexes of the applicants in waiting-list order: group, application time, id."""
    return sorted(range(len(applicants)), key=lambda i: _queue_key(applicants[i]))


def _queue_key(a: Applicant) -> tuple[int, datetime, str]:
    return (a.group, a.applied_at, a.id)


def _result(method: str, p: _Problem, chosen: Iterable[int]) -> Allocation:
    """An Allocation from the chosen arcs (at most one per applicant)."""
    assignments: list[Assignment] = []
    served: set[int] = set()
    for arc in chosen:
        i = int(p.arc_app[arc])
        garage, window = p.slots[int(p.arc_slot[arc])]
        rank = int(p.arc_rank[arc])
        assignments.append(
            Assignment(
                applicant=p.applicants[i].id,
                group=p.applicants[i].group,
                garage=garage,
                window=window,
                walk_m=int(p.arc_walk[arc]),
                rank=None if rank < 0 else rank,
                cost=int(p.arc_cost[arc]),
            )
        )
        served.add(i)
    reachable = set(p.arc_app.tolist())
    waiting = [
        Waiting(
            position=position,
            applicant=p.applicants[i].id,
            group=p.applicants[i].group,
            applied_at=p.applicants[i].applied_at,
            reachable=i in reachable,
        )
        for position, i in enumerate((i for i in _queue_order(p.applicants) if i not in served), 1)
    ]
    by_group: dict[int, int] = {}
    for a in p.applicants:
        by_group[a.group] = by_group.get(a.group, 0) + 1
    return Allocation(
        method=method,
        assignments=sorted(assignments, key=lambda a: a.applicant),
        waiting=waiting,
        applicants_by_group=by_group,
    )


# ---------------------------------------------------------------------------------------------
# Min-cost flow
# ---------------------------------------------------------------------------------------------


def allocate(
    applicants: Sequence[Applicant], garages: Sequence[Garage], rules: Rules | None = None
) -> Allocation:
    """The proposed allocation: priority groups first, then least cost (see the module doc)."""
    p = _problem(applicants, garages, rules or Rules())
    if p.n == 0 or len(p.arc_app) == 0:
        return _result("min_cost_flow", p, [])
    quota = _group_quotas(p)
    return _result("min_cost_flow", p, _min_cost_flow(p, quota))


def _max_served(p: _Problem, groups_upto: int) -> int:
    """How many applicants of the first ``groups_upto + 1`` groups can be served together."""
    from ortools.graph.python import max_flow

    keep = p.group_index[p.arc_app] <= groups_upto
    n, m = p.n, len(p.slots)
    source, sink = n + m, n + m + 1
    members = np.flatnonzero(p.group_index <= groups_upto).astype(np.int32)
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(
        np.full(len(members), source, dtype=np.int32), members, np.ones(len(members), np.int64)
    )
    flow.add_arcs_with_capacity(
        p.arc_app[keep], n + p.arc_slot[keep], np.ones(int(keep.sum()), np.int64)
    )
    flow.add_arcs_with_capacity(
        n + np.arange(m, dtype=np.int32), np.full(m, sink, dtype=np.int32), p.slot_capacity
    )
    status = flow.solve(source, sink)
    if status != flow.OPTIMAL:
        raise RuntimeError(f"max flow failed with status {status}")
    return int(flow.optimal_flow())


def _group_quotas(p: _Problem) -> list[int]:
    """Per group (priority order), how many are served: the lexicographic maximum."""
    quotas, before = [], 0
    for k in range(len(p.groups)):
        upto = _max_served(p, k)
        quotas.append(upto - before)
        before = upto
    return quotas


def _min_cost_flow(p: _Problem, quota: list[int]) -> list[int]:
    """The chosen applicant->slot arcs of the cheapest assignment serving ``quota`` per group."""
    from ortools.graph.python import min_cost_flow

    n, m, g = p.n, len(p.slots), len(p.groups)
    drop, sink = n + m, n + m + g  # drop nodes n+m .. n+m+g-1
    sizes = np.bincount(p.group_index, minlength=g)
    # Ties between equal-cost assignments go to earlier applicants: leaving applicant out costs
    # (group size - queue position), a total always below one unit of the scaled walking cost.
    tiebreak = np.zeros(n, dtype=np.int64)
    position = np.zeros(g, dtype=np.int64)
    for i in _queue_order(p.applicants):
        k = p.group_index[i]
        tiebreak[i] = sizes[k] - position[k]
        position[k] += 1
    scale = int((sizes.astype(object) ** 2).sum()) + 1
    if scale * (int(p.arc_cost.max()) + 1) * (n + m + g + 2) >= _INT64_SAFE:
        scale, tiebreak[:] = 1, 0  # too large to break ties safely: any cheapest assignment
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = len(p.arc_app)
    flow.add_arcs_with_capacity_and_unit_cost(
        p.arc_app, n + p.arc_slot, np.ones(arcs, np.int64), p.arc_cost * scale
    )
    everyone = np.arange(n, dtype=np.int32)
    flow.add_arcs_with_capacity_and_unit_cost(
        everyone, drop + p.group_index, np.ones(n, np.int64), tiebreak
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        n + np.arange(m, dtype=np.int32),
        np.full(m, sink, dtype=np.int32),
        p.slot_capacity,
        np.zeros(m, np.int64),
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        drop + np.arange(g, dtype=np.int32),
        np.full(g, sink, dtype=np.int32),
        sizes.astype(np.int64) - np.asarray(quota, dtype=np.int64),
        np.zeros(g, np.int64),
    )
    supplies = np.zeros(n + m + g + 1, dtype=np.int64)
    supplies[:n], supplies[sink] = 1, -n
    flow.set_nodes_supplies(np.arange(n + m + g + 1, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    used = flow.flows(np.arange(arcs, dtype=np.int32))
    return np.flatnonzero(used > 0).tolist()


# ---------------------------------------------------------------------------------------------
# Baseline and exact check
# ---------------------------------------------------------------------------------------------


def greedy(
    applicants: Sequence[Applicant], garages: Sequence[Garage], rules: Rules | None = None
) -> Allocation:
    """First come, first served within each priority group: each takes their cheapest garage
    with room left (ties: the garage listed first)."""
    p = _problem(applicants, garages, rules or Rules())
    left = p.slot_capacity.copy()
    starts = np.searchsorted(p.arc_app, np.arange(p.n + 1))
    chosen: list[int] = []
    for i in _queue_order(p.applicants):
        options = range(int(starts[i]), int(starts[i + 1]))
        for arc in sorted(options, key=lambda a: (int(p.arc_cost[a]), int(p.arc_slot[a]))):
            slot = int(p.arc_slot[arc])
            if left[slot] > 0:
                left[slot] -= 1
                chosen.append(arc)
                break
    return _result("greedy", p, chosen)


def exact(
    applicants: Sequence[Applicant], garages: Sequence[Garage], rules: Rules | None = None
) -> Allocation:
    """The optimum by another route, for small instances: an assignment problem over one column
    per space and one "not served" column per applicant, with priority as cost offsets."""
    from scipy.optimize import linear_sum_assignment

    p = _problem(applicants, garages, rules or Rules())
    n = p.n
    if n == 0:
        return _result("exact", p, [])
    # One column per space (no slot needs more than n), then a "not served" column each.
    units = [s for s, cap in enumerate(p.slot_capacity.tolist()) for _ in range(min(cap, n))]
    unit_cols: dict[int, list[int]] = {}
    for col, s in enumerate(units):
        unit_cols.setdefault(s, []).append(col)
    step = int(p.arc_cost.max(initial=0)) + 1
    # Leaving out one of group k must outweigh anything that groups after k and costs can add.
    offsets = [0] * len(p.groups)
    below = 0
    for k in reversed(range(len(p.groups))):
        offsets[k] = n * (below + step) + 1
        below = offsets[k]
    infeasible = n * (offsets[0] + step) + 1
    if infeasible >= 2**52:
        raise ValueError("This instance is too large for the exact check.")
    cost = np.full((n, len(units) + n), float(infeasible))
    for i in range(n):
        cost[i, len(units) + i] = offsets[int(p.group_index[i])]
    arc_at: dict[tuple[int, int], int] = {}
    for arc in range(len(p.arc_app)):
        i, s = int(p.arc_app[arc]), int(p.arc_slot[arc])
        arc_at[(i, s)] = arc
        cost[i, unit_cols.get(s, [])] = float(p.arc_cost[arc])
    rows, cols = linear_sum_assignment(cost)
    chosen = [
        arc_at[(int(i), units[int(c)])] for i, c in zip(rows, cols, strict=True) if c < len(units)
    ]
    return _result("exact", p, chosen)
