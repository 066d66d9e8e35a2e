"""Appraisal objectives: what an appraisee means to achieve in a cycle, and how it is judged.

An objective's *terms* (:class:`ObjectiveTerms`: title, success criteria, dates, links) are
kept apart from its *life cycle* (:class:`Objective`: status, agreements, outcome,
history)::

    draft → proposed → agreed → in_progress → reviewed (met / partly met / not met)
                 ↑________|__________|   (any edit of agreed terms returns to proposed)
    any state but reviewed → withdrawn (with a reason)

An objective becomes *agreed* only when both the appraisee and the appraiser have agreed
to the same terms. Editing the terms of a proposed, agreed or in-progress objective
returns it to *proposed*; the change (fields and previous terms) is kept in its history.
Every function here returns a new :class:`Objective`; none reads a clock.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from cpdcore.domain.cycles import AppraisalCycle, ObjectiveLimits, TransitionNotAllowed
from cpdcore.domain.identifiers import CycleId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.standards import TeachersStandard, parse_standards
from cpdcore.domain.timestamps import aware_utc
from cpdcore.errors import Problem, ValidationError

__all__ = [
    "OBJECTIVE_TRANSITIONS",
    "Agreement",
    "MeasureUnit",
    "Milestone",
    "MilestoneDone",
    "MilestoneState",
    "MilestoneStatus",
    "Objective",
    "ObjectiveAction",
    "ObjectiveCategory",
    "ObjectiveChange",
    "ObjectiveStatus",
    "ObjectiveTerms",
    "Outcome",
    "Party",
    "SuccessCriterion",
    "agree",
    "complete_milestone",
    "edit",
    "milestone_states",
    "new_objective",
    "objective_set_problems",
    "propose",
    "review",
    "start",
    "terms_problems",
    "unit_value_problem",
    "withdraw",
    "with_codes",
]

HUNDRED = Decimal(100)


class ObjectiveCategory(enum.Enum):
    """What kind of development an objective is about."""

    PUPIL_PROGRESS = "pupil_progress"
    TEACHING_PRACTICE = "teaching_practice"
    LEADERSHIP = "leadership"
    WIDER_PROFESSIONAL = "wider_professional"
    PERSONAL_DEVELOPMENT = "personal_development"


class ObjectiveStatus(enum.Enum):
    """Where an objective is in its life cycle."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    AGREED = "agreed"
    IN_PROGRESS = "in_progress"
    REVIEWED = "reviewed"
    WITHDRAWN = "withdrawn"


OBJECTIVE_TRANSITIONS: dict[ObjectiveStatus, frozenset[ObjectiveStatus]] = {
    ObjectiveStatus.DRAFT: frozenset(
        {ObjectiveStatus.DRAFT, ObjectiveStatus.PROPOSED, ObjectiveStatus.WITHDRAWN}
    ),
    ObjectiveStatus.PROPOSED: frozenset(
        {ObjectiveStatus.PROPOSED, ObjectiveStatus.AGREED, ObjectiveStatus.WITHDRAWN}
    ),
    ObjectiveStatus.AGREED: frozenset(
        {
            ObjectiveStatus.PROPOSED,
            ObjectiveStatus.IN_PROGRESS,
            ObjectiveStatus.REVIEWED,
            ObjectiveStatus.WITHDRAWN,
        }
    ),
    ObjectiveStatus.IN_PROGRESS: frozenset(
        {ObjectiveStatus.PROPOSED, ObjectiveStatus.REVIEWED, ObjectiveStatus.WITHDRAWN}
    ),
    ObjectiveStatus.REVIEWED: frozenset(),
    ObjectiveStatus.WITHDRAWN: frozenset(),
}
"""The statuses each status may move to (a status listing itself allows edits in place)."""

_CAN_EDIT = frozenset(
    {
        ObjectiveStatus.DRAFT,
        ObjectiveStatus.PROPOSED,
        ObjectiveStatus.AGREED,
        ObjectiveStatus.IN_PROGRESS,
    }
)
_COUNTED = frozenset(ObjectiveStatus) - {ObjectiveStatus.WITHDRAWN}


