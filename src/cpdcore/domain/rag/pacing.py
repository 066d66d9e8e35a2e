"""Expected and actual progress: the two fractions the pace rule compares.

*Expected* progress is the share of an objective's period already gone, counted in
**school days**, so nobody is expected to progress over a holiday. *Actual* progress is
how far the success criteria have moved from baseline to target, weighted.

The calendar is anything with ``school_days_between(a, b)`` (:class:`SchoolDays`); the
school calendar of :mod:`cpdcore.domain.calendar` is one. The count must be additive,
``d(a, b) + d(b, c) == d(a, c)``, which is what makes :class:`SchoolDayIndex` (the batch
path: prefix sums, one calendar call per day) give the same answers as the calendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

import attrs

from cpdcore.domain.objectives import MeasureUnit, SuccessCriterion
from cpdcore.domain.progress import ProgressUpdate

__all__ = [
    "CriterionProgress",
    "SchoolDayIndex",
    "SchoolDays",
    "WeekdayCalendar",
    "actual_progress",
    "criterion_progress",
    "expected_from",
    "expected_progress",
    "fraction_of",
    "school_days_gone",
]

ZERO = Decimal(0)
ONE = Decimal(1)


class SchoolDays(Protocol):
    """What RAG needs from a school calendar: how many school days lie between two dates.

    ``school_days_between(a, b)`` counts the school days from ``a`` up to ``b`` and must be
    additive (``d(a, b) + d(b, c) == d(a, c)``) and count no holiday or INSET day.
    """

    def school_days_between(self, a: date, b: date) -> int:
        """School days from ``a`` to ``b``."""
        ...


def _dates(values: Iterable[date]) -> frozenset[date]:
    # A typed converter: attrs' mypy plugin cannot infer the element type of ``frozenset``.
    return frozenset(values)


@attrs.frozen
class WeekdayCalendar:
    """Monday to Friday are school days, except the dates in ``closed``.

    A small calendar for examples, tests and stores with no school calendar yet; counts
    school days ``d`` with ``a <= d < b`` (negative when ``b`` is before ``a``).
    """

    closed: frozenset[date] = attrs.field(default=frozenset(), converter=_dates)

    def school_days_between(self, a: date, b: date) -> int:
        """School days ``d`` with ``a <= d < b``; ``-(count from b to a)`` when ``b < a``."""
        if b < a:
            return -self.school_days_between(b, a)
        days = (b - a).days
        weeks, rest = divmod(days, 7)
        count = weeks * 5
        weekday = a.weekday()
        count += sum(1 for i in range(rest) if (weekday + i) % 7 < 5)
        count -= sum(1 for d in self.closed if a <= d < b and d.weekday() < 5)
        return count


class SchoolDayIndex:
    """Prefix sums of school days over ``first..last`` for fast repeated counting.

    Built with one ``school_days_between(day, day + 1)`` call per day; answers any
    ``school_days_between(a, b)`` with both dates in range by one subtraction and asks the
    wrapped calendar otherwise, so it can stand in for the calendar anywhere.
    """

    def __init__(self, calendar: SchoolDays, first: date, last: date) -> None:
        if last < first:
            first, last = last, first
        self.calendar = calendar
        self.first = first
        self.last = last
        self._origin = first.toordinal()
        prefix = [0]
        day = first
        one = timedelta(days=1)
        # One extra day so that b == last + 1 (the day after the range) is answerable.
        for _ in range((last - first).days + 1):
            prefix.append(prefix[-1] + calendar.school_days_between(day, day + one))
            day += one
        self._prefix = prefix

    def school_days_between(self, a: date, b: date) -> int:
        """The same count as the wrapped calendar's."""
        i = a.toordinal() - self._origin
        j = b.toordinal() - self._origin
        prefix = self._prefix
        if 0 <= i < len(prefix) and 0 <= j < len(prefix):
            return prefix[j] - prefix[i]
        return self.calendar.school_days_between(a, b)


def school_days_gone(
    calendar: SchoolDays, starts_on: date, due_on: date, as_of: date
) -> tuple[int, int]:
    """``(elapsed, total)``: school days of the period gone by ``as_of``, and in all."""
    total = max(0, calendar.school_days_between(starts_on, due_on))
    if as_of <= starts_on:
        return 0, total
    if as_of >= due_on:
        return total, total
    elapsed = calendar.school_days_between(starts_on, as_of)
    return min(total, max(0, elapsed)), total


def expected_progress(calendar: SchoolDays, starts_on: date, due_on: date, as_of: date) -> Decimal:
    """The share of the school days from ``starts_on`` to ``due_on`` gone by ``as_of`` (0..1).

    A period with no school days at all expects no progress (0) on any day: nobody is
    expected to progress in a holiday, and the ``past_deadline`` rule judges it once due.
    """
    elapsed, total = school_days_gone(calendar, starts_on, due_on, as_of)
    return expected_from(elapsed, total)


def expected_from(elapsed: int, total: int) -> Decimal:
    """``elapsed / total`` as a decimal; 0 when the period has no school days."""
    if total == 0:
        return ZERO
    if elapsed == total:
        return ONE
    return Decimal(elapsed) / Decimal(total)


@attrs.frozen
class CriterionProgress:
    """How far one success criterion has come: its latest value and fraction of target."""

    code: str
    fraction: Decimal
    """0 (at or behind baseline) to 1 (target reached), direction-aware."""
    latest: Decimal | None
    """The latest measured value, ``None`` when the criterion was never measured."""
    weight: Decimal

    @property
    def met(self) -> bool:
        """True when the target has been reached."""
        return self.fraction >= ONE


def fraction_of(criterion: SuccessCriterion, value: Decimal) -> Decimal:
    """Direction-aware share of the way from baseline to target, clipped to 0..1.

    A yes/no criterion is all or nothing (1 when the value equals the target). So is a
    criterion whose baseline equals its target: there is no distance to share out.
    """
    if criterion.unit is MeasureUnit.YES_NO:
        return ONE if value == criterion.target else ZERO
    baseline = criterion.baseline if criterion.baseline is not None else ZERO
    distance = criterion.target - baseline
    if distance == 0:
        return ONE if value == criterion.target else ZERO
    fraction = (value - baseline) / distance
    if fraction <= ZERO:
        return ZERO
    if fraction >= ONE:
        return ONE
    return fraction


def criterion_progress(
    criteria: Sequence[SuccessCriterion], latest: Mapping[str, ProgressUpdate]
) -> tuple[CriterionProgress, ...]:
    """Each criterion's progress from the latest update per criterion code.

    An unmeasured criterion stands at its baseline (fraction 0). Weights default to equal
    when no criterion has one.
    """
    equal = all(c.weight is None for c in criteria)
    result = []
    for criterion in criteria:
        update = latest.get(criterion.code)
        value = None if update is None else update.value
        fraction = ZERO if value is None else fraction_of(criterion, value)
        weight = ONE if equal or criterion.weight is None else criterion.weight
        result.append(CriterionProgress(criterion.code, fraction, value, weight))
    return tuple(result)


def actual_progress(progress: Iterable[CriterionProgress]) -> Decimal | None:
    """The weighted mean of the criteria's fractions (``None`` with no criteria)."""
    total_weight = ZERO
    total = ZERO
    for item in progress:
        total_weight += item.weight
        total += item.weight * item.fraction
    if total_weight == 0:
        return None
    return total / total_weight
