"""Did classes of teachers who took part in CPD on a priority move differently? A
difference-in-differences summary of MIS outcome trends, with its uncertainty.

For one outcome measure (behaviour incidents or reward points per pupil per week, or the
share of set homework completed), each class's weekly values are averaged before and after
a cut-over date. The *change* of each class is after minus before. The summary compares
the mean change of the classes whose teachers took part (``treated``) with the mean change
of the others (``comparison``)::

    estimate = mean(change | treated) - mean(change | comparison)

Its confidence interval uses Welch's standard error over classes (each class is one
observation, so weekly noise within a class does not inflate the evidence) and Student's
t with Welch–Satterthwaite degrees of freedom.

This is **correlation, not causation**: teachers choose CPD, classes differ, and other
things change at the same time. Every summary carries :data:`CAVEAT`.

Disclosure control: an arm with fewer classes, teachers or pupils than the
:class:`TrendRules` thresholds gives a suppressed summary with no numbers. Requiring
several teachers per arm is what keeps the summary from ever describing one teacher.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from datetime import date
from statistics import NormalDist, fmean, variance
from typing import Any

import attrs

from cpdcore.domain.roster import OutcomeAggregate
from cpdcore.errors import Problem, ValidationError

__all__ = [
    "CAVEAT",
    "ArmSummary",
    "OutcomeMeasure",
    "OutcomePoint",
    "TrendRules",
    "TrendSummary",
    "difference_in_differences",
    "outcome_points",
    "t_cdf",
    "t_quantile",
]

CAVEAT = (
    "Correlation, not causation: teachers chose this CPD, their classes may differ from "
    "the others in ways the data does not show, and other changes happened at the same "
    "time. Use this to ask questions, not to judge anyone."
)
"""Printed with every trend summary."""


class OutcomeMeasure(enum.Enum):
    """The weekly outcome compared."""

    BEHAVIOUR = "behaviour"
    """Behaviour incidents per pupil per week (lower is better)."""
    REWARDS = "rewards"
    """Reward points per pupil per week."""
    HOMEWORK = "homework"
    """Percentage of set homework that was completed."""

    def of(self, row: OutcomeAggregate) -> float | None:
        """The measure for one week of one group (``None`` when undefined)."""
        if self is OutcomeMeasure.HOMEWORK:
            if row.homework_set <= 0:
                return None
            return 100.0 * row.homework_completed / row.homework_set
        if row.pupils <= 0:
            return None
        count = row.behaviour_incidents if self is OutcomeMeasure.BEHAVIOUR else row.reward_points
        return count / row.pupils


@attrs.frozen
class OutcomePoint:
    """One group's measured value in one week."""

    group_id: str
    week_start: date
    value: float
    pupils: int


def outcome_points(
    rows: Iterable[OutcomeAggregate], measure: OutcomeMeasure, group_type: str = "class"
) -> list[OutcomePoint]:
    """The measured weeks of groups of ``group_type`` (weeks without a value are skipped)."""
    points: list[OutcomePoint] = []
    for row in rows:
        if row.group_type != group_type:
            continue
        value = measure.of(row)
        if value is not None:
            points.append(OutcomePoint(row.group_id, row.week_start, value, row.pupils))
    return points


def _rules_problems(rules: TrendRules) -> list[Problem]:
    problems: list[Problem] = []
    if rules.min_groups < 4:
        problems.append(
            Problem("min_groups", "give at least 4 classes per arm (fewer give no interval)")
        )
    if rules.min_teachers < 2:
        problems.append(
            Problem("min_teachers", "give at least 2: one teacher would be a per-teacher result")
        )
    if not 0.5 <= rules.confidence < 1:
        problems.append(Problem("confidence", f"{rules.confidence} is not in [0.5, 1)"))
    return problems


@attrs.frozen
class TrendRules:
    """Disclosure and reliability thresholds per arm, and the interval's confidence."""

    min_groups: int = 5
    min_teachers: int = 3
    min_pupils: int = 50
    confidence: float = 0.95
    symbol: str = "c"
    """Shown instead of numbers when suppressed (the DfE's "confidential")."""

    def __attrs_post_init__(self) -> None:
        problems = _rules_problems(self)
        if problems:
            raise ValidationError(problems)


@attrs.frozen
class ArmSummary:
    """One arm: how many classes, teachers and pupils, and its mean before and after."""

    groups: int
    teachers: int
    pupils: int
    before: float
    after: float

    @property
    def change(self) -> float:
        """Mean after minus mean before."""
        return self.after - self.before


@attrs.frozen
class TrendSummary:
    """The difference-in-differences summary, or its suppression.

    When ``suppressed`` every number is ``None``, ``symbol`` says so and ``reasons``
    explain which threshold an arm missed (without its exact size).
    """

    measure: OutcomeMeasure
    cutover: date
    confidence: float
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    treated: ArmSummary | None
    comparison: ArmSummary | None
    suppressed: bool = False
    symbol: str | None = None
    reasons: tuple[str, ...] = ()
    caveat: str = CAVEAT
    method: str = (
        "difference in differences of class means before and after the cut-over; Welch "
        "standard error over classes; Student's t interval"
    )

    def describe(self) -> str:
        """A few lines of plain text, always ending with the caveat."""
        name = self.measure.value
        if self.suppressed or self.estimate is None:
            lines = [f"{name}: {self.symbol} (suppressed: {'; '.join(self.reasons)})"]
        else:
            pct = round(self.confidence * 100)
            lines = [
                f"{name}: difference in differences {self.estimate:+.3f} "
                f"({pct}% interval {self.ci_low:+.3f} to {self.ci_high:+.3f})",
            ]
            for label, arm in (("took part", self.treated), ("others", self.comparison)):
                if arm is not None:
                    lines.append(
                        f"  {label}: {arm.groups} classes, before {arm.before:.3f}, "
                        f"after {arm.after:.3f}, change {arm.change:+.3f}"
                    )
        lines.append(self.caveat)
        return "\n".join(lines)


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= d * c
        if abs(d * c - 1.0) < 1e-14:
            break
    return result


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b) for 0 <= x <= 1."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    # The fraction converges fast on one side of the mean; use the symmetry otherwise.
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1 - x) / b