class Outcome(enum.Enum):
    """The judgement at the final review."""

    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"


class MeasureUnit(enum.Enum):
    """How a success criterion is measured; values are always decimals.

    ``percentage`` is 0–100, ``count`` a whole number ≥ 0, ``grade`` and ``score`` any
    number on the school's scale, ``yes_no`` 1 for yes and 0 for no.
    """

    PERCENTAGE = "percentage"
    COUNT = "count"
    GRADE = "grade"
    SCORE = "score"
    YES_NO = "yes_no"


class Party(enum.Enum):
    """The two people who must agree an objective."""

    APPRAISEE = "appraisee"
    APPRAISER = "appraiser"


class ObjectiveAction(enum.Enum):
    """What happened to an objective in one history entry."""

    CREATED = "created"
    EDITED = "edited"
    PROPOSED = "proposed"
    AGREED = "agreed"
    STARTED = "started"
    MILESTONE_DONE = "milestone_done"
    REVIEWED = "reviewed"
    WITHDRAWN = "withdrawn"


def _standards(values: Iterable[object]) -> tuple[TeachersStandard, ...]:
    return parse_standards(values)


def _text_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def unit_value_problem(unit: MeasureUnit, value: Decimal) -> str | None:
    """Why ``value`` is not a valid measurement in ``unit`` (``None`` when it is)."""
    if not value.is_finite():
        return f"{value} is not a finite number"
    if unit is MeasureUnit.PERCENTAGE and not Decimal(0) <= value <= HUNDRED:
        return f"{value} is not a percentage; accepted: 0 to 100"
    if unit is MeasureUnit.COUNT and (value < 0 or value != value.to_integral_value()):
        return f"{value} is not a count; accepted: a whole number 0 or more"
    if unit is MeasureUnit.YES_NO and value not in (Decimal(0), Decimal(1)):
        return f"{value} is not yes/no; accepted: 1 (yes) or 0 (no)"
    return None


@attrs.frozen
class SuccessCriterion:
    """What will show an objective is met: a measure from ``baseline`` to ``target``.

    ``code`` addresses the criterion in progress updates (``c1``, ``c2``… are assigned when
    left blank). ``weight`` is a percentage of the objective; leave every weight ``None``
    to weigh criteria equally.
    """

    description: str
    unit: MeasureUnit
    target: Decimal
    baseline: Decimal | None = None
    weight: Decimal | None = None
    code: str = ""


@attrs.frozen
class Milestone:
    """A dated step on the way to an objective (e.g. "first peer observation")."""

    description: str
    due_on: date
    code: str = ""


@attrs.frozen
class ObjectiveTerms:
    """The agreed content of an objective: everything both parties sign up to."""

    title: str
    category: ObjectiveCategory
    starts_on: date
    due_on: date
    description: str = ""
    success_criteria: tuple[SuccessCriterion, ...] = ()
    standards: tuple[TeachersStandard, ...] = attrs.field(default=(), converter=_standards)
    sip_priorities: tuple[str, ...] = attrs.field(default=(), converter=_text_tuple)
    """Codes of the School Improvement Plan priorities the objective serves."""
    weight: Decimal | None = None
    """Share of the appraisee's objectives (percent); all ``None`` means equal weight."""
    milestones: tuple[Milestone, ...] = ()
    support_needed: str = ""


def with_codes(terms: ObjectiveTerms) -> ObjectiveTerms:
    """``terms`` with blank criterion and milestone codes filled in (``c1``…, ``m1``…).

    Codes already given are kept; generated ones skip codes already in use.
    """
    return attrs.evolve(
        terms,
        success_criteria=tuple(
            attrs.evolve(c, code=code)
            for c, code in zip(
                terms.success_criteria,
                _fill_codes([c.code for c in terms.success_criteria], "c"),
                strict=True,
            )
        ),
        milestones=tuple(
            attrs.evolve(m, code=code)
            for m, code in zip(
                terms.milestones, _fill_codes([m.code for m in terms.milestones], "m"), strict=True
            )
        ),
    )


