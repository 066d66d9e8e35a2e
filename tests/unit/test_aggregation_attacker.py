"""An attacker of our own: solve every published table with linear programming.

The attacker is written independently of :mod:`cpdcore.domain.aggregation.audit`: it
reads only what is published (values, flags, the policy's public rules), assumes every
total is the sum of its parts, and for each withheld cell minimises and maximises it with
``scipy.optimize.linprog``. It wins if it pins a withheld cell to an interval narrower
than the protection width. A second, stronger attacker also knows which cells are truly
empty (e.g. which school is in which trust).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from cpdcore.domain.aggregation import ALL, Cube, Measure, protect
from cpdcore.domain.aggregation.policies import DisclosurePolicy, parse_policy
from cpdcore.domain.aggregation.suppression import ProtectedCell

Key = tuple[str, ...]


def _interval_of_published(value: float, policy: DisclosurePolicy) -> tuple[float, float]:
    base = policy.rounding_base
    if value == 0 and policy.threshold > 0:
        return (0.0, 0.0)
    if base <= 1:
        return (value, value)
    # halves round up: v comes from v - 2 .. v + 2 when base is 5
    return (max(0.0, value - (base - 1) // 2), value + base // 2)


def attack(
    cube: Cube,
    cells: tuple[ProtectedCell, ...],
    policy: DisclosurePolicy,
    known_zero: frozenset[Key] = frozenset(),
) -> dict[Key, tuple[float, float]]:
    """Feasible interval of every withheld cell, from the published table alone."""
    keys = [c.key for c in cells]
    index = {k: i for i, k in enumerate(keys)}
    bounds: list[tuple[float, float | None]] = []
    for cell in cells:
        if cell.key in known_zero:
            bounds.append((0.0, 0.0))
        elif cell.value is not None:
            bounds.append(_interval_of_published(float(cell.value), policy))
        elif cell.flag == "<5":
            bounds.append((1.0, 4.0))
        else:
            bounds.append((0.0, None))
    rows = []
    for key in keys:
        for axis, value in enumerate(key):
            if value != ALL:
                continue
            row = np.zeros(len(keys))
            row[index[key]] = 1.0
            for category in cube.categories[axis]:
                row[index[(*key[:axis], category, *key[axis + 1 :])]] -= 1.0
            rows.append(row)
    a_eq = np.array(rows) if rows else None
    b_eq = np.zeros(len(rows)) if rows else None
    result = {}
    for cell in cells:
        if cell.value is not None or cell.key in known_zero:
            continue
        ends = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(keys))
            c[index[cell.key]] = sign
            res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            if res.status == 3:
                ends.append(math.inf)
            else:
                assert res.status == 0, res.message
                ends.append(sign * res.fun)
        result[cell.key] = (ends[0], ends[1])
    return result


def width(interval: tuple[float, float]) -> float:
    low, high = interval
    if math.isinf(high):
        return math.inf
    return math.floor(high + 1e-6) - math.ceil(low - 1e-6)


def assert_attacker_fails(
    cube: Cube, policy: DisclosurePolicy, *, may_refuse: bool = False
) -> dict[Key, tuple[float, float]]:
    table = protect(cube, policy, Measure())
    if may_refuse and not table.passed:
        # e.g. Ofqual shows true zeros, so a tiny table of "<5" cells and exact zeros has
        # no safe pattern at all: cpdcore refuses it rather than release it
        return {}
    assert table.passed
    intervals = attack(cube, table.cells, policy)
    for key, interval in intervals.items():
        assert width(interval) >= policy.width, (key, interval, cube.stats(key).persons)
    zeros = frozenset(k for k in cube.cell_keys() if cube.stats(k).persons == 0)
    for key, interval in attack(cube, table.cells, policy, known_zero=zeros).items():
        assert width(interval) >= policy.width, ("knowing the empty cells", key, interval)
    return intervals


RAG_TABLE: Mapping[Key, int] = {
    ("S1", "RED"): 3,
    ("S1", "AMBER"): 14,
    ("S1", "GREEN"): 25,
    ("S2", "RED"): 12,
    ("S2", "AMBER"): 11,
    ("S2", "GREEN"): 30,
    ("S3", "RED"): 15,
    ("S3", "AMBER"): 22,
    ("S3", "GREEN"): 4,
}

POLICIES = ["k", "k:5", "dfe", "dfe:10", "ons-10-5", "ofqual", "hesa"]


@pytest.mark.parametrize("name", POLICIES)
def test_a_two_way_table_with_margins_cannot_be_solved(name: str) -> None:
    cube = Cube.from_counts(("school", "rag"), RAG_TABLE)
    assert_attacker_fails(cube, parse_policy(name))


@pytest.mark.parametrize("name", POLICIES)
def test_a_row_with_a_single_small_cell_cannot_be_solved(name: str) -> None:
    counts = {
        ("S1", "RED"): 2,
        ("S1", "AMBER"): 40,
        ("S1", "GREEN"): 50,
        ("S2", "RED"): 30,
        ("S2", "AMBER"): 45,
        ("S2", "GREEN"): 60,
        ("S3", "RED"): 25,
        ("S3", "AMBER"): 35,
        ("S3", "GREEN"): 55,
    }
    cube = Cube.from_counts(("school", "rag"), counts)
    intervals = assert_attacker_fails(cube, parse_policy(name))
    if parse_policy(name).rounding_base == 1:
        assert ("S1", "RED") in intervals


LINKED: Mapping[Key, int] = {
    # school A and B belong to trust T1, C and D to T2: the trust-level table and the
    # school-level table come from one query and share their cells
    ("T1", "A", "RED"): 2,
    ("T1", "A", "GREEN"): 31,
    ("T1", "B", "RED"): 14,
    ("T1", "B", "GREEN"): 27,
    ("T2", "C", "RED"): 11,
    ("T2", "C", "GREEN"): 6,
    ("T2", "D", "RED"): 19,
    ("T2", "D", "GREEN"): 40,
}


@pytest.mark.parametrize("name", ["k", "dfe", "ons-10-5", "ofqual"])
def test_linked_school_and_trust_tables_cannot_be_solved_together(name: str) -> None:
    cube = Cube.from_counts(("trust", "school", "rag"), LINKED)
    assert_attacker_fails(cube, parse_policy(name))


def test_the_attacker_does_win_against_primary_suppression_alone() -> None:
    """Proof that the attacker is not toothless: withhold only the small cell."""
    cube = Cube.from_counts(("school", "rag"), RAG_TABLE)
    policy = parse_policy("k")
    naive = tuple(
        ProtectedCell(key, None, "c")
        if cube.stats(key).persons < 10
        else ProtectedCell(key, cube.stats(key).persons)
        for key in cube.cell_keys()
    )
    intervals = attack(cube, naive, policy)
    assert intervals[("S1", "RED")] == pytest.approx((3, 3))


small_tables = st.dictionaries(
    keys=st.tuples(st.sampled_from(["S1", "S2", "S3", "S4"]), st.sampled_from(["R", "A", "G"])),
    values=st.integers(0, 30),
    min_size=3,
)


@settings(max_examples=30, deadline=None)
@given(counts=small_tables, name=st.sampled_from(["k", "dfe", "ons-10-5", "ofqual"]))
def test_random_tables_cannot_be_solved(counts: dict[Key, int], name: str) -> None:
    cube = Cube.from_counts(("school", "rag"), counts)
    assert_attacker_fails(cube, parse_policy(name), may_refuse=name in {"ofqual", "dfe"})


def test_a_table_no_pattern_can_protect_is_refused() -> None:
    counts = {("S1", "R"): 0, ("S1", "A"): 1, ("S2", "R"): 1}
    cube = Cube.from_counts(("school", "rag"), counts)
    assert not protect(cube, parse_policy("ofqual"), Measure()).passed


def test_three_way_tables_have_every_margin() -> None:
    counts = dict.fromkeys(itertools.product("ab", "xy", "uv"), 12)
    cube = Cube.from_counts(("p", "q", "r"), counts)
    assert len(list(cube.cell_keys())) == 27
    assert cube.stats((ALL, ALL, ALL)).persons == 96
