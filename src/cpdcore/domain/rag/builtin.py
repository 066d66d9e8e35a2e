"""cpdcore's own RAG rules, one function per rule, each returning its reasons.

They run in the order of :data:`~cpdcore.domain.rag.rules.BUILTIN_RULES`; see
:func:`~cpdcore.domain.rag.assessment.assess` for how their outcomes combine.

Each rule is written once, as a ``*_said`` function of plain values returning a
:data:`Said` tuple; the public functions read those values from :class:`RagFacts` and wrap
the tuple in a :class:`RuleOutcome`. The batch path
(:class:`~cpdcore.domain.rag.batch.RagAssessor`) calls the same ``*_said`` functions with
values it gathered itself, so both paths word every explanation identically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

from cpdcore.domain.cycles import CyclePhase
from cpdcore.domain.objectives import Milestone, MilestoneState, ObjectiveStatus, Outcome
from cpdcore.domain.rag.rules import Effect, RagColour, RagFacts, RuleOutcome

if TYPE_CHECKING:
    from cpdcore.domain.rag.policy import RagPolicy

__all__ = [
    "CriterionRow",
    "Said",
    "complete",
    "complete_said",
    "evidence_only_said",
    "milestones_and_evidence_only",
    "no_recent_evidence",
    "not_started",
    "not_started_said",
    "overdue_milestones",
    "overdue_said",
    "past_deadline",
    "past_deadline_said",
    "progress_pace",
    "quiet_said",
    "pace_said",
]

Said = tuple[Effect, str, RagColour | None, dict[str, str], str]
"""What a rule says, as the fields of a :class:`RuleOutcome`: effect, message, colour,
inputs and threshold (a tuple, so the batch path builds no outcome object)."""

CriterionRow = tuple[str, Decimal, Decimal | None, Decimal]
"""One criterion's ``(code, fraction, latest, weight)``, as in
:class:`~cpdcore.domain.rag.pacing.CriterionProgress`."""

_BEFORE_MONITORING = frozenset({CyclePhase.PLANNING, CyclePhase.OBJECTIVE_SETTING})
_ONE = Decimal(1)


def share(value: Decimal | None) -> str:
    """A fraction for people, to 4 places: ``0.39994`` → ``"0.3999"``, ``0.5`` → ``"0.5"``.

    Four places keep a value just under a threshold visibly under it.
    """
    if value is None:
        return "-"
    # Formatting through float is several times faster than Decimal's own formatting and
    # only differs on exact half-way ties in the fifth place, which are display only.
    text = ("%.4f" % value).rstrip("0")  # noqa: UP031
    return text + "0" if text[-1] == "." else text


def _rows(facts: RagFacts) -> list[CriterionRow]:
    return [(c.code, c.fraction, c.latest, c.weight) for c in facts.criteria]


def not_started(facts: RagFacts) -> RuleOutcome | None:
    """NOT_STARTED before monitoring, before the objective starts, or before it is agreed."""
    said = not_started_said(
        facts.phase, facts.status, facts.ever_agreed, facts.as_of, facts.terms.starts_on
    )
    return None if said is None else RuleOutcome(*said)


def not_started_said(
    phase: CyclePhase,
    status: ObjectiveStatus | None,
    ever_agreed: bool,
    as_of: date,
    starts_on: date,
) -> Said | None:
    """:func:`not_started` from the cycle phase and the objective's standing on ``as_of``."""
    reason = ""
    if phase in _BEFORE_MONITORING:
        reason = f"the cycle is in {phase.value}; RAG statuses start with monitoring"
    elif status is None:
        reason = "the objective had not been written yet"
    elif status is ObjectiveStatus.WITHDRAWN:
        reason = "the objective was withdrawn; it is not assessed"
    elif not ever_agreed:
        reason = "the objective has not been agreed by both the appraisee and the appraiser"
    elif as_of < starts_on:
        reason = f"the objective starts on {starts_on}"
    if not reason:
        return None
    return (
        Effect.SET,
        f"Not started: {reason}.",
        RagColour.NOT_STARTED,
        {
            "phase": phase.value,
            "objective_status": "-" if status is None else status.value,
            "starts_on": starts_on.isoformat(),
        },
        "assessed from the monitoring phase, once agreed and started",
    )