def _fill_codes(codes: Sequence[str], prefix: str) -> list[str]:
    used = {c for c in codes if c}
    result: list[str] = []
    counter = 0
    for code in codes:
        if code:
            result.append(code)
            continue
        counter += 1
        while f"{prefix}{counter}" in used:
            counter += 1
        used.add(f"{prefix}{counter}")
        result.append(f"{prefix}{counter}")
    return result


def _weights_problems(weights: Sequence[Decimal | None], container: str) -> list[Problem]:
    given = [w for w in weights if w is not None]
    if not given:
        return []
    if len(given) != len(weights):
        missing = [i for i, w in enumerate(weights) if w is None]
        return [
            Problem(
                f"{container}[{i}].weight",
                f"weights are given for some {container} only; give a weight to every one "
                "or to none",
            )
            for i in missing
        ]
    problems = [
        Problem(f"{container}[{i}].weight", f"weight {w} must be more than 0 and at most 100")
        for i, w in enumerate(given)
        if not Decimal(0) < w <= HUNDRED
    ]
    total = sum(given, Decimal(0))
    if not problems and total != HUNDRED:
        problems.append(
            Problem(
                container,
                f"the weights of the {container} add up to {total}; they must sum to 100",
            )
        )
    return problems


def terms_problems(
    terms: ObjectiveTerms,
    cycle: AppraisalCycle,
    *,
    sip_codes: Iterable[str] | None = None,
) -> list[Problem]:
    """Everything wrong with ``terms`` for an objective in ``cycle``, each with its path.

    Checks non-empty title, dates inside the cycle, milestones between the start and the
    cycle's end, criteria values valid for their unit, criterion weights summing to 100
    when used, unique codes and (when ``sip_codes`` is given) known SIP codes.
    """
    problems: list[Problem] = []
    if not terms.title.strip():
        problems.append(Problem("title", "must be non-empty text"))
    span = f"the cycle {cycle.starts_on}..{cycle.ends_on}"
    if not cycle.contains(terms.starts_on):
        problems.append(Problem("starts_on", f"{terms.starts_on} is outside {span}"))
    if not cycle.contains(terms.due_on):
        problems.append(Problem("due_on", f"{terms.due_on} is outside {span}"))
    if terms.due_on < terms.starts_on:
        problems.append(Problem("due_on", f"{terms.due_on} is before starts_on {terms.starts_on}"))
    if terms.weight is not None and not Decimal(0) < terms.weight <= HUNDRED:
        problems.append(Problem("weight", f"{terms.weight} must be more than 0 and at most 100"))
    for index, milestone in enumerate(terms.milestones):
        where = f"milestones[{index}].due_on"
        if milestone.due_on > cycle.ends_on:
            problems.append(
                Problem(where, f"{milestone.due_on} is after the cycle ends on {cycle.ends_on}")
            )
        elif milestone.due_on < terms.starts_on:
            problems.append(
                Problem(
                    where, f"{milestone.due_on} is before the objective starts on {terms.starts_on}"
                )
            )
        if not milestone.description.strip():
            problems.append(Problem(f"milestones[{index}].description", "must be non-empty text"))
    for index, criterion in enumerate(terms.success_criteria):
        where = f"success_criteria[{index}]"
        if not criterion.description.strip():
            problems.append(Problem(f"{where}.description", "must be non-empty text"))
        for name in ("baseline", "target"):
            value = getattr(criterion, name)
            problem = None if value is None else unit_value_problem(criterion.unit, value)
            if problem:
                problems.append(Problem(f"{where}.{name}", problem))
    problems += _weights_problems([c.weight for c in terms.success_criteria], "success_criteria")
    problems += _duplicate_codes([c.code for c in terms.success_criteria], "success_criteria")
    problems += _duplicate_codes([m.code for m in terms.milestones], "milestones")
    if sip_codes is not None:
        known = set(sip_codes)
        accepted = ", ".join(sorted(known)) or "none (add SIP priorities first)"
        problems += [
            Problem(f"sip_priorities[{i}]", f"unknown SIP priority {code!r}; accepted: {accepted}")
            for i, code in enumerate(terms.sip_priorities)
            if code not in known
        ]
    return problems


