"""The appraisal cycle: one per school (or per trust, inherited by its schools) and year.

A cycle moves through its phases strictly in order::

    planning → objective_setting → monitoring → mid_year_review → final_review → closed

Every working phase has a dated window. Actions are never refused for being late: they are
recorded with a :class:`WindowCheck` saying the window had closed, so a leader can see what
happened late and why. Moving to a phase that is not next raises
:class:`TransitionNotAllowed`, which names the moves that are allowed.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import attrs

from cpdcore.domain.identifiers import CycleId, SchoolId, TrustId
from cpdcore.domain.line_management import parse_academic_year
from cpdcore.domain.timestamps import aware_utc
from cpdcore.errors import CpdError, Problem, ValidationError

__all__ = [
    "CYCLE_TRANSITIONS",
    "WORKING_PHASES",
    "AppraisalCycle",
    "CyclePhase",
    "ObjectiveLimits",
    "PhaseChange",
    "PhaseNotOpen",
    "PhaseWindow",
    "TransitionNotAllowed",
    "WindowCheck",
    "advance",
    "cycle_for_school",
    "default_windows",
    "require_phase",
]


class TransitionNotAllowed(CpdError):
    """A state machine (cycle phase, objective status) was asked for a move it forbids.

    ``allowed`` lists the states reachable from ``current``; the message names them.
    """

    def __init__(
        self, kind: str, record_id: str, current: str, requested: str, allowed: Iterable[str]
    ) -> None:
        self.kind = kind
        self.record_id = record_id
        self.current = current
        self.requested = requested
        self.allowed = tuple(allowed)
        options = (
            "allowed next: " + ", ".join(self.allowed)
            if self.allowed
            else f"{current!r} is final; no further change is possible"
        )
        super().__init__(
            f"{kind} {record_id!r} is {current!r} and cannot move to {requested!r}; {options}"
        )


class PhaseNotOpen(CpdError):
    """An action needs the cycle in another phase (e.g. outcomes only in final review)."""

    def __init__(self, cycle_id: str, phase: CyclePhase, doing: str, allowed: Iterable[CyclePhase]):
        self.cycle_id = cycle_id
        self.phase = phase
        self.allowed = tuple(allowed)
        names = ", ".join(p.value for p in self.allowed)
        super().__init__(
            f"{doing} is not possible while cycle {cycle_id!r} is in phase {phase.value!r}; "
            f"it is possible in: {names}"
        )


class CyclePhase(enum.Enum):
    """The phases of an appraisal cycle, in order."""

    PLANNING = "planning"
    OBJECTIVE_SETTING = "objective_setting"
    MONITORING = "monitoring"
    MID_YEAR_REVIEW = "mid_year_review"
    FINAL_REVIEW = "final_review"
    CLOSED = "closed"


_ORDER = tuple(CyclePhase)

CYCLE_TRANSITIONS: dict[CyclePhase, frozenset[CyclePhase]] = {
    phase: frozenset({_ORDER[i + 1]}) if i + 1 < len(_ORDER) else frozenset()
    for i, phase in enumerate(_ORDER)
}
"""Each phase may only move to the next one; ``closed`` is final."""

WORKING_PHASES: tuple[CyclePhase, ...] = _ORDER[1:-1]
"""The phases that have a dated window (everything but planning and closed)."""


def _check_year(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    parse_academic_year(value, attribute.name)


@attrs.frozen
class PhaseWindow:
    """The dates (inclusive) in which a phase's work is expected to happen."""

    phase: CyclePhase
    opens_on: date
    closes_on: date

    def __attrs_post_init__(self) -> None:
        if self.closes_on < self.opens_on:
            raise ValidationError.single(
                "closes_on",
                f"{self.phase.value} window closes on {self.closes_on}, before it opens on "
                f"{self.opens_on}; closes_on must be on or after opens_on",
            )


@attrs.frozen
class WindowCheck:
    """Whether an action on ``on`` happened inside its phase's window (the reason if not)."""

    phase: CyclePhase
    on: date
    window: PhaseWindow | None
    late: bool
    reason: str = ""


@attrs.frozen
class ObjectiveLimits:
    """How many objectives an appraisee should have in a cycle (default 2 to 5)."""

    minimum: int = 2
    maximum: int = 5

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.minimum <= self.maximum:
            raise ValidationError.single(
                "limits",
                f"minimum {self.minimum} and maximum {self.maximum} must satisfy "
                "0 <= minimum <= maximum",
            )


@attrs.frozen
class PhaseChange:
    """One recorded move of a cycle from one phase to the next."""

    from_phase: CyclePhase
    to_phase: CyclePhase
    at: datetime = attrs.field(validator=aware_utc)
    by: str
    late: bool = False
    reason: str = ""


