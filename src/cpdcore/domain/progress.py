"""Progress updates: dated measurements against an objective's success criteria.

Each update records one value for one criterion (``c1``…), who recorded it and a note.
The latest update per criterion is what a review pack shows and what RAG rules read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import attrs

from cpdcore.domain.identifiers import CycleId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import Objective, SuccessCriterion, unit_value_problem
from cpdcore.domain.timestamps import aware_utc
from cpdcore.errors import Problem, ValidationError

__all__ = [
    "ProgressUpdate",
    "check_progress",
    "fraction_of_target",
    "latest_by_criterion",
    "progress_problems",
]


@attrs.frozen
class ProgressUpdate:
    """One measurement of one success criterion on ``measured_on``."""

    id: str
    trust_id: TrustId
    school_id: SchoolId
    cycle_id: CycleId
    objective_id: ObjectiveId
    appraisee_id: StaffId
    criterion: str
    """The criterion's code within the objective (``c1``…)."""
    measured_on: date
    value: Decimal
    recorded_by: str
    recorded_at: datetime = attrs.field(validator=aware_utc)
    note: str = ""
    version: int = 0


def progress_problems(
    objective: Objective, criterion: str, value: Decimal, measured_on: date
) -> list[Problem]:
    """What is wrong with a measurement for ``objective``'s criterion ``criterion``."""
    codes = {c.code: c for c in objective.terms.success_criteria}
    if criterion not in codes:
        accepted = ", ".join(codes) or "none (the objective has no success criteria)"
        return [Problem("criterion", f"unknown criterion {criterion!r}; accepted: {accepted}")]
    problems = []
    problem = unit_value_problem(codes[criterion].unit, value)
    if problem:
        problems.append(Problem("value", problem))
    if measured_on < objective.terms.starts_on:
        problems.append(
            Problem(
                "measured_on",
                f"{measured_on} is before the objective starts on {objective.terms.starts_on}",
            )
        )
    return problems


def check_progress(objective: Objective, criterion: str, value: Decimal, measured_on: date) -> None:
    """Raise ``ValidationError`` with every problem of :func:`progress_problems`."""
    problems = progress_problems(objective, criterion, value, measured_on)
    if problems:
        raise ValidationError(problems)


def latest_by_criterion(updates: Iterable[ProgressUpdate]) -> dict[str, ProgressUpdate]:
    """The latest update for each criterion code (by measurement date, then record time)."""
    latest: dict[str, ProgressUpdate] = {}
    for update in updates:
        current = latest.get(update.criterion)
        key = (update.measured_on, update.recorded_at, update.id)
        if current is None or key > (current.measured_on, current.recorded_at, current.id):
            latest[update.criterion] = update
    return latest


def fraction_of_target(criterion: SuccessCriterion, value: Decimal) -> Decimal | None:
    """How far ``value`` has moved from baseline to target, between 0 and 1.

    A baseline of ``None`` counts as 0. Returns ``None`` when baseline equals target
    (no distance to travel). Works for falling targets (e.g. fewer incidents) too.
    """
    baseline = criterion.baseline if criterion.baseline is not None else Decimal(0)
    distance = criterion.target - baseline
    if distance == 0:
        return None
    fraction = (value - baseline) / distance
    return max(Decimal(0), min(Decimal(1), fraction))