def _duplicate_codes(codes: Sequence[str], where: str) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for index, code in enumerate(codes):
        if code and code in seen:
            problems.append(Problem(f"{where}[{index}].code", f"code {code!r} is used twice"))
        seen.add(code)
    return problems


@attrs.frozen
class Agreement:
    """One party's agreement to the objective's current terms."""

    party: Party
    staff_id: str
    at: datetime = attrs.field(validator=aware_utc)


@attrs.frozen
class MilestoneDone:
    """A milestone recorded as reached."""

    code: str
    done_on: date
    by: str


@attrs.frozen
class ObjectiveChange:
    """One entry of an objective's history: who did what, when, and what it changed.

    For an edit, ``changed`` names the fields of the terms that differ and
    ``previous_terms`` keeps the terms as they were.
    """

    action: ObjectiveAction
    at: datetime = attrs.field(validator=aware_utc)
    by: str
    from_status: ObjectiveStatus | None
    to_status: ObjectiveStatus
    changed: tuple[str, ...] = ()
    previous_terms: ObjectiveTerms | None = None
    note: str = ""
    late: bool = False


@attrs.frozen
class Objective:
    """An appraisee's objective in a cycle, with its life cycle and full history."""

    id: ObjectiveId
    trust_id: TrustId
    school_id: SchoolId
    cycle_id: CycleId
    appraisee_id: StaffId
    terms: ObjectiveTerms
    status: ObjectiveStatus = ObjectiveStatus.DRAFT
    agreements: tuple[Agreement, ...] = ()
    milestones_done: tuple[MilestoneDone, ...] = ()
    outcome: Outcome | None = None
    outcome_note: str = ""
    withdrawn_reason: str = ""
    history: tuple[ObjectiveChange, ...] = ()
    version: int = 0

    def __attrs_post_init__(self) -> None:
        problems = _state_problems(self)
        if problems:
            raise ValidationError(problems)

    @property
    def agreed_by(self) -> frozenset[Party]:
        """The parties who agreed to the current terms."""
        return frozenset(a.party for a in self.agreements)


def _state_problems(objective: Objective) -> list[Problem]:
    """The invariants every stored objective satisfies (checked on construction)."""
    problems: list[Problem] = []
    status = objective.status
    agreed_states = {ObjectiveStatus.AGREED, ObjectiveStatus.IN_PROGRESS, ObjectiveStatus.REVIEWED}
    if status in agreed_states and objective.agreed_by != frozenset(Party):
        problems.append(Problem("agreements", f"a {status.value} objective needs both parties"))
    if status is ObjectiveStatus.DRAFT and objective.agreements:
        problems.append(Problem("agreements", "a draft objective has no agreements"))
    if (status is ObjectiveStatus.REVIEWED) != (objective.outcome is not None):
        problems.append(Problem("outcome", "an outcome is set exactly when the status is reviewed"))
    if (status is ObjectiveStatus.WITHDRAWN) != bool(objective.withdrawn_reason.strip()):
        problems.append(
            Problem("withdrawn_reason", "a reason is given exactly when the status is withdrawn")
        )
    if objective.history and objective.history[-1].to_status is not status:
        problems.append(Problem("status", "disagrees with the last history entry"))
    return problems


def new_objective(
    *,
    objective_id: ObjectiveId,
    trust_id: TrustId,
    school_id: SchoolId,
    cycle_id: CycleId,
    appraisee_id: StaffId,
    terms: ObjectiveTerms,
    at: datetime,
    by: str,
) -> Objective:
    """A draft objective with codes filled in and a ``created`` history entry."""
    return Objective(
        id=objective_id,
        trust_id=trust_id,
        school_id=school_id,
        cycle_id=cycle_id,
        appraisee_id=appraisee_id,
        terms=with_codes(terms),
        history=(
            ObjectiveChange(
                action=ObjectiveAction.CREATED,
                at=at,
                by=by,
                from_status=None,
                to_status=ObjectiveStatus.DRAFT,
            ),
        ),
    )


