"""Laws of the RAG engine, checked with hypothesis over generated objectives.

* more progress never makes the status worse, all else equal;
* the same inputs give the same status, whatever order the records come in;
* the explanation is never empty and names every rule that changed the outcome;
* no progress is expected during a holiday (or a weekend).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from cpdcore.domain.cycles import AppraisalCycle, CyclePhase
from cpdcore.domain.evidence import Evidence, EvidenceKind, EvidencePurpose
from cpdcore.domain.identifiers import CycleId, EvidenceId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    Agreement,
    MeasureUnit,
    Milestone,
    Objective,
    ObjectiveCategory,
    ObjectiveStatus,
    ObjectiveTerms,
    Party,
    SuccessCriterion,
)
from cpdcore.domain.progress import ProgressUpdate
from cpdcore.domain.rag import (
    Effect,
    RagColour,
    RagFacts,
    RagPolicy,
    RuleOutcome,
    SchoolDayIndex,
    WeekdayCalendar,
    assess,
    expected_progress,
)

AT = datetime(2026, 9, 1, tzinfo=UTC)
START = date(2026, 9, 7)
PHASES = [CyclePhase.MONITORING, CyclePhase.MID_YEAR_REVIEW, CyclePhase.FINAL_REVIEW]


@st.composite
def criteria(draw: st.DrawFn) -> tuple[SuccessCriterion, ...]:
    count = draw(st.integers(1, 3))
    weighted = draw(st.booleans()) and count > 1
    weights = [Decimal(100 // count)] * count
    weights[0] += Decimal(100) - sum(weights)
    made = []
    for i in range(count):
        unit = draw(st.sampled_from([MeasureUnit.SCORE, MeasureUnit.YES_NO]))
        if unit is MeasureUnit.YES_NO:
            target, baseline = Decimal(1), Decimal(0)
        else:
            baseline = Decimal(draw(st.integers(0, 50)))
            target = baseline + Decimal(draw(st.integers(-40, 40)))
        made.append(
            SuccessCriterion(
                f"criterion {i}",
                unit,
                target,
                baseline,
                weights[i] if weighted else None,
                f"c{i + 1}",
            )
        )
    return tuple(made)


@attrs.frozen
class Case:
    objective: Objective
    progress: tuple[ProgressUpdate, ...]
    evidence: tuple[Evidence, ...]
    phase: CyclePhase
    calendar: WeekdayCalendar
    as_of: date


@st.composite
def cases(draw: st.DrawFn) -> Case:
    terms_criteria = draw(criteria())
    length = draw(st.integers(20, 300))
    due = START + timedelta(days=length)
    milestones = tuple(
        Milestone(f"step {i}", START + timedelta(days=draw(st.integers(0, length))), f"m{i + 1}")
        for i in range(draw(st.integers(0, 3)))
    )
    objective = Objective(
        id=ObjectiveId("o"),
        trust_id=TrustId("t"),
        school_id=SchoolId("s"),
        cycle_id=CycleId("c"),
        appraisee_id=StaffId("amy"),
        terms=ObjectiveTerms(
            title="t",
            category=ObjectiveCategory.LEADERSHIP,
            starts_on=START,
            due_on=due,
            success_criteria=terms_criteria,
            milestones=milestones,
        ),
        status=ObjectiveStatus.IN_PROGRESS,
        agreements=(Agreement(Party.APPRAISEE, "amy", AT), Agreement(Party.APPRAISER, "apr", AT)),
    )
    progress = []
    for i in range(draw(st.integers(0, 6))):
        criterion = draw(st.sampled_from(terms_criteria))
        if criterion.unit is MeasureUnit.YES_NO:
            value = Decimal(draw(st.integers(0, 1)))
        else:
            value = Decimal(draw(st.integers(-60, 120)))
        progress.append(
            ProgressUpdate(
                id=f"p{i}",
                trust_id=TrustId("t"),
                school_id=SchoolId("s"),
                cycle_id=CycleId("c"),
                objective_id=ObjectiveId("o"),
                appraisee_id=StaffId("amy"),
                criterion=criterion.code,
                measured_on=START + timedelta(days=draw(st.integers(0, length + 30))),
                value=value,
                recorded_by="amy",
                recorded_at=AT,
            )
        )
    evidence = tuple(
        Evidence(
            id=EvidenceId(f"e{i}"),
            trust_id=TrustId("t"),
            school_id=SchoolId("s"),
            owner_id=StaffId("amy"),
            author_id="amy",
            kind=EvidenceKind.OBSERVATION_NOTE,
            title="note",
            captured_on=START + timedelta(days=draw(st.integers(0, length + 30))),
            recorded_at=AT,
            text="seen",
            purpose=EvidencePurpose.FORMAL,
            objective_ids=(ObjectiveId("o"),),
            appraisal_evidence=draw(st.booleans()),
        )
        for i in range(draw(st.integers(0, 3)))
    )
    closed_start = START + timedelta(days=draw(st.integers(0, length)))
    closed = frozenset(closed_start + timedelta(days=i) for i in range(draw(st.integers(0, 20))))
    return Case(
        objective=objective,
        progress=tuple(progress),
        evidence=evidence,
        phase=draw(st.sampled_from(PHASES)),
        calendar=WeekdayCalendar(closed),
        as_of=START + timedelta(days=draw(st.integers(-5, length + 40))),
    )


def cycle(phase: CyclePhase) -> AppraisalCycle:
    return AppraisalCycle(
        id=CycleId("c"),
        trust_id=TrustId("t"),
        name="c",
        academic_year="2026-27",
        starts_on=date(2026, 9, 1),
        ends_on=date(2027, 8, 31),
        phase=phase,
    )


@attrs.frozen
class Fixed:
    name: str
    effect: Effect
    colour: RagColour | None

    def evaluate(self, facts: RagFacts) -> RuleOutcome | None:
        return RuleOutcome(self.effect, f"{self.name}: {self.effect.value}", self.colour)


plugin_rules = st.lists(
    st.builds(
        Fixed,
        st.sampled_from(["alpha", "beta", "gamma", "delta"]),
        st.sampled_from([Effect.WORSEN, Effect.IMPROVE, Effect.NOTE]),
        st.sampled_from([RagColour.RED, RagColour.AMBER, RagColour.GREEN, RagColour.BLUE]),
    ),
    max_size=4,
    unique_by=lambda r: r.name,
)


def run(case: Case, rules: Sequence[Fixed] = (), policy: RagPolicy | None = None) -> RagColour:
    return assess(
        case.objective,
        case.progress,
        case.evidence,
        cycle(case.phase),
        case.calendar,
        policy or RagPolicy(),
        case.as_of,
        rules=rules,
    ).colour


def _more(criterion: SuccessCriterion, value: Decimal, step: Decimal) -> Decimal:
    if criterion.unit is MeasureUnit.YES_NO:
        return criterion.target
    baseline = criterion.baseline or Decimal(0)
    return value + step if criterion.target >= baseline else value - step


@settings(max_examples=300, deadline=None)
@given(cases(), st.data())
def test_more_progress_never_worsens_the_status(case: Case, data: st.DataObject) -> None:
    if not case.progress:
        return
    index = data.draw(st.integers(0, len(case.progress) - 1))
    step = Decimal(data.draw(st.integers(0, 80)))
    chosen = case.progress[index]
    criterion = next(c for c in case.objective.terms.success_criteria if c.code == chosen.criterion)
    better = attrs.evolve(chosen, value=_more(criterion, chosen.value, step))
    improved = attrs.evolve(
        case, progress=(*case.progress[:index], better, *case.progress[index + 1 :])
    )
    assert run(improved).rank >= run(case).rank


@settings(max_examples=200, deadline=None)
@given(cases(), plugin_rules, st.randoms(use_true_random=False))
def test_the_same_inputs_give_the_same_status_in_any_order(
    case: Case, rules: list[Fixed], shuffler: random.Random
) -> None:
    policy = RagPolicy(may_improve=("beta", "delta"))
    first = assess(
        case.objective,
        case.progress,
        case.evidence,
        cycle(case.phase),
        case.calendar,
        policy,
        case.as_of,
        rules=rules,
    )
    progress, evidence, shuffled_rules = list(case.progress), list(case.evidence), list(rules)
    for items in (progress, evidence, shuffled_rules):
        shuffler.shuffle(items)
    again = assess(
        case.objective,
        progress,
        evidence,
        cycle(case.phase),
        SchoolDayIndex(case.calendar, START - timedelta(days=10), START + timedelta(days=400)),
        policy,
        case.as_of,
        rules=shuffled_rules,
    )
    assert again == first


@settings(max_examples=300, deadline=None)
@given(cases(), plugin_rules, st.sampled_from([(), ("*",), ("alpha", "gamma")]))
def test_the_explanation_names_every_rule_that_changed_the_outcome(
    case: Case, rules: list[Fixed], may_improve: tuple[str, ...]
) -> None:
    policy = RagPolicy(may_improve=may_improve)
    result = assess(
        case.objective,
        case.progress,
        case.evidence,
        cycle(case.phase),
        case.calendar,
        policy,
        case.as_of,
        rules=rules,
    )
    assert result.explanation
    assert all(text.strip() for text in result.explanation)
    assert result.decided_by, "some rule always sets the colour"
    assert result.results[0].changed
    last_change = [r for r in result.results if r.changed][-1]
    assert last_change.after is result.colour
    for rule in rules:
        without = [r for r in rules if r is not rule]
        if run(case, without, policy) is not result.colour:
            assert rule.name in result.decided_by


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 200),
    st.integers(1, 60),
    st.integers(0, 30),
    st.integers(30, 330),
)
def test_no_progress_is_expected_on_a_day_that_is_not_a_school_day(
    closed_from: int, closed_days: int, day: int, length: int
) -> None:
    closed = frozenset(START + timedelta(days=closed_from + i) for i in range(closed_days))
    calendar = WeekdayCalendar(closed)
    due = START + timedelta(days=length)
    for offset in range(day, min(length, day + 60)):
        on = START + timedelta(days=offset)
        if calendar.school_days_between(on, on + timedelta(days=1)) == 0:
            before = expected_progress(calendar, START, due, on)
            after = expected_progress(calendar, START, due, on + timedelta(days=1))
            assert after == before, f"{on} is not a school day yet expected progress moved"
