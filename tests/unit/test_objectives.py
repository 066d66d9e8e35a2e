"""Objectives: terms validation, the life cycle, agreement by both parties, set limits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import attrs
import hypothesis.strategies as st
import pytest
from hypothesis import given, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from cpdcore.domain.cycles import (
    AppraisalCycle,
    ObjectiveLimits,
    TransitionNotAllowed,
    default_windows,
)
from cpdcore.domain.identifiers import CycleId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    OBJECTIVE_TRANSITIONS,
    MeasureUnit,
    Milestone,
    MilestoneState,
    Objective,
    ObjectiveAction,
    ObjectiveCategory,
    ObjectiveStatus,
    ObjectiveTerms,
    Outcome,
    Party,
    SuccessCriterion,
    agree,
    complete_milestone,
    edit,
    milestone_states,
    new_objective,
    objective_set_problems,
    propose,
    review,
    start,
    terms_problems,
    withdraw,
)
from cpdcore.domain.progress import ProgressUpdate
from cpdcore.domain.review_meetings import ReviewComment, ReviewStage
from cpdcore.domain.sip import SipPriority
from cpdcore.domain.standards import TeachersStandard
from cpdcore.errors import ValidationError
from cpdcore.serialization import from_dict, to_dict

S = ObjectiveStatus
AT = datetime(2026, 9, 20, 10, tzinfo=UTC)
CYCLE = AppraisalCycle(
    id=CycleId("c1"),
    trust_id=TrustId("t"),
    name="2026-27",
    academic_year="2026-27",
    starts_on=date(2026, 9, 1),
    ends_on=date(2027, 8, 31),
    windows=default_windows("2026-27"),
)


def make_terms(**overrides: object) -> ObjectiveTerms:
    values: dict[str, object] = {
        "title": "Hinge questions in Year 9",
        "category": ObjectiveCategory.TEACHING_PRACTICE,
        "starts_on": date(2026, 9, 15),
        "due_on": date(2027, 3, 31),
        "success_criteria": (
            SuccessCriterion(
                "Pupils answering the hinge question correctly",
                MeasureUnit.PERCENTAGE,
                target=Decimal(80),
                baseline=Decimal(55),
            ),
            SuccessCriterion("Peer observations completed", MeasureUnit.COUNT, Decimal(3)),
        ),
        "standards": ("TS4", TeachersStandard.TS6),
        "milestones": (Milestone("First peer observation", date(2026, 11, 20)),),
    }
    values.update(overrides)
    return ObjectiveTerms(**values)  # type: ignore[arg-type]


def make_objective(terms: ObjectiveTerms | None = None) -> Objective:
    return new_objective(
        objective_id=ObjectiveId("o1"),
        trust_id=TrustId("t"),
        school_id=SchoolId("north"),
        cycle_id=CYCLE.id,
        appraisee_id=StaffId("amy"),
        terms=terms or make_terms(),
        at=AT,
        by="amy",
    )


def agreed() -> Objective:
    objective = propose(make_objective(), party=Party.APPRAISEE, by="amy", at=AT)
    return agree(objective, party=Party.APPRAISER, by="ben", at=AT)


def test_codes_are_filled_in_for_criteria_and_milestones() -> None:
    objective = make_objective()
    assert [c.code for c in objective.terms.success_criteria] == ["c1", "c2"]
    assert [m.code for m in objective.terms.milestones] == ["m1"]


def test_standards_accept_codes_and_reject_unknown_ones_with_the_path() -> None:
    assert make_terms(standards=["ts1", "Part Two"]).standards == (
        TeachersStandard.TS1,
        TeachersStandard.PART_TWO,
    )
    with pytest.raises(ValidationError) as info:
        make_terms(standards=["TS4", "TS9"])
    assert info.value.where == "standards[1]"
    assert "TS8" in str(info.value)


def test_good_terms_have_no_problems() -> None:
    assert terms_problems(make_terms(), CYCLE, sip_codes=[]) == []


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"title": "  "}, "title"),
        ({"starts_on": date(2026, 8, 1)}, "starts_on"),
        ({"due_on": date(2027, 9, 30)}, "due_on"),
        ({"due_on": date(2026, 9, 10)}, "due_on"),
        ({"weight": Decimal(0)}, "weight"),
        ({"milestones": (Milestone("Late", date(2027, 9, 2)),)}, "milestones[0].due_on"),
        ({"milestones": (Milestone("Early", date(2026, 9, 2)),)}, "milestones[0].due_on"),
        ({"sip_priorities": ("SIP9",)}, "sip_priorities[0]"),
        (
            {"success_criteria": (SuccessCriterion("x", MeasureUnit.PERCENTAGE, Decimal(120)),)},
            "success_criteria[0].target",
        ),
        (
            {"success_criteria": (SuccessCriterion("x", MeasureUnit.YES_NO, Decimal(2)),)},
            "success_criteria[0].target",
        ),
        (
            {"success_criteria": (SuccessCriterion("x", MeasureUnit.COUNT, Decimal("2.5")),)},
            "success_criteria[0].target",
        ),
        (
            {
                "success_criteria": (
                    SuccessCriterion("a", MeasureUnit.SCORE, Decimal(5), weight=Decimal(60)),
                    SuccessCriterion("b", MeasureUnit.SCORE, Decimal(5), weight=Decimal(30)),
                )
            },
            "success_criteria",
        ),
        (
            {
                "success_criteria": (
                    SuccessCriterion("a", MeasureUnit.SCORE, Decimal(5), weight=Decimal(60)),
                    SuccessCriterion("b", MeasureUnit.SCORE, Decimal(5)),
                )
            },
            "success_criteria[1].weight",
        ),
        (
            {
                "success_criteria": (
                    SuccessCriterion("a", MeasureUnit.SCORE, Decimal(5), code="k"),
                    SuccessCriterion("b", MeasureUnit.SCORE, Decimal(5), code="k"),
                )
            },
            "success_criteria[1].code",
        ),
    ],
)
def test_bad_terms_are_reported_with_their_field_path(
    overrides: dict[str, object], where: str
) -> None:
    problems = terms_problems(make_terms(**overrides), CYCLE, sip_codes=["SIP1"])
    assert where in [p.where for p in problems], problems


def test_agreement_needs_both_parties() -> None:
    proposed = propose(make_objective(), party=Party.APPRAISEE, by="amy", at=AT)
    assert proposed.status is S.PROPOSED
    assert agree(proposed, party=Party.APPRAISEE, by="amy", at=AT) == proposed
    done = agree(proposed, party=Party.APPRAISER, by="ben", at=AT)
    assert done.status is S.AGREED
    assert done.agreed_by == frozenset(Party)


def test_editing_an_agreed_objective_returns_it_to_proposed_and_records_the_change() -> None:
    objective = start(agreed(), by="amy", at=AT)
    new_terms = make_terms(title="Hinge questions in Years 9 and 10")
    edited = edit(objective, new_terms, party=Party.APPRAISEE, by="amy", at=AT, note="scope")
    assert edited.status is S.PROPOSED
    assert edited.agreed_by == {Party.APPRAISEE}
    change = edited.history[-1]
    assert change.action is ObjectiveAction.EDITED
    assert change.changed == ("title",)
    assert change.previous_terms == objective.terms
    assert change.from_status is S.IN_PROGRESS
    assert edit(edited, new_terms, party=Party.APPRAISEE, by="amy", at=AT) == edited


def test_editing_a_draft_keeps_it_a_draft() -> None:
    edited = edit(make_objective(), make_terms(title="New"), party=Party.APPRAISEE, by="a", at=AT)
    assert edited.status is S.DRAFT
    assert edited.agreements == ()


def test_review_records_the_outcome() -> None:
    reviewed = review(agreed(), Outcome.PARTLY_MET, by="ben", at=AT, note="nearly")
    assert (reviewed.status, reviewed.outcome, reviewed.outcome_note) == (
        S.REVIEWED,
        Outcome.PARTLY_MET,
        "nearly",
    )
    with pytest.raises(TransitionNotAllowed, match="final"):
        edit(reviewed, make_terms(title="x"), party=Party.APPRAISER, by="ben", at=AT)


def test_a_proposed_objective_cannot_be_reviewed_and_the_error_names_the_options() -> None:
    proposed = propose(make_objective(), party=Party.APPRAISEE, by="amy", at=AT)
    with pytest.raises(TransitionNotAllowed) as info:
        review(proposed, Outcome.MET, by="ben", at=AT)
    assert set(info.value.allowed) == {"agreed", "proposed", "withdrawn"}


def test_withdrawing_needs_a_reason() -> None:
    with pytest.raises(ValidationError, match="reason"):
        withdraw(make_objective(), " ", by="amy", at=AT)
    gone = withdraw(make_objective(), "moved to part-time", by="amy", at=AT)
    assert gone.status is S.WITHDRAWN
    assert gone.withdrawn_reason == "moved to part-time"


def test_milestones_are_done_due_or_overdue() -> None:
    objective = agreed()
    assert milestone_states(objective, date(2026, 11, 1))[0].state is MilestoneState.DUE
    assert milestone_states(objective, date(2026, 12, 1))[0].state is MilestoneState.OVERDUE
    done = complete_milestone(objective, "m1", done_on=date(2026, 11, 18), by="amy", at=AT)
    state = milestone_states(done, date(2026, 12, 1))[0]
    assert (state.state, state.done_on) == (MilestoneState.DONE, date(2026, 11, 18))
    with pytest.raises(ValidationError, match="accepted: m1"):
        complete_milestone(objective, "m7", done_on=date(2026, 11, 18), by="amy", at=AT)


def _with_weight(weight: str | None, number: int) -> Objective:
    terms = make_terms(weight=None if weight is None else Decimal(weight))
    return attrs.evolve(make_objective(terms), id=ObjectiveId(f"o{number}"))


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ((None, None), []),
        (("50", "50"), []),
        (("40", "30", "30"), []),
        ((None,), ["objectives"]),
        (("60", "30"), ["objectives"]),
        (("60", None), ["objectives[1].weight"]),
        ((None,) * 6, ["objectives"]),
    ],
)
def test_objective_sets_respect_the_limits_and_weights(
    weights: tuple[str | None, ...], expected: list[str]
) -> None:
    objectives = [_with_weight(w, i) for i, w in enumerate(weights)]
    problems = objective_set_problems(objectives, ObjectiveLimits())
    assert [p.where for p in problems] == expected


def test_withdrawn_objectives_do_not_count_towards_the_limits() -> None:
    objectives = [
        _with_weight(None, 1),
        _with_weight(None, 2),
        withdraw(_with_weight(None, 3), "merged", by="a", at=AT),
    ]
    assert objective_set_problems(objectives, ObjectiveLimits(minimum=2, maximum=2)) == []


class ObjectiveMachine(RuleBasedStateMachine):
    """Apply random actions in random order; the objective never reaches an illegal state."""

    def __init__(self) -> None:
        super().__init__()
        self.objective = make_objective()

    def _apply(self, action: object, *args: object, **kwargs: object) -> None:
        before = self.objective
        try:
            self.objective = action(before, *args, at=AT, **kwargs)  # type: ignore[operator]
        except (TransitionNotAllowed, ValidationError):
            assert self.objective == before

    @rule(party=st.sampled_from(list(Party)))
    def do_propose(self, party: Party) -> None:
        self._apply(propose, party=party, by=party.value)

    @rule(party=st.sampled_from(list(Party)))
    def do_agree(self, party: Party) -> None:
        self._apply(agree, party=party, by=party.value)

    @rule(party=st.sampled_from(list(Party)), title=st.sampled_from(["A", "B", "C"]))
    def do_edit(self, party: Party, title: str) -> None:
        self._apply(edit, make_terms(title=title), party=party, by=party.value)

    @rule()
    def do_start(self) -> None:
        self._apply(start, by="amy")

    @rule(day=st.dates(date(2026, 9, 1), date(2027, 7, 1)))
    def do_milestone(self, day: date) -> None:
        self._apply(complete_milestone, "m1", done_on=day, by="amy")

    @rule(outcome=st.sampled_from(list(Outcome)))
    def do_review(self, outcome: Outcome) -> None:
        self._apply(review, outcome, by="ben")

    @rule(reason=st.sampled_from(["", "left the school"]))
    def do_withdraw(self, reason: str) -> None:
        self._apply(withdraw, reason, by="amy")

    @invariant()
    def every_step_follows_the_transition_table(self) -> None:
        history = self.objective.history
        assert history[0].to_status is S.DRAFT
        for change in history[1:]:
            assert change.from_status is not None
            assert change.to_status in OBJECTIVE_TRANSITIONS[change.from_status] | {
                change.from_status
            }
        assert history[-1].to_status is self.objective.status

    @invariant()
    def agreed_states_carry_both_agreements(self) -> None:
        status = self.objective.status
        if status in {S.AGREED, S.IN_PROGRESS, S.REVIEWED}:
            assert self.objective.agreed_by == frozenset(Party)
        assert (status is S.REVIEWED) == (self.objective.outcome is not None)
        assert (status is S.WITHDRAWN) == bool(self.objective.withdrawn_reason)

    @invariant()
    def survives_a_serialization_round_trip(self) -> None:
        assert from_dict(Objective, to_dict(self.objective)) == self.objective


TestObjectiveMachine = ObjectiveMachine.TestCase
TestObjectiveMachine.settings = settings(max_examples=60, stateful_step_count=20, deadline=None)


decimals = st.decimals(min_value=0, max_value=100, places=2)


@given(
    title=st.text(min_size=1, max_size=30),
    category=st.sampled_from(list(ObjectiveCategory)),
    standards=st.lists(st.sampled_from(list(TeachersStandard)), unique=True, max_size=4),
    weight=st.none() | decimals,
    criteria=st.lists(
        st.builds(
            SuccessCriterion,
            description=st.text(max_size=20),
            unit=st.sampled_from(list(MeasureUnit)),
            target=decimals,
            baseline=st.none() | decimals,
            weight=st.none() | decimals,
        ),
        max_size=3,
    ),
    sip=st.lists(st.from_regex(r"[A-Z]{1,4}[0-9]", fullmatch=True), max_size=3),
)
def test_terms_survive_a_serialization_round_trip(
    *,
    title: str,
    category: ObjectiveCategory,
    standards: list[TeachersStandard],
    weight: Decimal | None,
    criteria: list[SuccessCriterion],
    sip: list[str],
) -> None:
    terms = make_terms(
        title=title,
        category=category,
        standards=standards,
        weight=weight,
        success_criteria=tuple(criteria),
        sip_priorities=sip,
    )
    assert from_dict(ObjectiveTerms, to_dict(terms)) == terms


def test_terms_from_untrusted_input_report_the_path_of_a_bad_standard() -> None:
    data = to_dict(make_terms())
    data["standards"] = ["TS4", "TS12"]
    with pytest.raises(ValidationError) as info:
        from_dict(ObjectiveTerms, data)
    assert info.value.where == "standards[1]"


@given(
    value=st.decimals(min_value=0, max_value=100, places=3),
    day=st.dates(date(2026, 9, 15), date(2027, 8, 31)),
    note=st.text(max_size=40),
    stage=st.sampled_from(list(ReviewStage)),
    party=st.sampled_from(list(Party)),
)
def test_other_appraisal_records_survive_a_serialization_round_trip(
    *, value: Decimal, day: date, note: str, stage: ReviewStage, party: Party
) -> None:
    records: list[object] = [
        ProgressUpdate(
            id="p1",
            trust_id=TrustId("t"),
            school_id=SchoolId("north"),
            cycle_id=CYCLE.id,
            objective_id=ObjectiveId("o1"),
            appraisee_id=StaffId("amy"),
            criterion="c1",
            measured_on=day,
            value=value,
            recorded_by="amy",
            recorded_at=AT,
            note=note,
        ),
        SipPriority(
            id="s1",
            trust_id=TrustId("t"),
            code="SIP-1",
            title="Reading",
            academic_year="2026-27",
            description=note,
        ),
        ReviewComment(
            id="r1",
            trust_id=TrustId("t"),
            school_id=SchoolId("north"),
            cycle_id=CYCLE.id,
            appraisee_id=StaffId("amy"),
            stage=stage,
            party=party,
            author_id="amy",
            text=f"Comment {note}",
            written_at=AT,
        ),
    ]
    for record in records:
        assert from_dict(type(record), to_dict(record)) == record