def _move(
    objective: Objective,
    to: ObjectiveStatus,
    change: ObjectiveChange,
    **fields: Any,
) -> Objective:
    allowed = OBJECTIVE_TRANSITIONS[objective.status]
    if to not in allowed:
        raise TransitionNotAllowed(
            "objective",
            objective.id,
            objective.status.value,
            to.value,
            sorted(s.value for s in allowed),
        )
    return attrs.evolve(objective, status=to, history=(*objective.history, change), **fields)


def _change(
    objective: Objective,
    action: ObjectiveAction,
    to: ObjectiveStatus,
    at: datetime,
    by: str,
    **fields: Any,
) -> ObjectiveChange:
    return ObjectiveChange(
        action=action, at=at, by=by, from_status=objective.status, to_status=to, **fields
    )


def propose(
    objective: Objective, *, party: Party, by: str, at: datetime, late: bool = False
) -> Objective:
    """Put a draft forward for agreement; the proposer's agreement is recorded."""
    if objective.status is not ObjectiveStatus.DRAFT:
        allowed = sorted(s.value for s in OBJECTIVE_TRANSITIONS[objective.status])
        raise TransitionNotAllowed(
            "objective", objective.id, objective.status.value, "proposed", allowed
        )
    change = _change(
        objective, ObjectiveAction.PROPOSED, ObjectiveStatus.PROPOSED, at, by, late=late
    )
    return _move(
        objective,
        ObjectiveStatus.PROPOSED,
        change,
        agreements=(Agreement(party=party, staff_id=by, at=at),),
    )


def agree(
    objective: Objective, *, party: Party, by: str, at: datetime, late: bool = False
) -> Objective:
    """Record ``party``'s agreement to a proposed objective; both parties make it agreed.

    Agreeing twice as the same party changes nothing.
    """
    if objective.status is not ObjectiveStatus.PROPOSED:
        allowed = sorted(s.value for s in OBJECTIVE_TRANSITIONS[objective.status])
        raise TransitionNotAllowed(
            "objective", objective.id, objective.status.value, "agreed", allowed
        )
    if party in objective.agreed_by:
        return objective
    agreements = (*objective.agreements, Agreement(party=party, staff_id=by, at=at))
    to = (
        ObjectiveStatus.AGREED
        if frozenset(a.party for a in agreements) == frozenset(Party)
        else ObjectiveStatus.PROPOSED
    )
    change = _change(
        objective, ObjectiveAction.AGREED, to, at, by, note=f"agreed by {party.value}", late=late
    )
    return _move(objective, to, change, agreements=agreements)


def edit(
    objective: Objective,
    terms: ObjectiveTerms,
    *,
    party: Party,
    by: str,
    at: datetime,
    note: str = "",
) -> Objective:
    """Change the terms; a proposed, agreed or in-progress objective returns to proposed.

    The editor's agreement to the new terms is recorded, the other party must agree
    again. Identical terms change nothing.
    """
    if objective.status not in _CAN_EDIT:
        raise TransitionNotAllowed(
            "objective",
            objective.id,
            objective.status.value,
            "edited",
            [],
        )
    terms = with_codes(terms)
    if terms == objective.terms:
        return objective
    changed = tuple(
        f.name
        for f in attrs.fields(ObjectiveTerms)
        if getattr(terms, f.name) != getattr(objective.terms, f.name)
    )
    is_draft = objective.status is ObjectiveStatus.DRAFT
    to = ObjectiveStatus.DRAFT if is_draft else ObjectiveStatus.PROPOSED
    change = _change(
        objective,
        ObjectiveAction.EDITED,
        to,
        at,
        by,
        changed=changed,
        previous_terms=objective.terms,
        note=note,
    )
    agreements = () if is_draft else (Agreement(party=party, staff_id=by, at=at),)
    return _move(objective, to, change, terms=terms, agreements=agreements)


def start(objective: Objective, *, by: str, at: datetime) -> Objective:
    """Mark an agreed objective as in progress (done when the first progress is recorded)."""
    if objective.status is ObjectiveStatus.IN_PROGRESS:
        return objective
    change = _change(objective, ObjectiveAction.STARTED, ObjectiveStatus.IN_PROGRESS, at, by)
    return _move(objective, ObjectiveStatus.IN_PROGRESS, change)


