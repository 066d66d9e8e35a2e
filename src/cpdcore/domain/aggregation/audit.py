"""The linear-programming audit: how narrowly can an attacker pin each withheld cell?

The attacker knows every published value (and, for a rounded value, the interval of
counts that round to it), what each withheld symbol implies, that counts are never
negative, which cells are truly zero (conservatively: a real attacker may know that a
department has no staff in some category), and how totals relate to their parts. For each
withheld cell the audit solves two linear programs, minimising and maximising the cell
subject to all of that. The cell is protected when the interval is at least the policy's
protection width. This is the check statistical agencies run with tools such as
τ-Argus or sdcTable's audit; here it uses ``scipy.optimize.linprog`` (the ``stats``
extra), imported only when an audit runs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence

import attrs

from cpdcore.domain.aggregation.tables import CellKey, Line

__all__ = ["AuditReport", "CellInterval", "LinkedLine", "feasible_intervals"]

_EPS = 1e-6


@attrs.frozen
class LinkedLine:
    """A line as the attacker may use it: exactly additive, or only bounded.

    A count of distinct people is not additive along a column whose value varies within a
    person (a teacher with objectives on two themes counts once in the total): then the
    total lies between the largest part and the sum of the parts.
    """

    line: Line
    additive: bool = True


@attrs.frozen
class CellInterval:
    """The values an attacker cannot rule out for one withheld cell."""

    key: CellKey
    low: float
    high: float
    integer: bool = True

    @property
    def width(self) -> float:
        """Width of the interval (whole numbers only, for counts); may be infinite."""
        if math.isinf(self.high) or math.isinf(self.low):
            return math.inf
        if self.integer:
            return float(math.floor(self.high + _EPS) - math.ceil(self.low - _EPS))
        return self.high - self.low


@attrs.frozen
class AuditReport:
    """The audit of one suppression pattern: each withheld cell's interval, and failures."""

    intervals: tuple[CellInterval, ...]
    required: Mapping[CellKey, float]

    @property
    def failing(self) -> tuple[CellKey, ...]:
        """Withheld cells pinned narrower than their required width."""
        return tuple(
            i.key for i in self.intervals if i.width + _EPS < self.required.get(i.key, 0.0)
        )

    @property
    def passed(self) -> bool:
        """True when no withheld cell can be pinned too narrowly."""
        return not self.failing

    @property
    def narrowest(self) -> float | None:
        """The smallest interval width found (``None`` when nothing is withheld)."""
        return min((i.width for i in self.intervals), default=None)


def _components(
    keys: Sequence[CellKey], fixed: set[CellKey], lines: Sequence[LinkedLine]
) -> dict[CellKey, int]:
    """Union-find over lines: cells connected through non-fixed cells share an LP."""
    parent = {k: k for k in keys}

    def find(k: CellKey) -> CellKey:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for linked in lines:
        free = [m for m in linked.line.members if m not in fixed]
        for a, b in itertools.pairwise(free):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
    roots: dict[CellKey, int] = {}
    return {k: roots.setdefault(find(k), len(roots)) for k in keys}


def feasible_intervals(
    bounds: Mapping[CellKey, tuple[float, float]],
    lines: Sequence[LinkedLine],
    targets: Iterable[CellKey],
    *,
    integer: bool = True,
) -> list[CellInterval]:
    """Minimise and maximise every target cell subject to the bounds and the lines.

    ``bounds`` holds, for every cell, what the attacker knows about it (``low == high`` for
    an exact value, ``math.inf`` for no upper bound).
    """
    from cpdcore.extras import require

    optimize = require("scipy.optimize", "the LP audit")
    sparse = require("scipy.sparse", "the LP audit")
    np = require("numpy", "the LP audit")

    keys = list(bounds)
    fixed = {k for k, (lo, hi) in bounds.items() if hi - lo <= _EPS}
    component = _components(keys, fixed, lines)
    results: list[CellInterval] = []
    targets = list(targets)
    by_component: dict[int, list[CellKey]] = {}
    for target in targets:
        by_component.setdefault(component[target], []).append(target)
    for comp, comp_targets in by_component.items():
        variables = [k for k in keys if component[k] == comp and k not in fixed]
        index = {k: i for i, k in enumerate(variables)}
        eq_rows: list[dict[int, float]] = []
        eq_rhs: list[float] = []
        ub_rows: list[dict[int, float]] = []
        ub_rhs: list[float] = []
        for linked in lines:
            members = linked.line.members
            if not any(m in index for m in members):
                continue
            # total - sum(parts) == 0, with fixed cells moved to the right-hand side
            coeffs = dict.fromkeys(linked.line.parts, -1.0)
            coeffs[linked.line.total] = coeffs.get(linked.line.total, 0.0) + 1.0
            row, constant = _split(coeffs, index, bounds)
            if linked.additive:
                eq_rows.append(row)
                eq_rhs.append(-constant)
                continue
            ub_rows.append(row)  # total <= sum of parts
            ub_rhs.append(-constant)
            for part in linked.line.parts:  # part <= total
                row, constant = _split({part: 1.0, linked.line.total: -1.0}, index, bounds)
                if row:
                    ub_rows.append(row)
                    ub_rhs.append(-constant)
        n = len(variables)
        a_eq = _matrix(sparse, eq_rows, n)
        a_ub = _matrix(sparse, ub_rows, n)
        var_bounds = [
            (
                None if math.isinf(bounds[k][0]) else bounds[k][0],
                None if math.isinf(bounds[k][1]) else bounds[k][1],
            )
            for k in variables
        ]
        for target in comp_targets:
            if target in fixed:
                lo, hi = bounds[target]
                results.append(CellInterval(target, lo, hi, integer))
                continue
            extremes = []
            for sign in (1.0, -1.0):
                c = np.zeros(n)
                c[index[target]] = sign
                res = optimize.linprog(
                    c,
                    A_ub=a_ub,
                    b_ub=ub_rhs or None,
                    A_eq=a_eq,
                    b_eq=eq_rhs or None,
                    bounds=var_bounds,
                    method="highs",
                )
                if res.status == 3:  # unbounded in this direction
                    extremes.append(-math.inf if sign > 0 else math.inf)
                elif res.status != 0:
                    # An infeasible system means the attacker's model is wrong; report the
                    # a-priori bounds, which is what such an attacker could still claim.
                    extremes.append(bounds[target][0] if sign > 0 else bounds[target][1])
                else:
                    extremes.append(sign * float(res.fun))
            results.append(CellInterval(target, extremes[0], extremes[1], integer))
    return results


def _split(
    coeffs: Mapping[CellKey, float],
    index: Mapping[CellKey, int],
    bounds: Mapping[CellKey, tuple[float, float]],
) -> tuple[dict[int, float], float]:
    """Separate a linear form into variable coefficients and the constant of fixed cells."""
    row: dict[int, float] = {}
    constant = 0.0
    for key, coefficient in coeffs.items():
        if key in index:
            row[index[key]] = row.get(index[key], 0.0) + coefficient
        else:
            constant += coefficient * bounds[key][0]
    return row, constant


def _matrix(sparse: object, rows: Sequence[Mapping[int, float]], n: int) -> object | None:
    """A CSR matrix of the rows, or ``None`` when there are none."""
    if not rows:
        return None
    data: list[float] = []
    cols: list[int] = []
    indptr = [0]
    for row in rows:
        for col, value in sorted(row.items()):
            data.append(value)
            cols.append(col)
        indptr.append(len(data))
    matrix: object = sparse.csr_matrix((data, cols, indptr), shape=(len(rows), n))  # type: ignore[attr-defined]
    return matrix
