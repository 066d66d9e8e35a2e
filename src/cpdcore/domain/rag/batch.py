"""The batch path: many objectives assessed on one day, with exactly :func:`assess`'s results.

A report assesses thousands of objectives on the same day, under a few policies, on one
calendar. :class:`RagAssessor` fixes those once and then assesses each objective without
the intermediate objects :func:`~cpdcore.domain.rag.assessment.assess` builds for rule
authors (:class:`RagFacts`, a :class:`CriterionProgress` per criterion, a
:class:`MilestoneStatus` per milestone, a :class:`RuleOutcome` per rule):

* the plugin rules are checked and ordered once;
* the day being fixed, school days elapsed and in all, and expected progress, depend on
  the objective's ``(start, due)`` period alone: each is computed once per period, asking
  the calendar once per period and once per start date;
* the four-place text of a fraction is remembered by its exact value (a bounded memo):
  formatting a Decimal through a float is the dearest step of the pace rule, and
  fractions repeat, since criteria are measured in people's round numbers;
* progress, evidence and milestones are read in one pass each, into local values;
* each built-in rule is the same ``*_said`` function :mod:`~cpdcore.domain.rag.builtin`
  wraps for ``assess``, so every message, input and threshold is worded once.

Decimal arithmetic is kept, operation for operation, so ``expected`` and ``actual`` are the
very numbers ``assess`` computes. With plugin rules (which read :class:`RagFacts`) the
assessor builds the facts as ``assess`` does and only saves ordering the rules per
objective. ``tests/unit/test_rag_batch.py`` checks that both paths return equal statuses,
rule by rule, input by input.

Pure: the memos live in the assessor, which is discarded with the batch; nothing reads a
clock or does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal

from cpdcore.domain.cycles import AppraisalCycle
from cpdcore.domain.evidence import Evidence, released_for_appraisal
from cpdcore.domain.objectives import Objective
from cpdcore.domain.progress import ProgressUpdate
from cpdcore.domain.rag import builtin
from cpdcore.domain.rag.assessment import (
    RagStatus,
    assess_facts,
    facts_for,
    phase_on,
    standing_on,
)
from cpdcore.domain.rag.pacing import SchoolDays, expected_from, fraction_of
from cpdcore.domain.rag.policy import RagPolicy
from cpdcore.domain.rag.rules import (
    RagColour,
    RagRule,
    RuleResult,
    order_plugin_rules,
    worse,
)

__all__ = ["RagAssessor", "assess_many"]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_TEXTS_KEPT = 65_536

Item = tuple[Objective, Iterable[ProgressUpdate], Iterable[Evidence]]
"""One objective with its progress updates and evidence, as :func:`assess` takes them."""


def _set(name: str, said: builtin.Said) -> RuleResult:
    """The first rule's result: it sets the colour (``_record`` with no status before)."""
    effect, message, colour, inputs, threshold = said
    after = colour if colour is not None else RagColour.NOT_STARTED
    return RuleResult(name, effect, colour, message, inputs, threshold, None, after)


def _limit(name: str, said: builtin.Said, before: RagColour) -> RuleResult:
    """A built-in limit's result: the status becomes at most as good as its colour."""
    effect, message, colour, inputs, threshold = said
    after = worse(before, colour) if colour is not None else before
    return RuleResult(name, effect, colour, message, inputs, threshold, before, after)