def complete_milestone(
    objective: Objective, code: str, *, done_on: date, by: str, at: datetime
) -> Objective:
    """Record a milestone as reached; unknown codes raise ``ValidationError``."""
    codes = [m.code for m in objective.terms.milestones]
    if code not in codes:
        raise ValidationError.single(
            "milestone", f"unknown milestone {code!r}; accepted: {', '.join(codes) or 'none'}"
        )
    if objective.status not in {ObjectiveStatus.AGREED, ObjectiveStatus.IN_PROGRESS}:
        raise ValidationError.single(
            "status",
            f"milestones are recorded on agreed or in-progress objectives; objective "
            f"{objective.id!r} is {objective.status.value}",
        )
    done = tuple(d for d in objective.milestones_done if d.code != code)
    change = _change(objective, ObjectiveAction.MILESTONE_DONE, objective.status, at, by, note=code)
    return attrs.evolve(
        objective,
        milestones_done=(*done, MilestoneDone(code=code, done_on=done_on, by=by)),
        history=(*objective.history, change),
    )


def review(
    objective: Objective,
    outcome: Outcome,
    *,
    by: str,
    at: datetime,
    note: str = "",
    late: bool = False,
) -> Objective:
    """Record the final-review outcome of an agreed or in-progress objective."""
    change = _change(
        objective,
        ObjectiveAction.REVIEWED,
        ObjectiveStatus.REVIEWED,
        at,
        by,
        note=outcome.value,
        late=late,
    )
    return _move(objective, ObjectiveStatus.REVIEWED, change, outcome=outcome, outcome_note=note)


def withdraw(objective: Objective, reason: str, *, by: str, at: datetime) -> Objective:
    """Withdraw an objective that has not been reviewed; a reason is required."""
    if not reason.strip():
        raise ValidationError.single("reason", "withdrawing an objective needs a reason")
    change = _change(
        objective, ObjectiveAction.WITHDRAWN, ObjectiveStatus.WITHDRAWN, at, by, note=reason
    )
    return _move(objective, ObjectiveStatus.WITHDRAWN, change, withdrawn_reason=reason)


def objective_set_problems(
    objectives: Sequence[Objective], limits: ObjectiveLimits
) -> list[Problem]:
    """What is wrong with one appraisee's objectives in a cycle as a set.

    Withdrawn objectives do not count. Checks the number against ``limits`` and that
    weights, when any is given, are given for all and sum to 100.
    """
    counted = [o for o in objectives if o.status in _COUNTED]
    problems: list[Problem] = []
    if len(counted) < limits.minimum:
        problems.append(
            Problem(
                "objectives",
                f"{len(counted)} objective(s); this cycle needs at least {limits.minimum} "
                f"and at most {limits.maximum}",
            )
        )
    if len(counted) > limits.maximum:
        problems.append(
            Problem(
                "objectives",
                f"{len(counted)} objectives; this cycle allows at most {limits.maximum}",
            )
        )
    problems += _weights_problems([o.terms.weight for o in counted], "objectives")
    return problems


class MilestoneState(enum.Enum):
    """Where a milestone stands on a given day."""

    DONE = "done"
    DUE = "due"
    OVERDUE = "overdue"


@attrs.frozen
class MilestoneStatus:
    """A milestone with its state on ``as_of`` (and when it was done, if it was)."""

    milestone: Milestone
    state: MilestoneState
    done_on: date | None = None


def milestone_states(objective: Objective, as_of: date) -> tuple[MilestoneStatus, ...]:
    """Each milestone of ``objective`` as done, due (not yet due date) or overdue on ``as_of``."""
    done = {d.code: d.done_on for d in objective.milestones_done}
    result = []
    for milestone in objective.terms.milestones:
        if milestone.code in done:
            result.append(MilestoneStatus(milestone, MilestoneState.DONE, done[milestone.code]))
        elif milestone.due_on < as_of:
            result.append(MilestoneStatus(milestone, MilestoneState.OVERDUE))
        else:
            result.append(MilestoneStatus(milestone, MilestoneState.DUE))
    return tuple(result)
