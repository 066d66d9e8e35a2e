"""``assess``: the RAG status of one objective on one day, with the rules that decided it.

The rules are applied in a fixed, documented order, each to the status so far:

1. ``not_started`` — NOT_STARTED before monitoring, before agreement or before the
   objective starts; nothing else runs.
2. ``complete`` — BLUE when the review outcome is met or every criterion is at target;
   the other built-in rules are then skipped (plugin rules still run).
3. The starting colour: ``progress_pace`` (GREEN/AMBER/RED from actual against expected
   progress) or, with too few progress points, ``milestones_and_evidence_only`` (GREEN).
4. Built-in limits, each making the status at most as good as it says:
   ``past_deadline`` (RED), ``overdue_milestones`` (AMBER or RED),
   ``no_recent_evidence`` (AMBER).
5. Plugin rules asking to *improve* (only those the policy names in ``may_improve``), by
   name; then plugin rules that *worsen* or *note*, by name. So a worsening rule always
   wins over an improving one, whatever their names, and the result does not depend on
   the order plugins were installed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal

import attrs

from cpdcore.domain.cycles import AppraisalCycle, CyclePhase
from cpdcore.domain.evidence import Evidence, released_for_appraisal
from cpdcore.domain.identifiers import ObjectiveId
from cpdcore.domain.objectives import (
    MilestoneState,
    MilestoneStatus,
    Objective,
    ObjectiveAction,
    ObjectiveStatus,
    ObjectiveTerms,
    Outcome,
)
from cpdcore.domain.progress import ProgressUpdate
from cpdcore.domain.rag import builtin
from cpdcore.domain.rag.pacing import (
    SchoolDays,
    actual_progress,
    criterion_progress,
    expected_from,
    school_days_gone,
)
from cpdcore.domain.rag.policy import RagPolicy
from cpdcore.domain.rag.rules import (
    Effect,
    RagColour,
    RagFacts,
    RagRule,
    RuleOutcome,
    RuleResult,
    better,
    order_plugin_rules,
    worse,
)
from cpdcore.errors import ConfigurationError

__all__ = ["RagStatus", "assess", "assess_facts", "facts_for", "phase_on", "standing_on"]

_AGREED = frozenset({ObjectiveStatus.AGREED, ObjectiveStatus.IN_PROGRESS, ObjectiveStatus.REVIEWED})
_LIMITS: tuple[tuple[str, Callable[[RagFacts], RuleOutcome | None]], ...] = (
    ("past_deadline", builtin.past_deadline),
    ("overdue_milestones", builtin.overdue_milestones),
    ("no_recent_evidence", builtin.no_recent_evidence),
)


@attrs.frozen
class RagStatus:
    """The computed RAG status of one objective on ``as_of`` and why.

    ``results`` lists every rule that had something to say, in the order applied; each
    says whether it changed the status. ``expected`` and ``actual`` are the progress
    fractions the pace rule compared (``actual`` is ``None`` without success criteria).
    """

    objective_id: ObjectiveId
    as_of: date
    colour: RagColour
    results: tuple[RuleResult, ...]
    expected: Decimal | None = None
    actual: Decimal | None = None

    @property
    def decided_by(self) -> tuple[str, ...]:
        """Names of the rules that changed the status, in order."""
        return tuple(r.rule for r in self.results if r.changed)

    @property
    def explanation(self) -> tuple[str, ...]:
        """One sentence per rule that fired, in order (never empty)."""
        return tuple(r.message + (f" ({r.note})" if r.note else "") for r in self.results)

    def summary(self) -> str:
        """The colour and the sentences of the rules that decided it, for one line of text."""
        decisive = [r.message for r in self.results if r.changed] or [self.results[0].message]
        return f"{self.colour.value.upper()}: " + " ".join(decisive)


def phase_on(cycle: AppraisalCycle, as_of: date) -> CyclePhase:
    """The phase the cycle was in on ``as_of``, from its recorded phase changes.

    A cycle with no recorded changes is taken to be in its current phase.
    """
    if not cycle.history:
        return cycle.phase
    phase = cycle.history[0].from_phase
    for change in cycle.history:
        if change.at.date() > as_of:
            break
        phase = change.to_phase
    return phase


def standing_on(
    objective: Objective, as_of: date
) -> tuple[ObjectiveStatus | None, bool, Outcome | None, ObjectiveTerms]:
    """Status, whether ever agreed, outcome and terms of ``objective`` as they were on ``as_of``."""
    if not objective.history:
        agreed = objective.status in _AGREED
        return objective.status, agreed, objective.outcome, objective.terms
    status: ObjectiveStatus | None = None
    ever_agreed = False
    outcome: Outcome | None = None
    terms = objective.terms
    later_edit = False
    for change in objective.history:
        if change.at.date() > as_of:
            # The terms of the day are the ones the first later edit replaced.
            if change.action is ObjectiveAction.EDITED and not later_edit:
                later_edit = True
                if change.previous_terms is not None:
                    terms = change.previous_terms
            continue
        status = change.to_status
        if status in _AGREED:
            ever_agreed = True
        if change.action is ObjectiveAction.REVIEWED:
            outcome = objective.outcome
    return status, ever_agreed, outcome, terms


def _milestones(
    terms: ObjectiveTerms, objective: Objective, as_of: date
) -> tuple[MilestoneStatus, ...]:
    done = {d.code: d.done_on for d in objective.milestones_done if d.done_on <= as_of}
    result = []
    for milestone in terms.milestones:
        if milestone.code in done:
            result.append(MilestoneStatus(milestone, MilestoneState.DONE, done[milestone.code]))
        elif milestone.due_on < as_of:
            result.append(MilestoneStatus(milestone, MilestoneState.OVERDUE))
        else:
            result.append(MilestoneStatus(milestone, MilestoneState.DUE))
    return tuple(result)


def facts_for(  # noqa: PLR0917 (the issue's signature: the seven inputs of a status)
    objective: Objective,
    progress: Iterable[ProgressUpdate],
    evidence: Iterable[Evidence],
    cycle: AppraisalCycle,
    calendar: SchoolDays,
    policy: RagPolicy,
    as_of: date,
    *,
    released: Callable[[Evidence], bool] = released_for_appraisal,
) -> RagFacts:
    """Gather what the rules read about ``objective`` on ``as_of``.

    Progress of other objectives, measurements after ``as_of``, and evidence that is
    unlinked, captured after ``as_of`` or not released for appraisal (``released``,
    by default :func:`~cpdcore.domain.evidence.released_for_appraisal`) are left out.
    """
    status, ever_agreed, outcome, terms = standing_on(objective, as_of)
    codes = {c.code for c in terms.success_criteria}
    oid = objective.id
    kept: list[ProgressUpdate] = []
    latest: dict[str, ProgressUpdate] = {}
    for update in progress:
        if update.objective_id != oid or update.measured_on > as_of:
            continue
        code = update.criterion
        if code not in codes:
            continue
        kept.append(update)
        current = latest.get(code)
        # The same order as progress.latest_by_criterion: date, then record time, then id.
        if current is None or (update.measured_on, update.recorded_at, update.id) > (
            current.measured_on,
            current.recorded_at,
            current.id,
        ):
            latest[code] = update
    items = tuple(
        e for e in evidence if e.captured_on <= as_of and oid in e.objective_ids and released(e)
    )
    criteria = criterion_progress(terms.success_criteria, latest)
    elapsed, total = school_days_gone(calendar, terms.starts_on, terms.due_on, as_of)
    dates = [u.measured_on for u in latest.values()] + [e.captured_on for e in items]
    return RagFacts(
        objective=objective,
        terms=terms,
        status=status,
        outcome=outcome,
        ever_agreed=ever_agreed,
        as_of=as_of,
        phase=phase_on(cycle, as_of),
        policy=policy,
        calendar=calendar,
        progress=tuple(kept),
        evidence=items,
        criteria=criteria,
        milestones=_milestones(terms, objective, as_of),
        school_days_elapsed=elapsed,
        school_days_total=total,
        expected=expected_from(elapsed, total),
        actual=actual_progress(criteria),
        last_activity=max(dates) if dates else None,
    )


def assess(  # noqa: PLR0917 (the issue's signature: the seven inputs of a status)
    objective: Objective,
    progress: Iterable[ProgressUpdate],
    evidence: Iterable[Evidence],
    cycle: AppraisalCycle,
    calendar: SchoolDays,
    policy: RagPolicy,
    as_of: date,
    *,
    rules: Sequence[RagRule] = (),
    released: Callable[[Evidence], bool] = released_for_appraisal,
) -> RagStatus:
    """The RAG status of ``objective`` on ``as_of``, with every rule that fired.

    Pure: the same arguments always give the same status; nothing reads a clock. ``rules``
    are plugin rules (see :class:`~cpdcore.domain.rag.rules.RagRule`); only evidence for
    which ``released`` is true counts. Pass :data:`~cpdcore.domain.rag.policy.DEFAULT_POLICY`
    for cpdcore's default thresholds.
    """
    facts = facts_for(
        objective, progress, evidence, cycle, calendar, policy, as_of, released=released
    )
    return assess_facts(facts, order_plugin_rules(rules, policy))


def _record(outcome: RuleOutcome, name: str, before: RagColour | None) -> RuleResult:
    colour = outcome.colour
    if outcome.effect is Effect.SET and colour is not None:
        after = colour
    elif outcome.effect is Effect.WORSEN and colour is not None and before is not None:
        after = worse(before, colour)
    elif outcome.effect is Effect.IMPROVE and colour is not None and before is not None:
        after = better(before, colour)
    else:
        after = before if before is not None else RagColour.NOT_STARTED
    return RuleResult(
        rule=name,
        effect=outcome.effect,
        colour=colour,
        message=outcome.message,
        inputs=outcome.inputs,
        threshold=outcome.threshold,
        before=before,
        after=after,
    )


def assess_facts(facts: RagFacts, plugin_rules: Sequence[RagRule] = ()) -> RagStatus:
    """Apply the built-in rules and then ``plugin_rules`` (already ordered) to ``facts``."""
    results: list[RuleResult] = []
    gate = builtin.not_started(facts)
    if gate is not None:
        results.append(_record(gate, "not_started", None))
        return _status(facts, results)
    blue = builtin.complete(facts)
    if blue is not None:
        results.append(_record(blue, "complete", None))
    else:
        pace = builtin.progress_pace(facts)
        if pace is not None:
            results.append(_record(pace, "progress_pace", None))
        else:
            fallback = builtin.milestones_and_evidence_only(facts)
            results.append(_record(fallback, "milestones_and_evidence_only", None))
        for name, rule in _LIMITS:
            said = rule(facts)
            if said is not None:
                results.append(_record(said, name, results[-1].after))
    if plugin_rules:
        _apply_plugins(facts, plugin_rules, results)
    return _status(facts, results)


def _status(facts: RagFacts, results: list[RuleResult]) -> RagStatus:
    return RagStatus(
        objective_id=facts.objective.id,
        as_of=facts.as_of,
        colour=results[-1].after,
        results=tuple(results),
        expected=facts.expected,
        actual=facts.actual,
    )


def _apply_plugins(facts: RagFacts, rules: Sequence[RagRule], results: list[RuleResult]) -> None:
    said: list[tuple[str, RuleOutcome]] = []
    for rule in rules:
        try:
            outcome = rule.evaluate(facts)
        except Exception as exc:
            raise ConfigurationError(
                f"RAG rule {rule.name!r} failed on objective {facts.objective.id!r} "
                f"as of {facts.as_of}: {type(exc).__name__}: {exc}"
            ) from exc
        if outcome is None:
            continue
        _check_plugin_outcome(rule.name, outcome)
        said.append((rule.name, outcome))
    improving = [(n, o) for n, o in said if o.effect is Effect.IMPROVE]
    others = [(n, o) for n, o in said if o.effect is not Effect.IMPROVE]
    for name, outcome in improving:
        before = results[-1].after
        if facts.policy.allows_improvement(name):
            results.append(_record(outcome, name, before))
        else:
            note = "not applied: the school's RAG policy does not let this rule improve a status"
            results.append(attrs.evolve(_record(outcome, name, before), after=before, note=note))
    for name, outcome in others:
        results.append(_record(outcome, name, results[-1].after))


def _check_plugin_outcome(name: str, outcome: RuleOutcome) -> None:
    if outcome.effect is Effect.SET:
        raise ConfigurationError(
            f"RAG rule {name!r} returned effect 'set', which only built-in rules use; "
            "accepted: worsen, improve or note"
        )
    if outcome.effect is not Effect.NOTE and outcome.colour in (None, RagColour.NOT_STARTED):
        raise ConfigurationError(
            f"RAG rule {name!r} returned effect {outcome.effect.value!r} with colour "
            f"{outcome.colour!r}; accepted colours: red, amber, green, blue"
        )
    if not outcome.message.strip():
        raise ConfigurationError(f"RAG rule {name!r} returned an outcome without a message")