def complete(facts: RagFacts) -> RuleOutcome | None:
    """BLUE when the review outcome is "met", or (before a review) every criterion is met."""
    said = complete_said(facts.outcome, _rows(facts))
    return None if said is None else RuleOutcome(*said)


def complete_said(outcome: Outcome | None, criteria: Sequence[CriterionRow]) -> Said | None:
    """:func:`complete` from the review outcome and each criterion's row."""
    if outcome is not None:
        if outcome is not Outcome.MET:
            return None
        return (
            Effect.SET,
            "Complete: the review outcome is met.",
            RagColour.BLUE,
            {"outcome": outcome.value},
            "outcome met: BLUE",
        )
    if not criteria or not all(fraction >= _ONE for _, fraction, _, _ in criteria):
        return None
    return (
        Effect.SET,
        f"Complete: all {len(criteria)} success criteria have reached their targets.",
        RagColour.BLUE,
        {code: f"{latest!s} (target reached)" for code, _, latest, _ in criteria},
        "every criterion at its target: BLUE",
    )


def progress_pace(facts: RagFacts) -> RuleOutcome | None:
    """GREEN, AMBER or RED from actual against expected progress (needs enough data)."""
    if facts.actual is None or facts.progress_points < facts.policy.min_progress_points:
        return None
    said = pace_said(
        facts.policy,
        facts.expected,
        facts.actual,
        facts.school_days_elapsed,
        facts.school_days_total,
        facts.progress_points,
        _rows(facts),
    )
    return RuleOutcome(*said)


def pace_said(  # noqa: PLR0917 (the seven values the pace rule reads)
    policy: RagPolicy,
    expected: Decimal,
    actual: Decimal,
    elapsed: int,
    total: int,
    points: int,
    criteria: Iterable[CriterionRow],
    *,
    text: Callable[[Decimal], str] = share,
) -> Said:
    """:func:`progress_pace` once there are enough progress points to pace.

    ``text`` formats the fractions; it must give :func:`share`'s text (the batch path
    passes a memo of it).
    """
    gap = expected - actual
    if actual >= expected - policy.green_margin:
        colour, verdict = RagColour.GREEN, "On track"
    elif actual >= expected - policy.amber_margin:
        colour, verdict = RagColour.AMBER, "Some concern"
    else:
        colour, verdict = RagColour.RED, "Off track"
    behind = f"{text(gap)} behind" if gap > 0 else "not behind"
    expected_text, actual_text = text(expected), text(actual)
    days = f"{elapsed} of {total}"
    inputs = {
        "expected": expected_text,
        "actual": actual_text,
        "school_days": days,
        "progress_points": str(points),
    }
    for code, fraction, latest, weight in criteria:
        shown = "none" if latest is None else str(latest)
        # ``!s``: the same text as ``format(weight, "")`` at a fifth of the cost.
        inputs[f"criterion {code}"] = (
            f"{text(fraction)} of the way (latest {shown}, weight {weight!s})"
        )
    return (
        Effect.SET,
        f"{verdict}: progress {actual_text} against {expected_text} expected after {days} "
        f"school days ({behind}).",
        colour,
        inputs,
        _pace_threshold(policy.green_margin, policy.amber_margin),
    )


@cache
def _pace_threshold(green: Decimal, amber: Decimal) -> str:
    return (
        f"GREEN if actual >= expected - {green}; AMBER if actual >= expected - {amber}; "
        "otherwise RED"
    )


def milestones_and_evidence_only(facts: RagFacts) -> RuleOutcome:
    """The starting colour when there is too little measured progress to pace against."""
    return RuleOutcome(
        *evidence_only_said(facts.policy, facts.actual, facts.progress_points, len(facts.evidence))
    )


def evidence_only_said(
    policy: RagPolicy, actual: Decimal | None, points: int, evidence: int
) -> Said:
    """:func:`milestones_and_evidence_only` from the counts of progress points and evidence."""
    minimum = policy.min_progress_points
    why = (
        "the objective has no success criteria to measure"
        if actual is None
        else f"only {points} progress point{'s' if points != 1 else ''} recorded "
        f"(fewer than {minimum})"
    )
    return (
        Effect.SET,
        f"Status from milestones and evidence only: {why}; "
        "GREEN unless a milestone or evidence rule says otherwise.",
        RagColour.GREEN,
        {"progress_points": str(points), "released_evidence": str(evidence)},
        f"at least {minimum} progress points to pace progress",
    )