def t_cdf(t: float, df: float) -> float:
    """Student's t distribution function."""
    tail = 0.5 * _incomplete_beta(df / 2, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile, pure Python: bisection on :func:`t_cdf` to 1e-10.

    The search starts from the normal quantile and doubles until it brackets ``p``.
    """
    if not 0 < p < 1:
        raise ValidationError.single("p", f"{p} is not a probability strictly between 0 and 1")
    if df <= 0:
        raise ValidationError.single("df", f"{df} degrees of freedom; give more than 0")
    if p < 0.5:
        return -t_quantile(1 - p, df)
    low, high = 0.0, max(1.0, NormalDist().inv_cdf(p))
    while t_cdf(high, df) < p:
        high *= 2
    while high - low > 1e-10:
        middle = (low + high) / 2
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2


@attrs.frozen
class _Group:
    before: float
    after: float
    pupils: int

    @property
    def change(self) -> float:
        return self.after - self.before


def _groups(points: Iterable[OutcomePoint], cutover: date) -> dict[str, _Group]:
    before: dict[str, list[float]] = {}
    after: dict[str, list[float]] = {}
    pupils: dict[str, int] = {}
    for point in points:
        side = before if point.week_start < cutover else after
        side.setdefault(point.group_id, []).append(point.value)
        pupils[point.group_id] = max(pupils.get(point.group_id, 0), point.pupils)
    # A class needs weeks on both sides of the cut-over to have a change at all.
    return {
        g: _Group(fmean(before[g]), fmean(after[g]), pupils[g])
        for g in sorted(set(before) & set(after))
    }


def _arm(
    groups: Mapping[str, _Group], teachers: Mapping[str, frozenset[str]]
) -> tuple[ArmSummary, list[float]]:
    changes = [g.change for g in groups.values()]
    people = frozenset().union(*(teachers.get(k, frozenset()) for k in groups))
    summary = ArmSummary(
        groups=len(groups),
        teachers=len(people),
        pupils=sum(g.pupils for g in groups.values()),
        before=fmean(g.before for g in groups.values()) if groups else math.nan,
        after=fmean(g.after for g in groups.values()) if groups else math.nan,
    )
    return summary, changes


def _shortfalls(label: str, arm: ArmSummary, rules: TrendRules) -> list[str]:
    checks = (
        (arm.groups, rules.min_groups, "classes"),
        (arm.teachers, rules.min_teachers, "teachers"),
        (arm.pupils, rules.min_pupils, "pupils"),
    )
    return [f"{label}: fewer than {need} {what}" for have, need, what in checks if have < need]


def difference_in_differences(
    points: Iterable[OutcomePoint],
    *,
    treated: Iterable[str],
    teachers: Mapping[str, frozenset[str]],
    cutover: date,
    measure: OutcomeMeasure,
    rules: TrendRules | None = None,
) -> TrendSummary:
    """Compare the before/after change of ``treated`` classes with every other class.

    ``teachers`` maps each class to the staff who teach it (only their number per arm is
    used, for suppression). Classes without weeks on both sides of ``cutover`` are left
    out. An arm below a threshold of ``rules`` suppresses the whole summary.
    """
    rules = rules or TrendRules()
    chosen = frozenset(treated)
    groups = _groups(points, cutover)
    treated_arm, treated_changes = _arm({k: v for k, v in groups.items() if k in chosen}, teachers)
    other_arm, other_changes = _arm({k: v for k, v in groups.items() if k not in chosen}, teachers)
    reasons = _shortfalls("took part", treated_arm, rules) + _shortfalls("others", other_arm, rules)
    common: dict[str, Any] = {
        "measure": measure,
        "cutover": cutover,
        "confidence": rules.confidence,
    }
    if reasons:
        return TrendSummary(
            **common,
            estimate=None,
            ci_low=None,
            ci_high=None,
            treated=None,
            comparison=None,
            suppressed=True,
            symbol=rules.symbol,
            reasons=tuple(reasons),
        )
    n_t, n_c = len(treated_changes), len(other_changes)
    var_t, var_c = variance(treated_changes), variance(other_changes)
    estimate = fmean(treated_changes) - fmean(other_changes)
    se_sq = var_t / n_t + var_c / n_c
    if se_sq == 0:
        half = 0.0
    else:
        # Welch–Satterthwaite degrees of freedom (at least min(n) - 1).
        df = se_sq**2 / ((var_t / n_t) ** 2 / (n_t - 1) + (var_c / n_c) ** 2 / (n_c - 1))
        half = t_quantile(0.5 + rules.confidence / 2, df) * math.sqrt(se_sq)
    return TrendSummary(
        **common,
        estimate=estimate,
        ci_low=estimate - half,
        ci_high=estimate + half,
        treated=treated_arm,
        comparison=other_arm,
    )
