"""Allocating shared garage spaces (错峰车位分配) when applicants outnumber them.

Applicants are residents asking for an off-peak pass in a window (say ``night``: weeknights
19:00-07:30); garages offer a number of spaces per window. A pass is one space, whatever the
number of plates on it (one car parks at a time), in a garage that offers the applicant's
window within the maximum walking distance of their home. The objective, in this order:

1. **priority groups strictly first**: as many applicants of group 0 (no parking space of
   their own) as can be served, then as many of group 1 as possible without serving fewer of
   group 0, and so on;
2. then the **lowest total cost**: an assignment costs its walking distance in metres plus
   ``preference_penalty_m`` for each step down the applicant's ranked garages (a garage they
   did not rank counts as one step below their last choice);
3. then, where costs tie, earlier applicants of a group before later ones.

How (``allocate``). The sets of applicants that can be served together form a transversal
matroid, so the most of group g that can be served once groups before it are served as much as
possible is rank(groups <= g) - rank(groups < g): one max flow per group. A single min-cost
flow (OR-Tools ``SimpleMinCostFlow``) then finds the cheapest assignment that serves exactly
those numbers: every applicant sends one unit of flow either to a garage window (cost: walk +
penalty) or to their group's "not served" node, whose arc to the sink admits only as many as
the group must leave out. The alternative, lexicographic cost offsets in one flow, needs
offsets growing like n^groups and overflows the solver's 64-bit costs at 10,000 applicants.

Applicants left over form the waiting list, ranked by group, then application time.
``greedy`` is the first-come baseline (by group, then application time, each applicant takes
their cheapest garage with room); ``exact`` solves small instances independently with SciPy's
``linear_sum_assignment`` over one column per space, for tests and the benchmark.
"""

from shequ.parking.allocation.solver import allocate, exact, greedy
from shequ.parking.allocation.types import (
    MAX_WALK_M,
    PREFERENCE_PENALTY_M,
    Allocation,
    Applicant,
    Assignment,
    Garage,
    Rules,
    Waiting,
)

__all__ = [
    "MAX_WALK_M",
    "PREFERENCE_PENALTY_M",
    "Allocation",
    "Applicant",
    "Assignment",
    "Garage",
    "Rules",
    "Waiting",
    "allocate",
    "exact",
    "greedy",
]
