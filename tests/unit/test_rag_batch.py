"""The batch path (:class:`RagAssessor`, :func:`assess_many`) gives exactly ``assess``'s statuses.

Equal means equal ``RagStatus`` objects (colour, every rule result with its message, inputs,
threshold, before and after, and the expected and actual fractions), and beyond that the
same order of each rule's inputs, the same text of the fractions and the same Decimal
representation, so a report cannot tell which path made it.

The objectives are varied on purpose: every cycle phase and phase history, objective
statuses, edits and reviews after the day, outcomes, yes/no criteria, reductions,
criteria whose baseline is their target, weights, milestones done before and after the
day, progress of other objectives or unknown criteria or measured after the day, ties on
the measurement date, evidence unlinked, unreleased or captured later, calendars with
holidays, and school policies of every shape.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpdcore.domain.cycles import AppraisalCycle, CyclePhase, PhaseChange
from cpdcore.domain.evidence import Evidence, EvidenceKind, EvidencePurpose
from cpdcore.domain.identifiers import CycleId, EvidenceId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    Agreement,
    MeasureUnit,
    Milestone,
    MilestoneDone,
    Objective,
    ObjectiveAction,
    ObjectiveCategory,
    ObjectiveChange,
    ObjectiveStatus,
    ObjectiveTerms,
    Outcome,
    Party,
    SuccessCriterion,
)
from cpdcore.domain.progress import ProgressUpdate
from cpdcore.domain.rag import (
    DEFAULT_POLICY,
    Effect,
    RagAssessor,
    RagColour,
    RagFacts,
    RagPolicy,
    RagStatus,
    RuleOutcome,
    SchoolDays,
    WeekdayCalendar,
    assess,
    assess_many,
)
from cpdcore.domain.rag import batch as batch_module
from cpdcore.errors import ConfigurationError

T = TrustId("t")
S = SchoolId("s")
AMY = StaffId("amy")
CYCLE_ID = CycleId("c")
START = date(2026, 9, 7)
AT = datetime(2026, 9, 1, 8, tzinfo=UTC)
PHASES = tuple(CyclePhase)


def at(day: date) -> datetime:
    """Noon UTC on ``day``: a record time on that day."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def days(low: int, high: int) -> st.SearchStrategy[date]:
    """Dates from ``START + low`` to ``START + high`` days."""
    return st.integers(low, high).map(lambda n: START + timedelta(days=n))


@st.composite
def cycles(draw: st.DrawFn) -> AppraisalCycle:
    """A cycle in any phase, with no history or with the dated moves that led there."""
    # Mostly monitoring and the reviews, where statuses are computed; sometimes any phase.
    phase_index = draw(st.sampled_from([2, 2, 2, 3, 4, 0, 1, 5]))
    history: tuple[PhaseChange, ...] = ()
    if phase_index and draw(st.booleans()):
        moves = sorted(draw(st.lists(days(-20, 300), min_size=phase_index, max_size=phase_index)))
        history = tuple(
            PhaseChange(PHASES[i], PHASES[i + 1], at(moves[i]), "lead") for i in range(phase_index)
        )
    return AppraisalCycle(
        id=CYCLE_ID,
        trust_id=T,
        name="Appraisal 2026-27",
        academic_year="2026-27",
        starts_on=date(2026, 9, 1),
        ends_on=date(2027, 8, 31),
        phase=PHASES[phase_index],
        history=history,
    )


@st.composite
def criteria(draw: st.DrawFn) -> tuple[SuccessCriterion, ...]:
    """Zero to three criteria: scores up or down, yes/no, baseline at target, weights."""
    count = draw(st.sampled_from([1, 2, 2, 3, 0]))
    weighted = draw(st.sampled_from(["none", "all", "some"]))
    made = []
    for i in range(count):
        kind = draw(st.sampled_from(["score", "yes_no", "flat", "no_baseline"]))
        weight = None
        if weighted == "all" or (weighted == "some" and i == 0):
            weight = Decimal(draw(st.integers(1, 60)))
        if kind == "yes_no":
            target = Decimal(draw(st.integers(0, 1)))
            made.append(
                SuccessCriterion("yes", MeasureUnit.YES_NO, target, Decimal(0), weight, f"c{i}")
            )
            continue
        baseline = Decimal(draw(st.integers(0, 60))) / draw(st.sampled_from([1, 4, 10]))
        step = Decimal(draw(st.integers(-40, 40)))
        target = baseline if kind == "flat" else baseline + step
        made.append(
            SuccessCriterion(
                "score",
                MeasureUnit.SCORE,
                target,
                None if kind == "no_baseline" else baseline,
                weight,
                f"c{i}",
            )
        )
    return tuple(made)