@attrs.frozen
class AppraisalCycle:
    """An appraisal cycle for one school, or for every school of the trust (``school_id=None``).

    A school with a cycle of its own for the same academic year uses that one instead of
    the trust's (see :func:`cycle_for_school`).
    """

    id: CycleId
    trust_id: TrustId
    name: str
    academic_year: str = attrs.field(validator=_check_year)
    starts_on: date
    ends_on: date
    windows: tuple[PhaseWindow, ...] = ()
    school_id: SchoolId | None = None
    phase: CyclePhase = CyclePhase.PLANNING
    limits: ObjectiveLimits = ObjectiveLimits()
    history: tuple[PhaseChange, ...] = ()
    version: int = 0

    def __attrs_post_init__(self) -> None:
        problems = _window_problems(self)
        if self.history and self.history[-1].to_phase is not self.phase:
            problems.append(
                Problem("phase", f"{self.phase.value} disagrees with the last recorded change")
            )
        if problems:
            raise ValidationError(problems)

    def window(self, phase: CyclePhase) -> PhaseWindow | None:
        """The window of ``phase``, if the cycle has one."""
        return next((w for w in self.windows if w.phase is phase), None)

    def check_window(self, phase: CyclePhase, on: date) -> WindowCheck:
        """Whether an action belonging to ``phase`` done on ``on`` is late."""
        window = self.window(phase)
        if window is None or on <= window.closes_on:
            return WindowCheck(phase=phase, on=on, window=window, late=False)
        return WindowCheck(
            phase=phase,
            on=on,
            window=window,
            late=True,
            reason=f"{phase.value} window closed on {window.closes_on}; done on {on}",
        )

    def applies_to(self, school_id: SchoolId | None) -> bool:
        """True if the cycle covers ``school_id`` (trust-wide cycles cover every school)."""
        return self.school_id is None or self.school_id == school_id

    def contains(self, day: date) -> bool:
        """True if ``day`` falls within the cycle."""
        return self.starts_on <= day <= self.ends_on


def _window_problems(cycle: AppraisalCycle) -> list[Problem]:
    problems: list[Problem] = []
    if cycle.ends_on <= cycle.starts_on:
        problems.append(
            Problem("ends_on", f"{cycle.ends_on} must be after starts_on {cycle.starts_on}")
        )
    seen: set[CyclePhase] = set()
    previous: PhaseWindow | None = None
    for index, window in enumerate(cycle.windows):
        where = f"windows[{index}]"
        if window.phase not in WORKING_PHASES:
            accepted = ", ".join(p.value for p in WORKING_PHASES)
            problems.append(
                Problem(
                    f"{where}.phase", f"{window.phase.value} has no window; accepted: {accepted}"
                )
            )
        if window.phase in seen:
            problems.append(Problem(f"{where}.phase", f"a second {window.phase.value} window"))
        seen.add(window.phase)
        if window.opens_on < cycle.starts_on or window.closes_on > cycle.ends_on:
            problems.append(
                Problem(
                    where,
                    f"{window.opens_on}..{window.closes_on} lies outside the cycle "
                    f"{cycle.starts_on}..{cycle.ends_on}",
                )
            )
        if previous is not None and (
            _ORDER.index(window.phase) < _ORDER.index(previous.phase)
            or window.opens_on < previous.opens_on
        ):
            problems.append(
                Problem(where, "windows must be listed in phase order with rising opening dates")
            )
        previous = window
    return problems


def default_windows(academic_year: str) -> tuple[PhaseWindow, ...]:
    """The usual England pattern for an academic year ``YYYY-YY``.

    Objective setting in the autumn half term (1 Sep – 31 Oct), monitoring until the end
    of January, mid-year review in February and March, final review from 1 June to
    15 July. Schools with other dates pass their own windows.
    """
    start = parse_academic_year(academic_year)
    end = start + 1
    return (
        PhaseWindow(CyclePhase.OBJECTIVE_SETTING, date(start, 9, 1), date(start, 10, 31)),
        PhaseWindow(CyclePhase.MONITORING, date(start, 11, 1), date(end, 1, 31)),
        PhaseWindow(CyclePhase.MID_YEAR_REVIEW, date(end, 2, 1), date(end, 3, 31)),
        PhaseWindow(CyclePhase.FINAL_REVIEW, date(end, 6, 1), date(end, 7, 15)),
    )


def advance(cycle: AppraisalCycle, to: CyclePhase, *, at: datetime, by: str) -> AppraisalCycle:
    """Move ``cycle`` to phase ``to``, recording who did it, when and whether it was late.

    The move is late when the window of the phase being left had already closed.
    Raises :class:`TransitionNotAllowed` unless ``to`` is the next phase.
    """
    allowed = CYCLE_TRANSITIONS[cycle.phase]
    if to not in allowed:
        raise TransitionNotAllowed(
            "cycle", cycle.id, cycle.phase.value, to.value, sorted(p.value for p in allowed)
        )
    check = cycle.check_window(cycle.phase, at.date())
    change = PhaseChange(
        from_phase=cycle.phase, to_phase=to, at=at, by=by, late=check.late, reason=check.reason
    )
    return attrs.evolve(cycle, phase=to, history=(*cycle.history, change))


def require_phase(cycle: AppraisalCycle, allowed: Iterable[CyclePhase], doing: str) -> None:
    """Raise :class:`PhaseNotOpen` unless the cycle is in one of ``allowed``."""
    phases = tuple(allowed)
    if cycle.phase not in phases:
        raise PhaseNotOpen(cycle.id, cycle.phase, doing, phases)


def cycle_for_school(
    cycles: Sequence[AppraisalCycle], school_id: SchoolId, academic_year: str
) -> AppraisalCycle | None:
    """The cycle that governs ``school_id`` in ``academic_year``.

    The school's own cycle wins; otherwise the trust-wide one is inherited.
    """
    year = [c for c in cycles if c.academic_year == academic_year]
    own = [c for c in year if c.school_id == school_id]
    if own:
        return min(own, key=lambda c: c.id)
    trust_wide = [c for c in year if c.school_id is None]
    return min(trust_wide, key=lambda c: c.id) if trust_wide else None