def past_deadline(facts: RagFacts) -> RuleOutcome | None:
    """RED once the due date has passed without the objective being achieved."""
    said = past_deadline_said(facts.as_of, facts.terms.due_on)
    return None if said is None else RuleOutcome(*said)


def past_deadline_said(as_of: date, due: date) -> Said | None:
    """:func:`past_deadline` from the day and the due date."""
    if as_of <= due:
        return None
    days = (as_of - due).days
    return (
        Effect.WORSEN,
        f"Past the deadline: due on {due}, {days} day{'s' if days != 1 else ''} ago, "
        "and not achieved.",
        RagColour.RED,
        {"due_on": due.isoformat(), "as_of": as_of.isoformat(), "achieved": "no"},
        "after the due date and not achieved: RED",
    )


def overdue_milestones(facts: RagFacts) -> RuleOutcome | None:
    """At least AMBER with an overdue milestone; RED with several, or one long overdue."""
    overdue = [m.milestone for m in facts.milestones if m.state is MilestoneState.OVERDUE]
    said = overdue_said(facts.policy, facts.as_of, overdue)
    return None if said is None else RuleOutcome(*said)


def overdue_said(policy: RagPolicy, as_of: date, overdue: Sequence[Milestone]) -> Said | None:
    """:func:`overdue_milestones` from the milestones overdue on ``as_of``, in order."""
    if not overdue:
        return None
    late = {m.code: (as_of - m.due_on).days for m in overdue}
    longest = max(late.values())
    if len(overdue) >= policy.milestone_red_count:
        colour = RagColour.RED
        why = f"{len(overdue)} milestones overdue"
    elif longest > policy.milestone_red_days:
        colour = RagColour.RED
        why = f"a milestone overdue by {longest} days"
    else:
        colour = RagColour.AMBER
        why = f"a milestone overdue by {longest} day{'s' if longest != 1 else ''}"
    listed = "; ".join(f"{m.code} '{m.description}' due {m.due_on}" for m in overdue)
    return (
        Effect.WORSEN,
        f"Overdue milestones ({why}): {listed}.",
        colour,
        {code: f"{days} days overdue" for code, days in late.items()},
        _overdue_threshold(policy.milestone_red_count, policy.milestone_red_days),
    )


@cache
def _overdue_threshold(count: int, days: int) -> str:
    return (
        f"1 overdue: at least AMBER; {count} or more, or one overdue by more than {days} days: RED"
    )


def no_recent_evidence(facts: RagFacts) -> RuleOutcome | None:
    """At least AMBER in a quiet phase when nothing was measured or released for a while."""
    said = quiet_said(
        facts.policy, facts.phase, facts.last_activity, facts.terms.starts_on, facts.as_of
    )
    return None if said is None else RuleOutcome(*said)


def quiet_said(
    policy: RagPolicy,
    phase: CyclePhase,
    last_activity: date | None,
    starts_on: date,
    as_of: date,
) -> Said | None:
    """:func:`no_recent_evidence` from the phase and the day of the last activity."""
    if phase not in policy.quiet_phases:
        return None
    since = last_activity or starts_on
    days = (as_of - since).days
    if days < policy.quiet_days:
        return None
    last = (
        f"the last progress update or evidence was on {last_activity}"
        if last_activity
        else f"nothing has been recorded since the objective started on {since}"
    )
    return (
        Effect.WORSEN,
        f"No recent evidence: {last}, {days} days ago.",
        RagColour.AMBER,
        {
            "last_activity": "-" if last_activity is None else last_activity.isoformat(),
            "days_since": str(days),
            "phase": phase.value,
        },
        _quiet_threshold(policy.quiet_days, policy.quiet_phases),
    )


@cache
def _quiet_threshold(days: int, phases: tuple[CyclePhase, ...]) -> str:
    return (
        f"{days} days or more without a progress update or released evidence "
        f"during {', '.join(p.value for p in phases)}: at least AMBER"
    )