@st.composite
def objectives(draw: st.DrawFn) -> Objective:
    """An objective in any status, possibly with a history reaching past the day."""
    starts_on = draw(days(0, 60))
    due_on = starts_on + timedelta(days=draw(st.integers(1, 300)))
    milestones = tuple(
        Milestone(f"step {i}", draw(days(0, 320)), f"m{i}") for i in range(draw(st.integers(0, 3)))
    )
    terms = ObjectiveTerms(
        title="Questioning",
        category=ObjectiveCategory.TEACHING_PRACTICE,
        starts_on=starts_on,
        due_on=due_on,
        success_criteria=draw(criteria()),
        milestones=milestones,
    )
    done = tuple(
        MilestoneDone(m.code, draw(days(-5, 330)), "amy") for m in milestones if draw(st.booleans())
    )
    status = draw(st.sampled_from([ObjectiveStatus.IN_PROGRESS] * 4 + list(ObjectiveStatus)))
    history: tuple[ObjectiveChange, ...] = ()
    if draw(st.integers(0, 3)) == 0:
        agreed_on, started_on, edited_on, reviewed_on = sorted(
            draw(st.lists(days(-10, 330), min_size=4, max_size=4))
        )
        earlier = attrs.evolve(terms, title="Earlier wording", due_on=due_on + timedelta(days=30))
        history = (
            ObjectiveChange(ObjectiveAction.CREATED, at(START), "amy", None, ObjectiveStatus.DRAFT),
            ObjectiveChange(
                ObjectiveAction.AGREED,
                at(agreed_on),
                "apr",
                ObjectiveStatus.DRAFT,
                ObjectiveStatus.AGREED,
            ),
            ObjectiveChange(
                ObjectiveAction.STARTED,
                at(started_on),
                "amy",
                ObjectiveStatus.AGREED,
                ObjectiveStatus.IN_PROGRESS,
            ),
            ObjectiveChange(
                ObjectiveAction.EDITED,
                at(edited_on),
                "amy",
                ObjectiveStatus.IN_PROGRESS,
                ObjectiveStatus.IN_PROGRESS,
                ("title", "due_on"),
                previous_terms=earlier,
            ),
            ObjectiveChange(
                ObjectiveAction.REVIEWED,
                at(reviewed_on),
                "apr",
                ObjectiveStatus.IN_PROGRESS,
                ObjectiveStatus.REVIEWED,
            ),
        )
        status = ObjectiveStatus.REVIEWED
    both = (Agreement(Party.APPRAISEE, "amy", AT), Agreement(Party.APPRAISER, "apr", AT))
    agreements = {ObjectiveStatus.DRAFT: (), ObjectiveStatus.PROPOSED: both[:1]}.get(status, both)
    reviewed = status is ObjectiveStatus.REVIEWED
    return Objective(
        id=ObjectiveId(draw(st.sampled_from(["o1", "o1", "o2"]))),
        trust_id=T,
        school_id=S,
        cycle_id=CYCLE_ID,
        appraisee_id=AMY,
        terms=terms,
        status=status,
        agreements=agreements,
        milestones_done=done,
        outcome=draw(st.sampled_from(list(Outcome))) if reviewed else None,
        withdrawn_reason="left the school" if status is ObjectiveStatus.WITHDRAWN else "",
        history=history,
    )


@st.composite
def progress_for(draw: st.DrawFn, objective: Objective) -> list[ProgressUpdate]:
    """Up to eight updates: mostly this objective's criteria, some strays, some same-day ties."""
    criteria = objective.terms.success_criteria
    codes = [c.code for c in criteria] + ["unknown"]
    made: list[ProgressUpdate] = []
    for i in range(draw(st.sampled_from([5, 3, 8, 2, 1, 0]))):
        tie = bool(made) and draw(st.integers(0, 3)) == 0
        measured = made[-1].measured_on if tie else draw(st.one_of(days(0, 120), days(-5, 340)))
        code = draw(st.sampled_from(codes))
        known = [c for c in criteria if c.code == code]
        if known and draw(st.integers(0, 3)) > 0:
            # A value part of the way from baseline to target (sometimes past it).
            criterion = known[0]
            baseline = criterion.baseline or Decimal(0)
            share = Decimal(draw(st.integers(-2, 12))) / 10
            value = baseline + (criterion.target - baseline) * share
        else:
            value = Decimal(draw(st.integers(-20, 120))) / draw(st.sampled_from([1, 2, 3, 8]))
        made.append(
            ProgressUpdate(
                id=f"p{draw(st.integers(0, 9))}{i}",
                trust_id=T,
                school_id=S,
                cycle_id=CYCLE_ID,
                objective_id=ObjectiveId(draw(st.sampled_from(["o1", "o1", "o1", "o2"]))),
                appraisee_id=AMY,
                criterion=code,
                measured_on=measured,
                value=value,
                recorded_by="amy",
                recorded_at=AT + timedelta(hours=draw(st.integers(0, 3))),
            )
        )
    return made


