"""Primary and secondary suppression, verified by the LP audit.

Method (documented in ``docs/explanation/anonymous-aggregates.md``):

1. **Primary**: the policy decides each cell on its own (:func:`publish_count`).
2. **Line rule** (policies that publish exact counts): a line (a total and its parts)
   with exactly one withheld non-empty cell gets a second one, the published non-empty
   cell of smallest value (parts before totals), so that no subtraction recovers it.
3. **Audit**: the LP audit bounds every withheld cell from everything published. For each
   cell pinned narrower than the protection width, the smallest published non-empty cell
   on one of its lines is withheld as well (the least information lost). Steps 2 and 3
   repeat until the audit passes; every round withholds at least one more cell, so the
   loop ends, at worst with every non-empty cell withheld.

Totals are always computed from the true, unrounded values and rounded afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import attrs

from cpdcore.domain.aggregation.audit import AuditReport, LinkedLine, feasible_intervals
from cpdcore.domain.aggregation.policies import (
    DisclosurePolicy,
    Publication,
    publish_count,
    rounding_interval,
)
from cpdcore.domain.aggregation.tables import ALL, CellKey, Cube, Line, Measure, MeasureKind

__all__ = [
    "CellStatus",
    "Pattern",
    "ProtectedCell",
    "ProtectedTable",
    "linked_lines",
    "protect",
    "protect_values",
]

_TOLERANCE = 1e-9


class CellStatus:
    """Why a cell shows what it shows (strings, so they serialise as they are)."""

    PUBLISHED = "published"
    PRIMARY = "primary"
    SECONDARY = "secondary"
    NOT_APPLICABLE = "not-applicable"


@attrs.frozen
class Pattern:
    """Which non-empty cells are withheld, and the audit that accepted the pattern."""

    primary: frozenset[CellKey]
    secondary: frozenset[CellKey]
    report: AuditReport | None
    rounds: int

    @property
    def withheld(self) -> frozenset[CellKey]:
        """Primary and secondary withheld cells."""
        return self.primary | self.secondary

    @property
    def passed(self) -> bool:
        """True when the audit found no withheld cell pinned too narrowly."""
        return self.report is None or self.report.passed


@attrs.frozen
class ProtectedCell:
    """One row of the published table."""

    key: CellKey
    value: float | int | None
    flag: str = ""
    status: str = CellStatus.PUBLISHED


@attrs.frozen
class ProtectedTable:
    """The publishable table and how it was protected."""

    dims: tuple[str, ...]
    measure: Measure
    policy: DisclosurePolicy
    cells: tuple[ProtectedCell, ...]
    patterns: tuple[Pattern, ...]

    @property
    def passed(self) -> bool:
        """True when every audit passed (otherwise nothing may be released)."""
        return all(p.passed for p in self.patterns)

    def counts(self) -> dict[str, int]:
        """How many cells were published, withheld first-hand, withheld to protect others."""
        result = {"cells": len(self.cells), "published": 0, "primary": 0, "secondary": 0}
        for cell in self.cells:
            if cell.status == CellStatus.PUBLISHED:
                result["published"] += 1
            elif cell.status == CellStatus.SECONDARY:
                result["secondary"] += 1
            else:
                result["primary"] += 1
        return result

    def narrowest_interval(self) -> float | None:
        """The narrowest interval the audit found for any withheld cell."""
        widths = [
            p.report.narrowest
            for p in self.patterns
            if p.report is not None and p.report.narrowest is not None
        ]
        return min(widths, default=None)


def linked_lines(lines: Sequence[Line], values: Mapping[CellKey, float]) -> list[LinkedLine]:
    """Mark each line additive when its total equals the sum of its parts in the data."""
    result = []
    for line in lines:
        parts = sum(values.get(p, 0.0) for p in line.parts)
        result.append(LinkedLine(line, abs(values.get(line.total, 0.0) - parts) <= _TOLERANCE))
    return result


def _margin_depth(key: CellKey) -> int:
    return sum(1 for v in key if v == ALL)


def protect_values(
    keys: Sequence[CellKey],
    values: Mapping[CellKey, float],
    publications: Mapping[CellKey, Publication],
    lines: Sequence[LinkedLine],
    *,
    empty: frozenset[CellKey],
    published_interval: Callable[[CellKey, Publication], tuple[float, float]],
    withheld_interval: Callable[[CellKey, Publication], tuple[float, float]],
    required: Callable[[CellKey], float],
    line_rule: bool,
    integer: bool = True,
) -> Pattern:
    """Find a suppression pattern for one table of values that passes the LP audit.

    ``empty`` cells are published as an exact zero (policies that show true zeros): the
    attacker knows them, so they are never withheld to protect others. Withheld zeros
    (policies that hide them) are protected like any other withheld cell.
    """
    primary = frozenset(k for k in keys if publications[k].withheld)
    withheld = set(primary)
    lines_of: dict[CellKey, list[Line]] = {}
    for linked in lines:
        for member in linked.line.members:
            lines_of.setdefault(member, []).append(linked.line)

    def deficient() -> set[Line]:
        """Lines where exactly one cell is withheld: subtraction would recover it."""
        return {
            linked.line
            for linked in lines
            if sum(1 for m in linked.line.members if m in withheld and values[m] != 0) == 1
        }

    def complement(candidates: Sequence[CellKey], open_lines: set[Line]) -> CellKey | None:
        # Zeros never protect anything against an attacker who knows they are empty.
        eligible = [
            c for c in candidates if c not in withheld and c not in empty and values[c] != 0
        ]
        if not eligible:
            return None
        # Prefer a cell that also closes other open lines (a rectangle of four withheld
        # cells protects two rows and two columns at once), then the smallest value.
        return min(
            eligible,
            key=lambda c: (
                -sum(1 for ln in lines_of.get(c, ()) if ln in open_lines),
                abs(values[c]),
                _margin_depth(c),
                c,
            ),
        )

    def apply_line_rule() -> None:
        while open_lines := deficient():
            line = min(open_lines, key=lambda ln: ln.total)
            extra = complement(line.members, open_lines)
            if extra is None:
                return
            withheld.add(extra)

    zeros = frozenset(k for k in keys if values[k] == 0)

    def bounds(zeros_known: bool) -> dict[CellKey, tuple[float, float]]:
        known: dict[CellKey, tuple[float, float]] = {}
        for key in keys:
            if key in empty or (zeros_known and key in zeros):
                known[key] = (0.0, 0.0)
            elif key in withheld:
                known[key] = withheld_interval(key, publications[key])
            else:
                known[key] = published_interval(key, publications[key])
        return known

    report: AuditReport | None = None
    rounds = 0
    while True:
        if line_rule:
            apply_line_rule()
        if not lines or not withheld:
            report = None
            break
        rounds += 1
        # Two attackers: one who knows which cells are truly empty (e.g. that a school is
        # not in a trust), against whom every withheld non-empty cell must hold; and one
        # who does not, against whom withheld zeros must hold too. The first is the
        # stronger for non-empty cells, so each cell is audited against the one that
        # matters for it.
        solid = sorted(k for k in withheld if k not in zeros)
        hollow = sorted(k for k in withheld if k in zeros)
        intervals = []
        if solid:
            intervals += feasible_intervals(bounds(True), lines, solid, integer=integer)
        if hollow:
            intervals += feasible_intervals(bounds(False), lines, hollow, integer=integer)
        report = AuditReport(tuple(intervals), {k: required(k) for k in withheld})
        failing = report.failing
        if not failing:
            break
        added = False
        touched: set[Line] = set()
        for key in failing:
            candidate_lines = [ln for ln in lines_of.get(key, []) if ln not in touched]
            members = [m for ln in candidate_lines for m in ln.members]
            open_lines = deficient()
            extra = complement(members, open_lines) or complement(list(keys), open_lines)
            if extra is None:
                continue
            withheld.add(extra)
            touched.update(lines_of.get(extra, []))
            added = True
        if not added:
            break
    return Pattern(primary, frozenset(withheld) - primary, report, rounds)


def _count_pattern(
    cube: Cube,
    keys: Sequence[CellKey],
    values: Mapping[CellKey, int],
    publications: Mapping[CellKey, Publication],
    policy: DisclosurePolicy,
    *,
    small_range: bool,
) -> Pattern:
    """Protect a table of whole-number counts."""
    base = policy.rounding_base

    def published(_key: CellKey, pub: Publication) -> tuple[float, float]:
        assert pub.value is not None
        if pub.value == 0 and policy.threshold > 0:
            return (0.0, 0.0)  # small counts are never shown as 0, so 0 is exact
        low, high = rounding_interval(int(pub.value), base)
        return (float(low), float(high))

    def withheld(_key: CellKey, pub: Publication) -> tuple[float, float]:
        # The agency's "fewer than N" symbol tells the attacker the range outright.
        if small_range and policy.small_symbol and pub.flag == policy.small_symbol:
            return (1.0, float(policy.threshold - 1))
        return (0.0, math.inf)

    float_values = {k: float(v) for k, v in values.items()}
    return protect_values(
        keys,
        float_values,
        publications,
        linked_lines(cube.lines(), float_values),
        empty=frozenset(k for k in keys if values[k] == 0 and not publications[k].withheld),
        published_interval=published,
        withheld_interval=withheld,
        required=lambda _k: policy.width,
        line_rule=base <= 1,
    )


def protect(
    cube: Cube,
    policy: DisclosurePolicy,
    measure: Measure,
    *,
    clip: tuple[float, float] | None = None,
) -> ProtectedTable:
    """Apply the policy, secondary suppression and the LP audit to every cell of ``cube``."""
    keys = list(cube.cell_keys())
    stats = {k: cube.stats(k) for k in keys}
    kind = measure.kind
    patterns: list[Pattern] = []
    cells: list[ProtectedCell] = []
    if kind in (MeasureKind.PERSONS, MeasureKind.RECORDS):
        if kind is MeasureKind.PERSONS:
            values = {k: s.persons for k, s in stats.items()}
            pubs = {k: publish_count(policy, values[k]) for k in keys}
        else:
            values = {k: s.records for k, s in stats.items()}
            pubs = {k: publish_count(policy, values[k], stats[k].persons) for k in keys}
        pattern = _count_pattern(
            cube, keys, values, pubs, policy, small_range=kind is MeasureKind.PERSONS
        )
        patterns.append(pattern)
        cells.extend(_count_cell(key, pubs[key], pattern, policy) for key in keys)
    elif kind is MeasureKind.SUM:
        pattern = _sum_pattern(cube, keys, stats, policy, clip)
        patterns.append(pattern)
        for key in keys:
            if key in pattern.withheld:
                status = CellStatus.PRIMARY if key in pattern.primary else CellStatus.SECONDARY
                cells.append(ProtectedCell(key, None, policy.withheld_symbol, status))
            elif stats[key].persons == 0 and policy.withhold_zero:
                cells.append(ProtectedCell(key, None, policy.withheld_symbol, CellStatus.PRIMARY))
            else:
                cells.append(ProtectedCell(key, round(stats[key].total, 2)))
    elif kind is MeasureKind.MEAN:
        base = attrs.evolve(policy, threshold=policy.min_contributors)
        persons = {k: s.persons for k, s in stats.items()}
        pattern = _count_pattern(
            cube,
            keys,
            persons,
            {k: publish_count(base, persons[k]) for k in keys},
            base,
            small_range=False,
        )
        patterns.append(pattern)
        for key in keys:
            s = stats[key]
            value = None if s.persons == 0 else s.total / s.persons
            cells.append(_ratio_cell(key, value, s.total != 0, pattern.withheld, policy, 2))
    else:
        patterns.extend(_pct_patterns(cube, keys, stats, policy))
        withheld = frozenset().union(*(p.withheld for p in patterns))
        if policy.withhold_zero:
            # 0 % or 100 % tells something about every member of the group.
            withheld |= frozenset(
                k for k, s in stats.items() if s.persons and s.matched in (0, s.persons)
            )
        for key in keys:
            s = stats[key]
            value = None if s.persons == 0 else 100.0 * s.matched / s.persons
            cells.append(_ratio_cell(key, value, s.matched != 0, withheld, policy, 1))
    return ProtectedTable(cube.dims, measure, policy, tuple(cells), tuple(patterns))


def _count_cell(
    key: CellKey, pub: Publication, pattern: Pattern, policy: DisclosurePolicy
) -> ProtectedCell:
    if key in pattern.secondary:
        return ProtectedCell(key, None, policy.withheld_symbol, CellStatus.SECONDARY)
    if pub.withheld:
        return ProtectedCell(key, None, pub.flag, CellStatus.PRIMARY)
    return ProtectedCell(key, pub.value)


def _ratio_cell(  # noqa: PLR0917
    key: CellKey,
    value: float | None,
    nonzero: bool,
    withheld: frozenset[CellKey],
    policy: DisclosurePolicy,
    decimals: int,
) -> ProtectedCell:
    if value is None:
        return ProtectedCell(key, None, policy.ratio_symbol_empty(), CellStatus.NOT_APPLICABLE)
    if key in withheld:
        return ProtectedCell(key, None, policy.withheld_symbol, CellStatus.PRIMARY)
    shown = round(value, decimals)
    if policy.low_symbol and shown == 0 and nonzero:
        return ProtectedCell(key, None, policy.low_symbol, CellStatus.PRIMARY)
    return ProtectedCell(key, shown)


def _sum_pattern(
    cube: Cube,
    keys: Sequence[CellKey],
    stats: Mapping[CellKey, object],
    policy: DisclosurePolicy,
    clip: tuple[float, float] | None,
) -> Pattern:
    """Protect a table of sums: too few contributors withholds; the audit uses exact sums."""
    values = {k: float(cube.stats(k).total) for k in keys}
    persons = {k: cube.stats(k).persons for k in keys}
    pubs = {
        k: Publication(None, policy.withheld_symbol, "too few contributors")
        if 0 < persons[k] < policy.min_contributors or (persons[k] == 0 and policy.withhold_zero)
        else Publication(0)
        for k in keys
    }
    non_negative = clip is not None and clip[0] >= 0
    span = (clip[1] - clip[0]) if clip is not None else 0.0

    def published(key: CellKey, _pub: Publication) -> tuple[float, float]:
        shown = round(values[key], 2)
        return (shown - 0.005, shown + 0.005)

    def withheld(_key: CellKey, _pub: Publication) -> tuple[float, float]:
        return (0.0 if non_negative else -math.inf, math.inf)

    def required(key: CellKey) -> float:
        # Hide at least a quarter of the cell either way, and (with declared bounds)
        # as many maximal contributions as the protection width counts people.
        return max(0.5 * abs(values[key]), policy.width * span)

    return protect_values(
        keys,
        values,
        pubs,
        linked_lines(cube.lines(), values),
        empty=frozenset(k for k in keys if persons[k] == 0 and not policy.withhold_zero),
        published_interval=published,
        withheld_interval=withheld,
        required=required,
        line_rule=True,
        integer=False,
    )


def _pct_patterns(
    cube: Cube,
    keys: Sequence[CellKey],
    stats: Mapping[CellKey, object],
    policy: DisclosurePolicy,
) -> list[Pattern]:
    """A percentage is withheld when its denominator, numerator or complement is."""
    denominator = {k: cube.stats(k).persons for k in keys}
    numerator = {k: cube.stats(k).matched for k in keys}
    complement = {k: denominator[k] - numerator[k] for k in keys}
    base = attrs.evolve(policy, threshold=policy.min_denominator)
    tables = [(denominator, base)]
    if policy.threshold > 0:
        tables += [(numerator, policy), (complement, policy)]
    patterns = []
    for values, rule in tables:
        pubs = {k: publish_count(rule, values[k]) for k in keys}
        patterns.append(_count_pattern(cube, keys, values, pubs, rule, small_range=False))
    return patterns
