"""Allocating shared spaces: min-cost flow against an exact solver and the first-come baseline."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.parking.allocation import (
    Allocation,
    Applicant,
    Garage,
    Rules,
    allocate,
    exact,
    greedy,
)
from shequ.parking.geo import LatLon, walking_m

T0 = datetime(2026, 11, 1, 9, 0)


def applicant(
    id: str,
    walk: dict[str, float],
    *,
    minute: int = 0,
    group: int = 0,
    window: str = "night",
    prefs: tuple[str, ...] = (),
) -> Applicant:
    return Applicant(
        id=id,
        applied_at=T0 + timedelta(minutes=minute),
        window=window,
        group=group,
        preferences=prefs,
        walk_m=walk,
    )


def served(result: Allocation) -> dict[str, str]:
    return {a.applicant: a.garage for a in result.assignments}


def test_min_cost_beats_first_come_on_total_walk() -> None:
    garages = [Garage("A", {"night": 1}), Garage("B", {"night": 1})]
    people = [
        applicant("p1", {"A": 100, "B": 500}, minute=0),
        applicant("p2", {"A": 200, "B": 790}, minute=1),
    ]
    first_come, best = greedy(people, garages), allocate(people, garages)
    assert served(first_come) == {"p1": "A", "p2": "B"}
    assert served(best) == {"p1": "B", "p2": "A"}
    assert (first_come.total_walk_m, best.total_walk_m) == (890, 700)


def test_priority_groups_are_served_first_whatever_the_walk_or_the_time() -> None:
    garages = [Garage("A", {"night": 1})]
    people = [
        applicant("early-with-a-space", {"A": 100}, minute=0, group=1),
        applicant("late-without", {"A": 700}, minute=60, group=0),
    ]
    result = allocate(people, garages)
    assert served(result) == {"late-without": "A"}
    assert [(w.applicant, w.position, w.reachable) for w in result.waiting] == [
        ("early-with-a-space", 1, True)
    ]


def test_a_higher_group_takes_the_farther_garage_so_a_lower_group_is_served_too() -> None:
    # Serving each group in turn on what is left would give "a" the near garage A and leave
    # "b" (who can only reach A) out; the lexicographic optimum serves both.
    garages = [Garage("A", {"night": 1}), Garage("B", {"night": 1})]
    people = [applicant("a", {"A": 100, "B": 700}, group=0), applicant("b", {"A": 300}, group=1)]
    result = allocate(people, garages)
    assert served(result) == {"a": "B", "b": "A"}
    assert result.served_by_group() == {0: 1, 1: 1} and result.total_cost == 1000


def test_nobody_walks_further_than_the_limit_nor_parks_outside_their_window() -> None:
    garages = [Garage("A", {"night": 5, "weekend": 0}), Garage("B", {"weekend": 2})]
    people = [
        applicant("too-far", {"A": 801}),
        applicant("weekender", {"A": 100, "B": 300}, window="weekend"),
        applicant("night", {"A": 800, "B": 10}),
    ]
    result = allocate(people, garages, Rules(max_walk_m=800))
    assert served(result) == {"weekender": "B", "night": "A"}
    assert [(w.applicant, w.reachable) for w in result.waiting] == [("too-far", False)]


def test_stated_preferences_cost_a_penalty_per_step_down() -> None:
    garages = [Garage("A", {"night": 1}), Garage("B", {"night": 1}), Garage("C", {"night": 1})]
    walk = {"A": 300, "B": 300, "C": 300}
    people = [
        applicant("p1", walk, prefs=("B", "A")),
        applicant("p2", walk | {"A": 400}, prefs=("B",), minute=1),
        applicant("p3", walk, prefs=("C",), minute=2),
    ]
    result = allocate(people, garages, Rules(preference_penalty_m=150))
    assert served(result) == {"p1": "A", "p2": "B", "p3": "C"}
    assert {a.applicant: (a.rank, a.cost) for a in result.assignments} == {
        "p1": (1, 450),
        "p2": (0, 300),
        "p3": (0, 300),
    }
    # p2 ranked only B: A would cost them 400 + 150 (one step below their last choice).
    assert result.total_cost == exact(people, garages, Rules(preference_penalty_m=150)).total_cost


def test_equal_costs_go_to_the_earlier_applicant_and_the_waiting_list_is_ranked() -> None:
    garages = [Garage("A", {"night": 2})]
    people = [
        applicant("late", {"A": 200}, minute=30),
        applicant("early", {"A": 200}, minute=0),
        applicant("middle", {"A": 200}, minute=10),
        applicant("late-group-1", {"A": 200}, minute=40, group=1),
        applicant("early-group-1", {"A": 200}, minute=5, group=1),
    ]
    result = allocate(people, garages)
    assert sorted(served(result)) == ["early", "middle"]
    assert [(w.position, w.applicant) for w in result.waiting] == [
        (1, "late"),
        (2, "early-group-1"),
        (3, "late-group-1"),
    ]


def test_walking_distances_come_from_locations_when_not_given() -> None:
    home = LatLon(30.2720, 120.1480)
    garages = [
        Garage("near", {"night": 1}, LatLon(30.2745, 120.1452)),
        Garage("far", {"night": 1}, LatLon(30.2900, 120.1480)),
    ]
    people = [Applicant("p", T0, location=home)]
    (assignment,) = allocate(people, garages).assignments
    assert assignment.garage == "near"
    assert assignment.walk_m == round(walking_m(home, LatLon(30.2745, 120.1452)))


def test_bad_input_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="unique"):
        allocate([applicant("p", {}), applicant("p", {})], [])
    with pytest.raises(ValueError, match="negative capacity"):
        allocate([], [Garage("A", {"night": -1})])
    with pytest.raises(ValueError, match="neither walking distances nor a location"):
        allocate([Applicant("p", T0)], [Garage("A", {"night": 1})])


def test_no_applicants_or_no_reachable_garage() -> None:
    assert allocate([], [Garage("A", {"night": 3})]).assignments == []
    result = allocate([applicant("p", {"Z": 100})], [Garage("A", {"night": 3})])
    assert result.assignments == [] and result.waiting[0].reachable is False


# --- random instances: the flow against the exact solver and the baseline ------------------

WINDOWS = ("night", "weekend")


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Applicant], list[Garage]]:
    codes = [f"G{k}" for k in range(draw(st.integers(1, 4)))]
    garages = [Garage(code, {w: draw(st.integers(0, 3)) for w in WINDOWS}) for code in codes]
    people = []
    for i in range(draw(st.integers(0, 9))):
        reachable = draw(st.lists(st.sampled_from(codes), unique=True, max_size=len(codes)))
        people.append(
            Applicant(
                id=f"P{i}",
                applied_at=T0 + timedelta(minutes=draw(st.integers(0, 20))),
                window=draw(st.sampled_from(WINDOWS)),
                group=draw(st.integers(0, 2)),
                preferences=tuple(draw(st.permutations(codes))[: draw(st.integers(0, 3))]),
                walk_m={c: draw(st.integers(0, 1000)) for c in reachable},
            )
        )
    return people, garages


def check_feasible(result: Allocation, people: list[Applicant], garages: list[Garage]) -> None:
    by_id = {p.id: p for p in people}
    capacity = {(g.code, w): n for g in garages for w, n in g.capacity.items()}
    for (garage, window), taken in result.load().items():
        assert taken <= capacity[(garage, window)]
    for a in result.assignments:
        person = by_id[a.applicant]
        assert a.window == person.window and person.walk_m is not None
        assert a.walk_m == person.walk_m[a.garage] <= 800
    ids = [a.applicant for a in result.assignments] + [w.applicant for w in result.waiting]
    assert sorted(ids) == sorted(by_id)
    assert [w.position for w in result.waiting] == list(range(1, len(result.waiting) + 1))
    keys = [(w.group, w.applied_at, w.applicant) for w in result.waiting]
    assert keys == sorted(keys)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_the_flow_matches_the_exact_optimum(case: tuple[list[Applicant], list[Garage]]) -> None:
    people, garages = case
    best, truth = allocate(people, garages), exact(people, garages)
    check_feasible(best, people, garages)
    check_feasible(truth, people, garages)
    assert best.priority_vector() == truth.priority_vector()
    assert best.total_cost == truth.total_cost


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_first_come_is_never_better(case: tuple[list[Applicant], list[Garage]]) -> None:
    people, garages = case
    best, first_come = allocate(people, garages), greedy(people, garages)
    check_feasible(first_come, people, garages)
    assert first_come.priority_vector() <= best.priority_vector()
    if first_come.priority_vector() == best.priority_vector():
        assert first_come.total_cost >= best.total_cost


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_nobody_waits_for_a_space_they_could_have(
    case: tuple[list[Applicant], list[Garage]],
) -> None:
    """No one waits while a space they can reach is free, or held by a lower group."""
    people, garages = case
    result = allocate(people, garages)
    by_id = {p.id: p for p in people}
    capacity = {(g.code, w): n for g in garages for w, n in g.capacity.items()}
    load = result.load()
    holders: dict[tuple[str, str], list[int]] = {}
    for a in result.assignments:
        holders.setdefault((a.garage, a.window), []).append(a.group)
    for w in result.waiting:
        person = by_id[w.applicant]
        for garage, metres in (person.walk_m or {}).items():
            slot = (garage, person.window)
            if metres > 800 or not capacity.get(slot):
                continue
            assert load.get(slot, 0) == capacity[slot], (w.applicant, slot)
            assert all(group <= w.group for group in holders.get(slot, [])), (w.applicant, slot)


def street(estates: list[LatLon], seed: int = 5) -> tuple[list[Applicant], list[Garage]]:
    """300 residents of the estates ask for 150 night spaces in the demo's five garages."""
    rng = random.Random(seed)
    garages = [
        Garage(code, {"night": spaces}, LatLon(lat, lon))
        for code, spaces, lat, lon in (
            ("G01", 40, 30.2745, 120.1452),
            ("G02", 30, 30.2701, 120.1446),
            ("G03", 30, 30.2752, 120.1509),
            ("G04", 25, 30.2689, 120.1503),
            ("G05", 25, 30.2731, 120.1527),
        )
    ]
    codes = [g.code for g in garages]
    people = [
        Applicant(
            id=f"P{i:03d}",
            applied_at=T0 + timedelta(minutes=rng.randint(0, 10_000)),
            group=rng.choice([0, 0, 1]),
            preferences=tuple(rng.sample(codes, 2)),
            location=rng.choice(estates),
        )
        for i in range(300)
    ]
    return people, garages


def test_on_a_street_sized_case_the_flow_walks_less_than_first_come() -> None:
    """Everyone can reach every garage: both serve 150; the flow walks less (totals shown)."""
    people, garages = street([LatLon(30.2720, 120.1480), LatLon(30.2712, 120.1497)])
    best, first_come = allocate(people, garages), greedy(people, garages)
    print(
        f"\ntotal walk: min-cost {best.total_walk_m / 1000:.1f} km, "
        f"first come {first_come.total_walk_m / 1000:.1f} km"
    )
    assert best.priority_vector() == first_come.priority_vector() == (150, 0)
    assert best.total_cost < first_come.total_cost
    assert best.total_walk_m < first_come.total_walk_m


def test_when_reach_differs_the_flow_serves_more_of_the_first_group() -> None:
    """A farther estate reaches only some garages; first come fills them with others."""
    people, garages = street(
        [LatLon(30.2720, 120.1480), LatLon(30.2665, 120.1585), LatLon(30.2760, 120.1530)]
    )
    best, first_come = allocate(people, garages), greedy(people, garages)
    print(
        f"\nserved by group: min-cost {best.priority_vector()}, first come "
        f"{first_come.priority_vector()}"
    )
    assert best.priority_vector() > first_come.priority_vector()