@st.composite
def evidence(draw: st.DrawFn) -> list[Evidence]:
    """Up to four items: formal or developmental, filed or not, linked or not, any date."""
    return [
        Evidence(
            id=EvidenceId(f"e{i}"),
            trust_id=T,
            school_id=S,
            owner_id=AMY,
            author_id="apr",
            kind=EvidenceKind.OBSERVATION_NOTE,
            title="Seen",
            captured_on=draw(days(-5, 340)),
            recorded_at=AT,
            text="Seen",
            purpose=draw(st.sampled_from(list(EvidencePurpose))),
            objective_ids=tuple(
                ObjectiveId(o) for o in draw(st.sampled_from([(), ("o1",), ("o1", "o2")]))
            ),
            appraisal_evidence=draw(st.booleans()),
        )
        for i in range(draw(st.integers(0, 4)))
    ]


policies = st.builds(
    lambda green, extra, points, count, late, quiet, phases: RagPolicy(
        green_margin=Decimal(green) / 100,
        amber_margin=Decimal(green + extra) / 100,
        min_progress_points=points,
        milestone_red_count=count,
        milestone_red_days=late,
        quiet_days=quiet,
        quiet_phases=phases,
    ),
    st.integers(0, 40),
    st.integers(0, 40),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(0, 60),
    st.integers(1, 90),
    st.lists(st.sampled_from(PHASES), min_size=0, max_size=3, unique=True).map(tuple),
)


def two_weeks_off(first: date) -> WeekdayCalendar:
    """Weekdays, with a two-week holiday from ``first``."""
    closed: frozenset[date] = frozenset(first + timedelta(days=i) for i in range(14))
    return WeekdayCalendar(closed)


calendars = st.one_of(st.just(WeekdayCalendar()), days(0, 300).map(two_weeks_off))


@attrs.frozen
class Batch:
    """Several objectives of one cycle, assessed on one day under one policy and calendar."""

    items: list[tuple[Objective, list[ProgressUpdate], list[Evidence]]]
    cycle: AppraisalCycle
    calendar: SchoolDays
    policy: RagPolicy
    as_of: date


@st.composite
def batches(draw: st.DrawFn) -> Batch:
    """One to five varied objectives with their own progress and evidence."""
    items = []
    for _ in range(draw(st.integers(1, 5))):
        objective = draw(objectives())
        items.append((objective, draw(progress_for(objective)), draw(evidence())))
    return Batch(
        items,
        draw(cycles()),
        draw(calendars),
        draw(st.one_of(st.just(DEFAULT_POLICY), policies)),
        draw(st.one_of(days(60, 200), days(-10, 340))),
    )


def assert_identical(expected: RagStatus, got: RagStatus) -> None:
    """Equal statuses, and nothing a report could show told apart either."""
    assert got == expected
    assert str(got.expected) == str(expected.expected)
    assert str(got.actual) == str(expected.actual)
    assert got.explanation == expected.explanation
    for mine, theirs in zip(got.results, expected.results, strict=True):
        assert list(mine.inputs.items()) == list(theirs.inputs.items())


def released_if_filed(item: Evidence) -> bool:
    """A release decision other than the default: any item filed as appraisal evidence."""
    return item.appraisal_evidence


@settings(max_examples=400, deadline=None)
@given(batches())
def test_the_batch_path_returns_the_statuses_assess_returns(batch: Batch) -> None:
    reference = [
        assess(o, p, e, batch.cycle, batch.calendar, batch.policy, batch.as_of)
        for o, p, e in batch.items
    ]
    assessor = RagAssessor(batch.calendar, batch.policy, batch.as_of)
    one_by_one = [assessor.assess(o, p, e, batch.cycle) for o, p, e in batch.items]
    together = assess_many(batch.items, batch.cycle, batch.calendar, batch.policy, batch.as_of)
    for expected, first, second in zip(reference, one_by_one, together, strict=True):
        assert_identical(expected, first)
        assert_identical(expected, second)


