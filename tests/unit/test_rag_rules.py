"""The RAG rules, table by table, on both sides of every threshold.

Every case uses one objective of 100 school days in the monitoring phase.

The objective runs from Monday 7 September 2026 to Monday 25 January 2027: 20 weeks,
so exactly 100 school days with :class:`WeekdayCalendar`, and on 16 November 2026 half
of them (50) are gone. A criterion from 0 to 100 percent then reads directly as progress.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import attrs
import pytest

from cpdcore.domain.cycles import AppraisalCycle, CyclePhase
from cpdcore.domain.evidence import Evidence, EvidenceKind, EvidencePurpose
from cpdcore.domain.identifiers import CycleId, EvidenceId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    Agreement,
    MeasureUnit,
    Milestone,
    MilestoneDone,
    Objective,
    ObjectiveCategory,
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
    RagColour,
    RagFacts,
    RagOverride,
    RagPolicy,
    RagRule,
    RagStatus,
    RuleOutcome,
    SchoolDayIndex,
    SchoolDays,
    WeekdayCalendar,
    active_override,
    assess,
    effective_status,
    override_problems,
    timeline,
    transitions,
)
from cpdcore.errors import ConfigurationError, ValidationError

T = TrustId("t")
S = SchoolId("s")
START = date(2026, 9, 7)
DUE = date(2027, 1, 25)
HALFWAY = date(2026, 11, 16)
AT = datetime(2026, 9, 1, 8, tzinfo=UTC)


def cycle(phase: CyclePhase = CyclePhase.MONITORING) -> AppraisalCycle:
    return AppraisalCycle(
        id=CycleId("c"),
        trust_id=T,
        name="Appraisal 2026-27",
        academic_year="2026-27",
        starts_on=date(2026, 9, 1),
        ends_on=date(2027, 8, 31),
        phase=phase,
    )


def percent(
    target: str = "100", baseline: str | None = "0", code: str = "c1", weight: str | None = None
) -> SuccessCriterion:
    return SuccessCriterion(
        f"criterion {code}",
        MeasureUnit.PERCENTAGE,
        Decimal(target),
        None if baseline is None else Decimal(baseline),
        None if weight is None else Decimal(weight),
        code,
    )


def score(
    target: str, baseline: str, code: str = "c1", weight: str | None = None
) -> SuccessCriterion:
    return SuccessCriterion(
        f"score {code}",
        MeasureUnit.SCORE,
        Decimal(target),
        Decimal(baseline),
        None if weight is None else Decimal(weight),
        code,
    )


def yes_no(code: str = "c2", target: str = "1", weight: str | None = None) -> SuccessCriterion:
    return SuccessCriterion(
        f"yes/no {code}",
        MeasureUnit.YES_NO,
        Decimal(target),
        Decimal(0) if target == "1" else Decimal(1),
        None if weight is None else Decimal(weight),
        code,
    )


def objective(
    criteria: Sequence[SuccessCriterion] = (),
    *,
    milestones: Sequence[Milestone] = (),
    done: Sequence[MilestoneDone] = (),
    status: ObjectiveStatus = ObjectiveStatus.IN_PROGRESS,
    outcome: Outcome | None = None,
    starts_on: date = START,
    due_on: date = DUE,
    oid: str = "o",
) -> Objective:
    both = (Agreement(Party.APPRAISEE, "amy", AT), Agreement(Party.APPRAISER, "apr", AT))
    return Objective(
        id=ObjectiveId(oid),
        trust_id=T,
        school_id=S,
        cycle_id=CycleId("c"),
        appraisee_id=StaffId("amy"),
        terms=ObjectiveTerms(
            title="Hinge questions",
            category=ObjectiveCategory.TEACHING_PRACTICE,
            starts_on=starts_on,
            due_on=due_on,
            success_criteria=tuple(criteria) or (percent(),),
            milestones=tuple(milestones),
        ),
        status=status,
        agreements=() if status is ObjectiveStatus.DRAFT else both,
        milestones_done=tuple(done),
        outcome=outcome,
        withdrawn_reason="moved school" if status is ObjectiveStatus.WITHDRAWN else "",
    )


_counter = iter(range(10**9))


def update(value: str | Decimal, on: date, criterion: str = "c1", oid: str = "o") -> ProgressUpdate:
    return ProgressUpdate(
        id=f"p{next(_counter):09d}",
        trust_id=T,
        school_id=S,
        cycle_id=CycleId("c"),
        objective_id=ObjectiveId(oid),
        appraisee_id=StaffId("amy"),
        criterion=criterion,
        measured_on=on,
        value=Decimal(value),
        recorded_by="amy",
        recorded_at=AT,
    )


def two_points(value: str, on: date = HALFWAY, criterion: str = "c1") -> list[ProgressUpdate]:
    """A first measurement at the baseline a week in, and ``value`` on ``on``."""
    return [update("0", START + timedelta(days=7), criterion), update(value, on, criterion)]


def evidence(on: date, *, released: bool = True, oid: str = "o") -> Evidence:
    """A formal item filed as appraisal evidence (released), or a developmental one (not)."""
    return Evidence(
        id=EvidenceId(f"e{next(_counter):09d}"),
        trust_id=T,
        school_id=S,
        owner_id=StaffId("amy"),
        author_id="amy",
        kind=EvidenceKind.REFLECTION,
        title="Reflection",
        captured_on=on,
        recorded_at=AT,
        text="What went well",
        objective_ids=(ObjectiveId(oid),),
        purpose=EvidencePurpose.FORMAL if released else EvidencePurpose.DEVELOPMENTAL,
        appraisal_evidence=released,
    )


# --------------------------------------------------------------------------------------
# The tests. Each table names the rule and gives cases on both sides of its threshold.
# --------------------------------------------------------------------------------------

WEEKDAYS = WeekdayCalendar()


def status(
    obj: Objective,
    progress: Sequence[ProgressUpdate] = (),
    items: Sequence[Evidence] = (),
    *,
    on: date = HALFWAY,
    phase: CyclePhase = CyclePhase.MONITORING,
    calendar: SchoolDays = WEEKDAYS,
    policy: RagPolicy = DEFAULT_POLICY,
    rules: Sequence[RagRule] = (),
) -> RagStatus:
    return assess(obj, progress, items, cycle(phase), calendar, policy, on, rules=rules)


@pytest.mark.parametrize(
    ("value", "colour"),
    [
        ("100", RagColour.BLUE),
        ("50", RagColour.GREEN),
        ("40", RagColour.GREEN),  # expected 0.50 - 0.10: still on track
        ("39.99", RagColour.AMBER),
        ("25", RagColour.AMBER),  # expected 0.50 - 0.25: still amber
        ("24.99", RagColour.RED),
        ("0", RagColour.RED),
    ],
)
def test_progress_pace_thresholds_on_both_sides(value: str, colour: RagColour) -> None:
    result = status(objective(), two_points(value))
    assert result.expected == Decimal("0.5")
    assert result.colour is colour
    if colour is not RagColour.BLUE:
        assert result.decided_by == ("progress_pace",)
        pace = result.results[0]
        assert pace.inputs["expected"] == "0.5"
        assert pace.inputs["school_days"] == "50 of 100"
        assert "expected - 0.10" in pace.threshold


@pytest.mark.parametrize(
    ("value", "colour"),
    [
        ("45", RagColour.GREEN),
        ("44.99", RagColour.AMBER),
        ("30", RagColour.AMBER),
        ("29.99", RagColour.RED),
    ],
)
def test_a_school_policy_moves_the_thresholds(value: str, colour: RagColour) -> None:
    policy = RagPolicy(green_margin=Decimal("0.05"), amber_margin=Decimal("0.20"))
    assert status(objective(), two_points(value), policy=policy).colour is colour


@pytest.mark.parametrize(
    ("latest", "colour", "actual"),
    [
        ("6", RagColour.GREEN, "0.4"),  # 10 → 6 of the way to 0
        ("6.01", RagColour.AMBER, "0.399"),
        ("7.5", RagColour.AMBER, "0.25"),
        ("7.51", RagColour.RED, "0.249"),
        ("12", RagColour.RED, "0"),  # worse than the baseline clips to 0
        ("-1", RagColour.BLUE, "1"),  # past the target clips to 1, and it is met
    ],
)
def test_reductions_count_progress_downwards(latest: str, colour: RagColour, actual: str) -> None:
    obj = objective([score("0", "10")])
    result = status(obj, [update("10", START + timedelta(days=7)), update(latest, HALFWAY)])
    assert result.colour is colour
    assert result.actual == Decimal(actual)


@pytest.mark.parametrize(
    ("answer", "colour", "actual"),
    [("0", RagColour.AMBER, "0.25"), ("1", RagColour.GREEN, "0.75")],
)
def test_yes_no_criteria_count_nothing_or_everything(
    answer: str, colour: RagColour, actual: str
) -> None:
    obj = objective([percent(), yes_no("c2")])
    progress = [*two_points("50"), update(answer, HALFWAY, "c2")]
    result = status(obj, progress)
    assert (result.colour, result.actual) == (colour, Decimal(actual))


def test_a_yes_no_criterion_whose_target_is_no_is_met_by_no() -> None:
    obj = objective([yes_no("c1", target="0")])
    assert status(obj, [update("1", START), update("0", HALFWAY)]).colour is RagColour.BLUE
    assert status(obj, [update("1", START), update("1", HALFWAY)]).colour is RagColour.RED


@pytest.mark.parametrize(
    ("c1", "c2", "colour", "actual"),
    [
        ("40", "0", RagColour.AMBER, "0.3"),  # 0.75 * 0.4
        ("0", "100", RagColour.AMBER, "0.25"),  # 0.25 * 1: exactly on the amber line
        ("0", "96", RagColour.RED, "0.24"),
        ("60", "40", RagColour.GREEN, "0.55"),
    ],
)
def test_criteria_are_weighted(c1: str, c2: str, colour: RagColour, actual: str) -> None:
    obj = objective([percent(weight="75"), percent(code="c2", weight="25")])
    progress = [*two_points(c1), update(c2, HALFWAY, "c2")]
    result = status(obj, progress)
    assert (result.colour, result.actual) == (colour, Decimal(actual))


def test_an_unmeasured_criterion_stands_at_its_baseline() -> None:
    obj = objective([percent(), percent(code="c2")])
    result = status(obj, two_points("80"))
    assert result.actual == Decimal("0.4")
    assert result.colour is RagColour.GREEN


# Holidays: two closed weeks (26 Oct - 6 Nov) leave 90 school days in the period.
HALF_TERM = WeekdayCalendar(frozenset(date(2026, 10, 26) + timedelta(days=i) for i in range(14)))


THIRTY_FIVE_OF_NINETY = str(Decimal(35) / Decimal(90))


@pytest.mark.parametrize(
    ("calendar", "on", "expected", "colour"),
    [
        (WEEKDAYS, date(2026, 11, 23), "0.55", RagColour.AMBER),  # 55 of 100 days
        (HALF_TERM, date(2026, 11, 23), "0.5", RagColour.GREEN),  # 45 of 90: holiday not counted
        (HALF_TERM, date(2026, 10, 26), THIRTY_FIVE_OF_NINETY, RagColour.GREEN),
        (HALF_TERM, date(2026, 11, 6), THIRTY_FIVE_OF_NINETY, RagColour.GREEN),
        (HALF_TERM, date(2026, 11, 9), THIRTY_FIVE_OF_NINETY, RagColour.GREEN),
    ],
)
def test_holidays_inside_the_period_expect_no_progress(
    calendar: SchoolDays, on: date, expected: str, colour: RagColour
) -> None:
    result = status(objective(), two_points("40", on), on=on, calendar=calendar)
    assert result.expected == Decimal(expected)
    assert result.colour is colour


def test_the_school_day_index_agrees_with_the_calendar_inside_and_outside_its_range() -> None:
    index = SchoolDayIndex(HALF_TERM, START, DUE)
    days = [START + timedelta(days=i) for i in range(-20, 160, 3)]
    for a in days:
        for b in days:
            assert index.school_days_between(a, b) == HALF_TERM.school_days_between(a, b)


ON_TRACK = "60"  # comfortably green at half way, so the milestone rules decide


@pytest.mark.parametrize(
    ("days_overdue", "colour"),
    [(0, RagColour.GREEN), (1, RagColour.AMBER), (28, RagColour.AMBER), (29, RagColour.RED)],
)
def test_one_overdue_milestone_is_amber_until_it_is_more_than_28_days_late(
    days_overdue: int, colour: RagColour
) -> None:
    due = HALFWAY - timedelta(days=days_overdue)
    obj = objective(milestones=[Milestone("First peer observation", due, "m1")])
    result = status(obj, two_points(ON_TRACK))
    assert result.colour is colour
    if days_overdue:
        milestone = result.results[-1]
        assert milestone.rule == "overdue_milestones"
        assert milestone.inputs == {"m1": f"{days_overdue} days overdue"}
        assert "more than 28 days" in milestone.threshold


def test_two_overdue_milestones_are_red() -> None:
    obj = objective(
        milestones=[
            Milestone("Observation", HALFWAY - timedelta(days=1), "m1"),
            Milestone("Data drop", HALFWAY - timedelta(days=2), "m2"),
        ]
    )
    result = status(obj, two_points(ON_TRACK))
    assert result.colour is RagColour.RED
    assert result.decided_by == ("progress_pace", "overdue_milestones")
    assert "2 milestones overdue" in result.summary()


@pytest.mark.parametrize(
    ("done_on", "colour"),
    [(HALFWAY - timedelta(days=40), RagColour.GREEN), (HALFWAY + timedelta(days=1), RagColour.RED)],
)
def test_a_milestone_done_only_later_was_overdue_on_the_day(
    done_on: date, colour: RagColour
) -> None:
    due = HALFWAY - timedelta(days=30)
    obj = objective(
        milestones=[Milestone("Observation", due, "m1")],
        done=[MilestoneDone("m1", done_on, "amy")],
    )
    assert status(obj, two_points(ON_TRACK)).colour is colour


@pytest.mark.parametrize(
    ("on", "colour"), [(DUE, RagColour.GREEN), (DUE + timedelta(days=1), RagColour.RED)]
)
def test_past_the_deadline_and_not_achieved_is_red(on: date, colour: RagColour) -> None:
    result = status(objective(), two_points("95", on), on=on)
    assert result.colour is colour
    if colour is RagColour.RED:
        assert result.decided_by == ("progress_pace", "past_deadline")


def test_complete_is_blue_even_past_the_deadline_with_milestones_overdue() -> None:
    obj = objective(milestones=[Milestone("Observation", START + timedelta(days=9), "m1")])
    on = DUE + timedelta(days=10)
    result = status(obj, two_points("100", DUE), on=on, phase=CyclePhase.FINAL_REVIEW)
    assert result.colour is RagColour.BLUE
    assert [r.rule for r in result.results] == ["complete"]


@pytest.mark.parametrize(
    ("outcome", "colour"),
    [
        (Outcome.MET, RagColour.BLUE),
        (Outcome.PARTLY_MET, RagColour.RED),
        (Outcome.NOT_MET, RagColour.RED),
    ],
)
def test_the_review_outcome_decides_completion(outcome: Outcome, colour: RagColour) -> None:
    obj = objective(status=ObjectiveStatus.REVIEWED, outcome=outcome)
    on = DUE + timedelta(days=1)
    result = status(obj, two_points("100", DUE), on=on, phase=CyclePhase.FINAL_REVIEW)
    assert result.colour is colour


@pytest.mark.parametrize(
    ("days_quiet", "phase", "colour"),
    [
        (41, CyclePhase.MONITORING, RagColour.GREEN),
        (42, CyclePhase.MONITORING, RagColour.AMBER),
        (60, CyclePhase.MID_YEAR_REVIEW, RagColour.GREEN),  # the rule is for monitoring only
    ],
)
def test_no_recent_evidence_in_monitoring_is_at_least_amber(
    days_quiet: int, phase: CyclePhase, colour: RagColour
) -> None:
    last = HALFWAY - timedelta(days=days_quiet)
    result = status(objective(), two_points("60", last), phase=phase)
    assert result.colour is colour
    if colour is RagColour.AMBER:
        assert result.results[-1].rule == "no_recent_evidence"
        assert result.results[-1].inputs["days_since"] == "42"


@pytest.mark.parametrize(
    ("item", "colour"),
    [
        (evidence(HALFWAY - timedelta(days=5)), RagColour.GREEN),
        (evidence(HALFWAY - timedelta(days=5), released=False), RagColour.AMBER),
        (evidence(HALFWAY - timedelta(days=5), oid="other"), RagColour.AMBER),
        (evidence(HALFWAY + timedelta(days=1)), RagColour.AMBER),  # not yet captured
    ],
)
def test_only_released_linked_evidence_up_to_the_day_counts(
    item: Evidence, colour: RagColour
) -> None:
    progress = two_points("60", HALFWAY - timedelta(days=50))
    assert status(objective(), progress, [item]).colour is colour


def test_one_progress_point_is_not_paced_and_the_explanation_says_so() -> None:
    result = status(objective(), [update("5", HALFWAY)])
    assert result.colour is RagColour.GREEN
    assert result.decided_by == ("milestones_and_evidence_only",)
    assert "milestones and evidence only" in result.explanation[0]
    assert "only 1 progress point" in result.explanation[0]


def test_with_too_few_points_milestones_and_evidence_decide() -> None:
    obj = objective(milestones=[Milestone("Observation", HALFWAY - timedelta(days=3), "m1")])
    result = status(obj, [update("0", HALFWAY - timedelta(days=50))])
    assert result.colour is RagColour.AMBER
    assert result.decided_by == ("milestones_and_evidence_only", "overdue_milestones")
    assert [r.rule for r in result.results][-1] == "no_recent_evidence"


def test_progress_after_the_day_is_not_counted() -> None:
    progress = [
        update("0", START),
        update("10", HALFWAY),
        update("90", HALFWAY + timedelta(days=1)),
    ]
    assert status(objective(), progress).colour is RagColour.RED


@pytest.mark.parametrize(
    ("obj", "phase", "on", "reason"),
    [
        (objective(), CyclePhase.OBJECTIVE_SETTING, HALFWAY, "objective_setting"),
        (objective(), CyclePhase.PLANNING, HALFWAY, "planning"),
        (objective(status=ObjectiveStatus.PROPOSED), CyclePhase.MONITORING, HALFWAY, "agreed"),
        (objective(), CyclePhase.MONITORING, START - timedelta(days=1), "starts on"),
        (objective(status=ObjectiveStatus.WITHDRAWN), CyclePhase.MONITORING, HALFWAY, "withdrawn"),
    ],
)
def test_not_started_before_monitoring_agreement_or_the_start(
    obj: Objective, phase: CyclePhase, on: date, reason: str
) -> None:
    result = status(obj, two_points("0"), on=on, phase=phase)
    assert result.colour is RagColour.NOT_STARTED
    assert result.decided_by == ("not_started",)
    assert reason in result.explanation[0]


# --------------------------------------------------------------------------------------
# Plugin rules, the policy, overrides and the timeline
# --------------------------------------------------------------------------------------


@attrs.frozen
class Says:
    """A plugin rule that always says the same thing."""

    name: str
    effect: Effect
    colour: RagColour | None = None

    def evaluate(self, facts: RagFacts) -> RuleOutcome | None:
        return RuleOutcome(self.effect, f"{self.name} says {self.effect.value}", self.colour)


GREEN_CASE = (objective(), two_points("60"))  # GREEN from the built-in rules


def test_a_plugin_rule_may_worsen_and_is_named_in_the_explanation() -> None:
    result = status(*GREEN_CASE, rules=[Says("no_cpd_logged", Effect.WORSEN, RagColour.AMBER)])
    assert result.colour is RagColour.AMBER
    assert result.decided_by == ("progress_pace", "no_cpd_logged")


def test_a_plugin_rule_cannot_improve_unless_the_policy_allows_it() -> None:
    rule = Says("coach_says_fine", Effect.IMPROVE, RagColour.GREEN)
    obj, progress = objective(), two_points("30")  # AMBER
    refused = status(obj, progress, rules=[rule])
    assert refused.colour is RagColour.AMBER
    assert "does not let this rule improve" in refused.explanation[-1]
    assert "coach_says_fine" not in refused.decided_by
    allowed = status(
        obj, progress, rules=[rule], policy=RagPolicy(may_improve=("coach_says_fine",))
    )
    assert allowed.colour is RagColour.GREEN
    assert allowed.decided_by[-1] == "coach_says_fine"


def test_worsening_wins_over_improving_whatever_the_names_or_installation_order() -> None:
    rules = [
        Says("a_worsens", Effect.WORSEN, RagColour.RED),
        Says("z_improves", Effect.IMPROVE, RagColour.BLUE),
        Says("m_notes", Effect.NOTE),
    ]
    policy = RagPolicy(may_improve=("*",))
    results = {status(*GREEN_CASE, rules=order, policy=policy) for order in (rules, rules[::-1])}
    assert len(results) == 1
    (result,) = results
    assert result.colour is RagColour.RED
    assert [r.rule for r in result.results] == [
        "progress_pace",
        "z_improves",
        "a_worsens",
        "m_notes",
    ]


def test_a_disabled_plugin_rule_does_not_run() -> None:
    rule = Says("strict", Effect.WORSEN, RagColour.RED)
    policy = RagPolicy(disabled_rules=("strict",))
    assert status(*GREEN_CASE, rules=[rule], policy=policy).colour is RagColour.GREEN


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([Says("x", Effect.NOTE), Says("x", Effect.NOTE)], "two RAG rules are named 'x'"),
        ([Says("complete", Effect.NOTE)], "name of a built-in rule"),
        ([Says("x", Effect.SET, RagColour.RED)], "only built-in rules use"),
        ([Says("x", Effect.WORSEN)], "accepted colours"),
        ([Says("x", Effect.WORSEN, RagColour.NOT_STARTED)], "accepted colours"),
    ],
)
def test_misbehaving_plugin_rules_are_configuration_errors(rules: list[Says], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        status(*GREEN_CASE, rules=rules)


def test_a_failing_plugin_rule_is_named() -> None:
    class Broken:
        name = "broken"

        def evaluate(self, facts: RagFacts) -> RuleOutcome | None:
            raise ZeroDivisionError("oops")

    with pytest.raises(ConfigurationError, match="'broken' failed on objective 'o'"):
        status(*GREEN_CASE, rules=[Broken()])


def test_plugin_rules_do_not_run_before_monitoring() -> None:
    rule = Says("strict", Effect.WORSEN, RagColour.RED)
    result = status(*GREEN_CASE, rules=[rule], phase=CyclePhase.OBJECTIVE_SETTING)
    assert result.colour is RagColour.NOT_STARTED


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"green_margin": Decimal("1.5")}, "green_margin"),
        ({"amber_margin": Decimal("-0.1")}, "amber_margin"),
        ({"green_margin": Decimal("0.3")}, "green_margin"),  # wider than amber
        ({"quiet_days": 0}, "quiet_days"),
        ({"max_override_days": 400}, "max_override_days"),
        ({"min_progress_points": 0}, "min_progress_points"),
        ({"quiet_phases": ("monitoring", "summer")}, "quiet_phases[1]"),
        ({"may_improve": ("",)}, "may_improve[0]"),
    ],
)
def test_a_policy_out_of_range_names_the_field(fields: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RagPolicy(**fields)
    assert caught.value.where == where


def test_policy_limits_are_accepted_at_their_edges() -> None:
    policy = RagPolicy(
        green_margin=Decimal(0), amber_margin=Decimal(1), quiet_days=1, max_override_days=366
    )
    assert policy.quiet_phases == (CyclePhase.MONITORING,)


def an_override(
    colour: RagColour = RagColour.GREEN,
    starts_on: date = HALFWAY,
    expires_on: date = HALFWAY + timedelta(days=30),
    ended_on: date | None = None,
    oid: str = "ov1",
) -> RagOverride:
    return RagOverride(
        id=oid,
        trust_id=T,
        school_id=S,
        objective_id=ObjectiveId("o"),
        appraisee_id=StaffId("amy"),
        colour=colour,
        reason="Observation on 12 Nov showed hinge questions in use",
        starts_on=starts_on,
        expires_on=expires_on,
        set_by="apr",
        set_at=AT,
        ended_on=ended_on,
    )


@pytest.mark.parametrize(("days", "accepted"), [(0, True), (90, True), (91, False), (-1, False)])
def test_an_override_lasts_at_most_90_days(days: int, accepted: bool) -> None:
    problems = override_problems(
        RagColour.GREEN, "reason", HALFWAY, HALFWAY + timedelta(days=days), DEFAULT_POLICY
    )
    assert (not problems) is accepted
    if not accepted:
        assert problems[0].where == "expires_on"


def test_an_override_needs_a_reason_and_a_colour_on_the_scale() -> None:
    problems = override_problems(RagColour.NOT_STARTED, "  ", HALFWAY, HALFWAY, DEFAULT_POLICY)
    assert [p.where for p in problems] == ["colour", "reason"]


@pytest.mark.parametrize(
    ("on", "colour", "overridden"),
    [
        (HALFWAY - timedelta(days=1), RagColour.AMBER, False),
        (HALFWAY, RagColour.GREEN, True),
        (HALFWAY + timedelta(days=30), RagColour.GREEN, True),  # the expiry day still counts
        (HALFWAY + timedelta(days=31), RagColour.AMBER, False),  # then the computed returns
    ],
)
def test_an_override_sits_beside_the_computed_status_until_it_expires(
    on: date, colour: RagColour, overridden: bool
) -> None:
    computed = status(objective(), two_points("20", on), on=on)
    assert computed.colour in (RagColour.AMBER, RagColour.RED)
    shown = effective_status(computed, [an_override()])
    assert shown.overridden is overridden
    assert shown.computed is computed
    if overridden:
        assert shown.colour is colour
    else:
        assert shown.colour is computed.colour


def test_an_override_ended_early_stops_on_that_day() -> None:
    ended = an_override(ended_on=HALFWAY + timedelta(days=3))
    assert ended.active_on(HALFWAY + timedelta(days=2))
    assert not ended.active_on(HALFWAY + timedelta(days=3))
    assert not ended.expired_by(HALFWAY + timedelta(days=40))


def test_the_latest_of_overlapping_overrides_is_in_force() -> None:
    first = an_override(RagColour.GREEN, oid="a")
    second = attrs.evolve(an_override(RagColour.RED, oid="b"), set_at=AT + timedelta(hours=1))
    assert active_override([second, first], HALFWAY) is second


def test_the_timeline_is_recomputed_day_by_day_with_transitions_and_overrides() -> None:
    obj = objective(milestones=[Milestone("Observation", date(2026, 11, 2), "m1")])
    progress = [
        update("0", START),
        update("20", date(2026, 10, 5)),
        update("45", date(2026, 11, 9)),
    ]
    override = an_override(
        RagColour.GREEN, starts_on=date(2026, 11, 10), expires_on=date(2026, 11, 12)
    )
    spans = timeline(
        obj,
        progress,
        [],
        cycle(),
        WEEKDAYS,
        DEFAULT_POLICY,
        date(2026, 10, 1),
        date(2026, 11, 20),
        overrides=[override],
    )
    assert spans[0].starts_on == date(2026, 10, 1)
    assert spans[-1].ends_on == date(2026, 11, 20)
    assert all(b.starts_on == a.ends_on + timedelta(days=1) for a, b in pairwise(spans))
    on_override = [s for s in spans if s.override_id == "ov1"]
    assert [(s.starts_on, s.ends_on) for s in on_override] == [
        (date(2026, 11, 10), date(2026, 11, 12))
    ]
    changes = transitions(spans)
    assert changes, "the milestone falling overdue changes the colour"
    for change in changes:
        assert change.before is not change.after
        assert change.event == f"rag.turned_{change.after.value}"
    # recomputing a single day gives the colour the timeline shows for it
    for span in spans:
        again = status(obj, progress, on=span.starts_on)
        assert again == span.first
    assert (
        timeline(
            obj,
            progress,
            [],
            cycle(),
            WEEKDAYS,
            DEFAULT_POLICY,
            date(2026, 10, 1),
            date(2026, 11, 20),
            overrides=[override],
        )
        == spans
    )