class RagAssessor:
    """Assesses objectives on ``as_of`` under one ``policy`` and ``calendar``: the batch path.

    ``assessor.assess(objective, progress, evidence, cycle)`` equals
    ``assess(objective, progress, evidence, cycle, calendar, policy, as_of, rules=rules,
    released=released)`` for every input; it is only faster when many objectives are
    assessed with one assessor. ``released`` may also be given per call (a report decides
    it per appraisee). The calendar must be pure (the protocol's contract): its counts are
    remembered for the assessor's lifetime.

    Example::

        assessor = RagAssessor(calendar, DEFAULT_POLICY, date(2027, 2, 10))
        statuses = assessor.assess_many(items, cycle)
    """

    def __init__(
        self,
        calendar: SchoolDays,
        policy: RagPolicy,
        as_of: date,
        *,
        rules: Sequence[RagRule] = (),
        released: Callable[[Evidence], bool] = released_for_appraisal,
    ) -> None:
        self.calendar = calendar
        self.policy = policy
        self.as_of = as_of
        self.released = released
        self.rules = order_plugin_rules(rules, policy)
        self._min_points = policy.min_progress_points
        self._periods: dict[tuple[date, date], tuple[int, int, Decimal]] = {}
        self._gone: dict[date, int] = {}
        self._expected: dict[tuple[int, int], Decimal] = {}
        self._texts: dict[str, str] = {}
        self._text = self._share

    def assess_many(self, items: Iterable[Item], cycle: AppraisalCycle) -> list[RagStatus]:
        """The status of each ``(objective, progress, evidence)`` in ``items``, in order."""
        one = self.assess
        return [
            one(objective, progress, evidence, cycle) for objective, progress, evidence in items
        ]

    def assess(
        self,
        objective: Objective,
        progress: Iterable[ProgressUpdate],
        evidence: Iterable[Evidence],
        cycle: AppraisalCycle,
        *,
        released: Callable[[Evidence], bool] | None = None,
    ) -> RagStatus:
        """The status :func:`assess` gives ``objective`` on the assessor's day."""
        released = self.released if released is None else released
        as_of = self.as_of
        if self.rules:
            facts = facts_for(
                objective,
                progress,
                evidence,
                cycle,
                self.calendar,
                self.policy,
                as_of,
                released=released,
            )
            return assess_facts(facts, self.rules)
        status, ever_agreed, outcome, terms = standing_on(objective, as_of)
        phase = phase_on(cycle, as_of)
        starts_on = terms.starts_on
        due_on = terms.due_on
        oid = objective.id
        criteria = terms.success_criteria

        # Progress: the measurements of this objective's criteria up to as_of, and the
        # latest per criterion (by date, then record time, then id, as facts_for orders).
        codes = {c.code for c in criteria}
        points = 0
        latest: dict[str, ProgressUpdate] = {}
        for update in progress:
            if update.objective_id != oid or update.measured_on > as_of:
                continue
            code = update.criterion
            if code not in codes:
                continue
            points += 1
            current = latest.get(code)
            if current is None:
                latest[code] = update
                continue
            measured, known = update.measured_on, current.measured_on
            if measured > known or (
                measured == known
                and (update.recorded_at, update.id) > (current.recorded_at, current.id)
            ):
                latest[code] = update

        last_activity: date | None = None
        for update in latest.values():
            if last_activity is None or update.measured_on > last_activity:
                last_activity = update.measured_on
        released_count = 0
        for item in evidence:
            captured = item.captured_on
            if captured <= as_of and oid in item.objective_ids and released(item):
                released_count += 1
                if last_activity is None or captured > last_activity:
                    last_activity = captured

        # Criteria: the same Decimal operations, in the same order, as criterion_progress
        # and actual_progress, so the fractions and their mean are the same numbers.
        rows: list[builtin.CriterionRow] = []
        equal = all(c.weight is None for c in criteria)
        all_met = True
        total_weight = _ZERO
        weighted = _ZERO
        for criterion in criteria:
            found = latest.get(criterion.code)
            if found is None:
                value = None
                fraction = _ZERO
                all_met = False
            else:
                value = found.value
                fraction = fraction_of(criterion, value)
                all_met = all_met and fraction >= _ONE
            if equal or criterion.weight is None:
                # 1 x fraction is fraction, digit for digit: the product is skipped, not
                # changed.
                rows.append((criterion.code, fraction, value, _ONE))
                total_weight += _ONE
                weighted += fraction
            else:
                weight = criterion.weight
                rows.append((criterion.code, fraction, value, weight))
                total_weight += weight
                weighted += weight * fraction
        actual = None if total_weight == 0 else weighted / total_weight

        period = self._periods.get((starts_on, due_on))
        if period is None:
            period = self._period(starts_on, due_on)
        elapsed, total, expected = period

        gate = builtin.not_started_said(phase, status, ever_agreed, as_of, starts_on)
        if gate is not None:
            return RagStatus(
                oid, as_of, RagColour.NOT_STARTED, (_set("not_started", gate),), expected, actual
            )
        # complete_said decides; the check before it only skips the call when it cannot fire.
        if outcome is not None or (rows and all_met):
            blue = builtin.complete_said(outcome, rows)
            if blue is not None:
                return RagStatus(
                    oid, as_of, RagColour.BLUE, (_set("complete", blue),), expected, actual
                )
        if actual is not None and points >= self._min_points:
            first = _set(
                "progress_pace",
                builtin.pace_said(
                    self.policy, expected, actual, elapsed, total, points, rows, text=self._text
                ),
            )
        else:
            first = _set(
                "milestones_and_evidence_only",
                builtin.evidence_only_said(self.policy, actual, points, released_count),
            )
        results = [first]
        colour = first.after
        if as_of > due_on:
            said = builtin.past_deadline_said(as_of, due_on)
            if said is not None:
                result = _limit("past_deadline", said, colour)
                results.append(result)
                colour = result.after
        late = [m for m in terms.milestones if m.due_on < as_of]
        if late:
            done = {d.code for d in objective.milestones_done if d.done_on <= as_of}
            said = builtin.overdue_said(self.policy, as_of, [m for m in late if m.code not in done])
            if said is not None:
                result = _limit("overdue_milestones", said, colour)
                results.append(result)
                colour = result.after
        said = builtin.quiet_said(self.policy, phase, last_activity, starts_on, as_of)
        if said is not None:
            result = _limit("no_recent_evidence", said, colour)
            results.append(result)
            colour = result.after
        return RagStatus(oid, as_of, colour, tuple(results), expected, actual)

    def _period(self, starts_on: date, due_on: date) -> tuple[int, int, Decimal]:
        """``(elapsed, total, expected)`` for a period, as ``facts_for`` computes them.

        The day is fixed, so they depend on the period alone: the calendar is asked once
        per period (and once per start date), and equal fractions share one Decimal.
        """
        as_of = self.as_of
        total = max(0, self.calendar.school_days_between(starts_on, due_on))
        if as_of <= starts_on:
            elapsed = 0
        elif as_of >= due_on:
            elapsed = total
        else:
            gone = self._gone.get(starts_on)
            if gone is None:
                gone = self._gone[starts_on] = self.calendar.school_days_between(starts_on, as_of)
            elapsed = min(total, max(0, gone))
        expected = self._expected.get((elapsed, total))
        if expected is None:
            expected = self._expected[elapsed, total] = expected_from(elapsed, total)
        known = self._periods[starts_on, due_on] = (elapsed, total, expected)
        return known

    def _share(self, value: Decimal) -> str:
        """:func:`~cpdcore.domain.rag.builtin.share`, remembered by the value's exact text.

        Formatting a Decimal to four places goes through a float and costs several times
        more than ``str``; progress fractions repeat (a criterion's values are people's
        round numbers), so most calls are answered from the memo. The memo is emptied when
        it reaches :data:`_TEXTS_KEPT` entries, so memory stays bounded in any batch.
        """
        key = str(value)
        known = self._texts.get(key)
        if known is None:
            if len(self._texts) >= _TEXTS_KEPT:
                self._texts.clear()
            known = self._texts[key] = builtin.share(value)
        return known


def assess_many(
    items: Iterable[Item],
    cycle: AppraisalCycle,
    calendar: SchoolDays,
    policy: RagPolicy,
    as_of: date,
    *,
    rules: Sequence[RagRule] = (),
    released: Callable[[Evidence], bool] = released_for_appraisal,
) -> list[RagStatus]:
    """The status of each ``(objective, progress, evidence)`` of one cycle on ``as_of``.

    Equal, item by item, to calling :func:`assess` on each; faster (see
    :class:`RagAssessor`, which this builds once for the batch).
    """
    assessor = RagAssessor(calendar, policy, as_of, rules=rules, released=released)
    return assessor.assess_many(items, cycle)
