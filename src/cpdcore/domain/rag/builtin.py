"""cpdcore's own RAG rules, one function per rule, each returning its reasons.

They run in the order of :data:`~cpdcore.domain.rag.rules.BUILTIN_RULES`; see
:func:`~cpdcore.domain.rag.assessment.assess` for how their outcomes combine.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from cpdcore.domain.cycles import CyclePhase
from cpdcore.domain.objectives import MilestoneState, ObjectiveStatus, Outcome
from cpdcore.domain.rag.rules import Effect, RagColour, RagFacts, RuleOutcome

__all__ = [
    "complete",
    "milestones_and_evidence_only",
    "no_recent_evidence",
    "not_started",
    "overdue_milestones",
    "past_deadline",
    "progress_pace",
]

_BEFORE_MONITORING = frozenset({CyclePhase.PLANNING, CyclePhase.OBJECTIVE_SETTING})


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


def not_started(facts: RagFacts) -> RuleOutcome | None:
    """NOT_STARTED before monitoring, before the objective starts, or before it is agreed."""
    reason = ""
    if facts.phase in _BEFORE_MONITORING:
        reason = f"the cycle is in {facts.phase.value}; RAG statuses start with monitoring"
    elif facts.status is None:
        reason = "the objective had not been written yet"
    elif facts.status is ObjectiveStatus.WITHDRAWN:
        reason = "the objective was withdrawn; it is not assessed"
    elif not facts.ever_agreed:
        reason = "the objective has not been agreed by both the appraisee and the appraiser"
    elif facts.as_of < facts.terms.starts_on:
        reason = f"the objective starts on {facts.terms.starts_on}"
    if not reason:
        return None
    return RuleOutcome(
        Effect.SET,
        f"Not started: {reason}.",
        RagColour.NOT_STARTED,
        {
            "phase": facts.phase.value,
            "objective_status": "-" if facts.status is None else facts.status.value,
            "starts_on": facts.terms.starts_on.isoformat(),
        },
        "assessed from the monitoring phase, once agreed and started",
    )


def complete(facts: RagFacts) -> RuleOutcome | None:
    """BLUE when the review outcome is "met", or (before a review) every criterion is met."""
    if facts.outcome is not None:
        if facts.outcome is not Outcome.MET:
            return None
        return RuleOutcome(
            Effect.SET,
            "Complete: the review outcome is met.",
            RagColour.BLUE,
            {"outcome": facts.outcome.value},
            "outcome met: BLUE",
        )
    if not facts.criteria or not all(c.met for c in facts.criteria):
        return None
    return RuleOutcome(
        Effect.SET,
        f"Complete: all {len(facts.criteria)} success criteria have reached their targets.",
        RagColour.BLUE,
        {c.code: f"{c.latest} (target reached)" for c in facts.criteria},
        "every criterion at its target: BLUE",
    )


def progress_pace(facts: RagFacts) -> RuleOutcome | None:
    """GREEN, AMBER or RED from actual against expected progress (needs enough data)."""
    policy = facts.policy
    if facts.actual is None or facts.progress_points < policy.min_progress_points:
        return None
    expected, actual = facts.expected, facts.actual
    gap = expected - actual
    if actual >= expected - policy.green_margin:
        colour, verdict = RagColour.GREEN, "On track"
    elif actual >= expected - policy.amber_margin:
        colour, verdict = RagColour.AMBER, "Some concern"
    else:
        colour, verdict = RagColour.RED, "Off track"
    behind = f"{share(gap)} behind" if gap > 0 else "not behind"
    expected_text, actual_text = share(expected), share(actual)
    days = f"{facts.school_days_elapsed} of {facts.school_days_total}"
    inputs = {
        "expected": expected_text,
        "actual": actual_text,
        "school_days": days,
        "progress_points": str(facts.progress_points),
    }
    for criterion in facts.criteria:
        latest = "none" if criterion.latest is None else str(criterion.latest)
        inputs[f"criterion {criterion.code}"] = (
            f"{share(criterion.fraction)} of the way (latest {latest}, weight {criterion.weight})"
        )
    return RuleOutcome(
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
    points = facts.progress_points
    minimum = facts.policy.min_progress_points
    why = (
        "the objective has no success criteria to measure"
        if facts.actual is None
        else f"only {points} progress point{'s' if points != 1 else ''} recorded "
        f"(fewer than {minimum})"
    )
    return RuleOutcome(
        Effect.SET,
        f"Status from milestones and evidence only: {why}; "
        "GREEN unless a milestone or evidence rule says otherwise.",
        RagColour.GREEN,
        {"progress_points": str(points), "released_evidence": str(len(facts.evidence))},
        f"at least {minimum} progress points to pace progress",
    )


def past_deadline(facts: RagFacts) -> RuleOutcome | None:
    """RED once the due date has passed without the objective being achieved."""
    due = facts.terms.due_on
    if facts.as_of <= due:
        return None
    days = (facts.as_of - due).days
    return RuleOutcome(
        Effect.WORSEN,
        f"Past the deadline: due on {due}, {days} day{'s' if days != 1 else ''} ago, "
        "and not achieved.",
        RagColour.RED,
        {"due_on": due.isoformat(), "as_of": facts.as_of.isoformat(), "achieved": "no"},
        "after the due date and not achieved: RED",
    )


def overdue_milestones(facts: RagFacts) -> RuleOutcome | None:
    """At least AMBER with an overdue milestone; RED with several, or one long overdue."""
    overdue = [m for m in facts.milestones if m.state is MilestoneState.OVERDUE]
    if not overdue:
        return None
    policy = facts.policy
    late = {m.milestone.code: (facts.as_of - m.milestone.due_on).days for m in overdue}
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
    listed = "; ".join(
        f"{m.milestone.code} '{m.milestone.description}' due {m.milestone.due_on}" for m in overdue
    )
    return RuleOutcome(
        Effect.WORSEN,
        f"Overdue milestones ({why}): {listed}.",
        colour,
        {code: f"{days} days overdue" for code, days in late.items()},
        f"1 overdue: at least AMBER; {policy.milestone_red_count} or more, or one overdue by "
        f"more than {policy.milestone_red_days} days: RED",
    )


def no_recent_evidence(facts: RagFacts) -> RuleOutcome | None:
    """At least AMBER in a quiet phase when nothing was measured or released for a while."""
    policy = facts.policy
    if facts.phase not in policy.quiet_phases:
        return None
    since = facts.last_activity or facts.terms.starts_on
    days = (facts.as_of - since).days
    if days < policy.quiet_days:
        return None
    last = (
        f"the last progress update or evidence was on {facts.last_activity}"
        if facts.last_activity
        else f"nothing has been recorded since the objective started on {since}"
    )
    return RuleOutcome(
        Effect.WORSEN,
        f"No recent evidence: {last}, {days} days ago.",
        RagColour.AMBER,
        {
            "last_activity": "-"
            if facts.last_activity is None
            else facts.last_activity.isoformat(),
            "days_since": str(days),
            "phase": facts.phase.value,
        },
        f"{policy.quiet_days} days or more without a progress update or released evidence "
        f"during {', '.join(p.value for p in policy.quiet_phases)}: at least AMBER",
    )
