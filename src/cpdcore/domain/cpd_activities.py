"""The CPD record: courses, workshops, INSET, coaching, reading and their hours.

Hours are decimals (``Decimal("1.5")``), more than 0 and at most 24 for each day the
activity spans. Schools report total hours per person and per school for each academic
year; :func:`hours_by_person` and :func:`hours_by_school` compute them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import attrs

from cpdcore.domain.identifiers import EvidenceId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.line_management import academic_year_of
from cpdcore.errors import Problem, ValidationError

__all__ = [
    "HOURS_PER_DAY",
    "CpdActivity",
    "CpdKind",
    "CpdTotal",
    "cpd_problems",
    "hours_by_person",
    "hours_by_school",
]

HOURS_PER_DAY = Decimal(24)
"""No activity can claim more hours than there are in the days it spans."""


class CpdKind(enum.Enum):
    """The kind of professional learning."""

    COURSE = "course"
    WORKSHOP = "workshop"
    CONFERENCE = "conference"
    INSET = "inset"
    COACHING = "coaching"
    READING = "reading"
    ONLINE_MODULE = "online_module"


@attrs.frozen
class CpdActivity:
    """One piece of professional learning a staff member took part in."""

    id: str
    trust_id: TrustId
    school_id: SchoolId
    staff_id: StaffId
    kind: CpdKind
    title: str
    started_on: date
    hours: Decimal
    provider: str = ""
    ended_on: date | None = None
    """Last day for activities over several days; ``None`` for a single day."""
    certificate_evidence_id: EvidenceId | None = None
    reflection: str = ""
    """The teacher's reflection on the impact on their practice."""
    objective_ids: tuple[ObjectiveId, ...] = ()
    version: int = 0

    def __attrs_post_init__(self) -> None:
        problems = cpd_problems(self)
        if problems:
            raise ValidationError(problems)

    @property
    def days(self) -> int:
        """Number of calendar days the activity spans (at least 1)."""
        return 1 if self.ended_on is None else (self.ended_on - self.started_on).days + 1

    @property
    def academic_year(self) -> str:
        """The academic year (``2026-27``) the activity started in."""
        return academic_year_of(self.started_on)


def cpd_problems(activity: CpdActivity) -> list[Problem]:
    """What is wrong with an activity: a title, sane dates and hours."""
    problems: list[Problem] = []
    if not activity.title.strip():
        problems.append(Problem("title", "must be non-empty text"))
    if activity.ended_on is not None and activity.ended_on < activity.started_on:
        problems.append(
            Problem("ended_on", f"{activity.ended_on} is before started_on {activity.started_on}")
        )
        return problems
    hours = activity.hours
    limit = HOURS_PER_DAY * activity.days
    if not hours.is_finite() or hours <= 0:
        problems.append(Problem("hours", f"{hours} must be more than 0"))
    elif hours > limit:
        problems.append(
            Problem(
                "hours",
                f"{hours} hours in {activity.days} day(s) is more than {limit}; "
                "at most 24 hours a day",
            )
        )
    return problems


@attrs.frozen
class CpdTotal:
    """Total CPD hours of one person or school in an academic year."""

    academic_year: str
    hours: Decimal
    activities: int


def _total(activities: Iterable[CpdActivity], academic_year: str) -> CpdTotal:
    chosen = [a for a in activities if a.academic_year == academic_year]
    return CpdTotal(
        academic_year=academic_year,
        hours=sum((a.hours for a in chosen), Decimal(0)),
        activities=len(chosen),
    )


def hours_by_person(
    activities: Iterable[CpdActivity], academic_year: str
) -> dict[StaffId, CpdTotal]:
    """Each person's total for the year (people without activities are absent)."""
    grouped: dict[StaffId, list[CpdActivity]] = {}
    for activity in activities:
        grouped.setdefault(activity.staff_id, []).append(activity)
    totals = {staff: _total(items, academic_year) for staff, items in grouped.items()}
    return {staff: total for staff, total in totals.items() if total.activities}


def hours_by_school(
    activities: Iterable[CpdActivity], academic_year: str
) -> dict[SchoolId, CpdTotal]:
    """Each school's total for the year, counting activities where they were recorded."""
    grouped: dict[SchoolId, list[CpdActivity]] = {}
    for activity in activities:
        grouped.setdefault(activity.school_id, []).append(activity)
    totals = {school: _total(items, academic_year) for school, items in grouped.items()}
    return {school: total for school, total in totals.items() if total.activities}