@settings(max_examples=100, deadline=None)
@given(batches())
def test_a_release_decision_given_per_call_is_the_one_assess_applies(batch: Batch) -> None:
    assessor = RagAssessor(batch.calendar, batch.policy, batch.as_of)
    for objective, progress, items in batch.items:
        expected = assess(
            objective,
            progress,
            items,
            batch.cycle,
            batch.calendar,
            batch.policy,
            batch.as_of,
            released=released_if_filed,
        )
        got = assessor.assess(objective, progress, items, batch.cycle, released=released_if_filed)
        assert_identical(expected, got)


@attrs.frozen
class Worsens:
    """A plugin rule making every objective with evidence at most AMBER."""

    name: str = "needs_a_conversation"

    def evaluate(self, facts: RagFacts) -> RuleOutcome | None:
        """AMBER when any released evidence exists, else nothing."""
        if not facts.evidence:
            return None
        return RuleOutcome(Effect.WORSEN, "Talk it through.", RagColour.AMBER, {"n": "1"})


@settings(max_examples=100, deadline=None)
@given(batches())
def test_with_plugin_rules_the_batch_path_still_agrees(batch: Batch) -> None:
    rules = [Worsens()]
    reference = [
        assess(o, p, e, batch.cycle, batch.calendar, batch.policy, batch.as_of, rules=rules)
        for o, p, e in batch.items
    ]
    got = assess_many(
        batch.items, batch.cycle, batch.calendar, batch.policy, batch.as_of, rules=rules
    )
    for expected, mine in zip(reference, got, strict=True):
        assert_identical(expected, mine)


class CountingCalendar:
    """Weekdays, counting how often it is asked (to show the assessor remembers counts)."""

    def __init__(self) -> None:
        self.calls = 0
        self.weekdays = WeekdayCalendar()

    def school_days_between(self, a: date, b: date) -> int:
        """Mon-Fri between ``a`` and ``b``, counted."""
        self.calls += 1
        return self.weekdays.school_days_between(a, b)


def test_the_calendar_is_asked_once_per_period_and_start_date() -> None:
    calendar = CountingCalendar()
    day = date(2026, 11, 16)
    terms = ObjectiveTerms(
        title="Questioning",
        category=ObjectiveCategory.TEACHING_PRACTICE,
        starts_on=START,
        due_on=date(2027, 1, 25),
    )
    objective = Objective(
        id=ObjectiveId("o1"),
        trust_id=T,
        school_id=S,
        cycle_id=CYCLE_ID,
        appraisee_id=AMY,
        terms=terms,
        status=ObjectiveStatus.IN_PROGRESS,
        agreements=(Agreement(Party.APPRAISEE, "amy", AT), Agreement(Party.APPRAISER, "apr", AT)),
    )
    cycle = AppraisalCycle(
        id=CYCLE_ID,
        trust_id=T,
        name="Appraisal 2026-27",
        academic_year="2026-27",
        starts_on=date(2026, 9, 1),
        ends_on=date(2027, 8, 31),
        phase=CyclePhase.MONITORING,
    )
    items: list[tuple[Objective, list[ProgressUpdate], list[Evidence]]] = [
        (attrs.evolve(objective, id=ObjectiveId(f"o{n}")), [], []) for n in range(50)
    ]
    statuses = assess_many(items, cycle, calendar, DEFAULT_POLICY, day)
    assert calendar.calls == 2
    assert {s.expected for s in statuses} == {Decimal(50) / Decimal(100)}
    assert [s.objective_id for s in statuses] == [f"o{n}" for n in range(50)]


def test_plugin_rule_names_are_checked_once_when_the_batch_starts() -> None:
    with pytest.raises(ConfigurationError, match="two RAG rules are named 'needs_a_conversation'"):
        RagAssessor(WeekdayCalendar(), DEFAULT_POLICY, START, rules=[Worsens(), Worsens()])


@settings(max_examples=50, deadline=None)
@given(batches())
def test_the_memo_of_fraction_texts_stays_right_when_it_is_emptied(batch: Batch) -> None:
    kept = batch_module._TEXTS_KEPT
    batch_module._TEXTS_KEPT = 2
    try:
        got = assess_many(batch.items, batch.cycle, batch.calendar, batch.policy, batch.as_of)
    finally:
        batch_module._TEXTS_KEPT = kept
    for (o, p, e), mine in zip(batch.items, got, strict=True):
        assert_identical(
            assess(o, p, e, batch.cycle, batch.calendar, batch.policy, batch.as_of), mine
        )
