"""The review pack: what it collates, what it must leave out, and how it renders."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import hypothesis.strategies as st
import pytest
from hypothesis import given

from cpdcore import Actor, Cpd, PermissionDenied, Role, RoleAssignment
from cpdcore.app import ActingCpd
from cpdcore.clocks import FixedClock
from cpdcore.domain.cycles import AppraisalCycle, CyclePhase, default_windows
from cpdcore.domain.evidence import Evidence, EvidenceKind, EvidencePurpose
from cpdcore.domain.identifiers import CycleId, EvidenceId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    MeasureUnit,
    Milestone,
    MilestoneState,
    ObjectiveCategory,
    ObjectiveTerms,
    Party,
    SuccessCriterion,
)
from cpdcore.domain.review_meetings import ReviewComment, ReviewStage
from cpdcore.domain.review_pack import ReviewPack, build_review_pack
from cpdcore.serialization import from_dict, to_dict
from cpdcore.services.reports import render_review_pack_html

T = TrustId("t")
NORTH = SchoolId("north")
YEAR = "2026-27"
AT = datetime(2026, 10, 1, 9, tzinfo=UTC)
CYCLE = AppraisalCycle(
    id=CycleId("c1"),
    trust_id=T,
    name="2026-27",
    academic_year=YEAR,
    starts_on=date(2026, 9, 1),
    ends_on=date(2027, 8, 31),
    windows=default_windows(YEAR),
)


def evidence(n: int, released: bool) -> Evidence:
    return Evidence(
        id=EvidenceId(f"e{n}"),
        trust_id=T,
        school_id=NORTH,
        owner_id=StaffId("amy"),
        author_id="amy",
        kind=EvidenceKind.REFLECTION,
        title=f"Item {n}",
        captured_on=date(2026, 10, 1),
        recorded_at=AT,
        text=f"text {n}",
        purpose=EvidencePurpose.FORMAL,
        appraisal_evidence=released,
    )


def comment(stage: ReviewStage, text: str) -> ReviewComment:
    return ReviewComment(
        id=text,
        trust_id=T,
        school_id=NORTH,
        cycle_id=CYCLE.id,
        appraisee_id=StaffId("amy"),
        stage=stage,
        party=Party.APPRAISER,
        author_id="hal",
        text=text,
        written_at=AT,
    )


def pack_of(items: list[Evidence], comments: list[ReviewComment], stage: ReviewStage) -> ReviewPack:
    return build_review_pack(
        appraisee_id="amy",
        appraisee_name="Amy X",
        appraiser_name="Hal X",
        school_name="North",
        cycle=CYCLE,
        stage=stage,
        as_of=date(2027, 2, 10),
        objectives=[],
        progress=[],
        evidence=items,
        activities=[],
        comments=comments,
        sip_priorities={},
        names={"hal": "Hal X"},
    )


@given(st.lists(st.booleans(), max_size=10))
def test_the_pack_holds_exactly_the_released_evidence(flags: list[bool]) -> None:
    items = [evidence(n, flag) for n, flag in enumerate(flags)]
    pack = pack_of(items, [], ReviewStage.MID_YEAR)
    shown = {e.evidence_id for e in pack.other_evidence}
    assert shown == {e.id for e in items if e.appraisal_evidence}
    html = render_review_pack_html(pack)
    for item in items:
        assert (f">{item.title}<" in html) == item.appraisal_evidence


def test_a_mid_year_pack_never_shows_final_review_comments() -> None:
    comments = [comment(ReviewStage.MID_YEAR, "mid"), comment(ReviewStage.FINAL, "final")]
    assert [c.text for c in pack_of([], comments, ReviewStage.MID_YEAR).comments] == ["mid"]
    assert len(pack_of([], comments, ReviewStage.FINAL).comments) == 2


def test_user_text_is_escaped_in_html() -> None:
    pack = pack_of(
        [evidence(2, True)],
        [comment(ReviewStage.MID_YEAR, "<script>alert('x')</script>")],
        ReviewStage.MID_YEAR,
    )
    html = render_review_pack_html(pack)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


class World:
    def __init__(self) -> None:
        self.clock = FixedClock(datetime(2026, 9, 1, 8, tzinfo=UTC))
        self.cpd = Cpd.open("memory://", clock=self.clock, entry_points=False)
        admin = self.cpd.as_actor(Actor.system(T, "set-up"))
        admin.set_up_trust("Trust")
        admin.add_school("North", school_id=NORTH)
        self.people = {
            key: admin.add_staff(
                key.title(), "X", roles=[RoleAssignment(role, NORTH)], staff_id=StaffId(key)
            )
            for key, role in [
                ("amy", Role.APPRAISEE),
                ("bob", Role.APPRAISEE),
                ("hal", Role.SCHOOL_LEADER),
            ]
        }
        admin.add_staff(
            "Ceo", "X", roles=[RoleAssignment(Role.TRUST_LEADER)], staff_id=StaffId("ceo")
        )
        self.ceo = self.cpd.as_actor(
            Actor(trust_id=T, staff_id=StaffId("ceo"), roles=(RoleAssignment(Role.TRUST_LEADER),))
        )

    def act(self, key: str) -> ActingCpd:
        return self.cpd.as_actor(Actor.for_staff(self.people[key]))


def objective_terms(title: str) -> ObjectiveTerms:
    return ObjectiveTerms(
        title=title,
        category=ObjectiveCategory.PUPIL_PROGRESS,
        starts_on=date(2026, 9, 15),
        due_on=date(2027, 6, 30),
        success_criteria=(
            SuccessCriterion("Reading age met", MeasureUnit.PERCENTAGE, Decimal(75), Decimal(60)),
        ),
        standards=("TS2",),
        milestones=(Milestone("Interim data drop", date(2026, 12, 1)),),
    )


@pytest.fixture
def world() -> World:
    w = World()
    cycle = w.ceo.open_cycle(YEAR)
    w.ceo.advance_cycle(cycle.id, CyclePhase.OBJECTIVE_SETTING)
    w.act("hal").assign_appraiser(StaffId("amy"), StaffId("hal"), YEAR)
    amy = w.act("amy")
    made = [amy.create_objective(cycle.id, objective_terms(t), propose=True) for t in "AB"]
    for objective in made:
        w.act("hal").agree_objective(objective.id)
    w.clock.set(datetime(2026, 11, 20, 9, tzinfo=UTC))
    amy.record_progress(made[0].id, "c1", "66")
    amy.record_progress(made[0].id, "c1", "70", measured_on=date(2026, 11, 19))
    amy.log_evidence(
        EvidenceKind.REFLECTION,
        "Released",
        text="ok",
        objective_ids=[made[0].id],
        standards=["TS2"],
        appraisal_evidence=True,
    )
    amy.log_evidence(EvidenceKind.REFLECTION, "Kept back", text="private", standards=["TS2"])
    amy.log_cpd("course", "Reading course", date(2026, 10, 5), "3")
    return w


def test_the_facade_pack_collates_latest_progress_evidence_and_cpd(world: World) -> None:
    pack = world.act("hal").review_pack(StaffId("amy"))
    assert pack.appraiser_name == "Hal X"
    first = next(o for o in pack.objectives if o.title == "A")
    criterion = first.criteria[0]
    assert (criterion.latest_value, criterion.measured_on) == (Decimal(66), date(2026, 11, 20))
    assert criterion.fraction_of_target == Decimal(6) / Decimal(15)
    assert [e.title for e in first.evidence] == ["Released"]
    assert pack.cpd.total_hours == Decimal(3)
    assert from_dict(ReviewPack, to_dict(pack)) == pack
    assert "Kept back" not in world.act("hal").review_pack_html(StaffId("amy"))
    assert world.act("amy").review_pack_json(StaffId("amy"))["appraisee_name"] == "Amy X"


def test_only_the_appraisee_appraiser_and_leaders_get_the_pack(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.act("bob").review_pack(StaffId("amy"))
    assert world.ceo.review_pack(StaffId("amy")).appraisee_id == "amy"


def test_milestone_states_in_the_pack_follow_the_date(world: World) -> None:
    def states(day: date) -> set[MilestoneState]:
        pack = world.act("amy").review_pack(StaffId("amy"), as_of=day)
        return {m.state for o in pack.objectives for m in o.milestones}

    assert states(date(2026, 11, 25)) == {MilestoneState.DUE}
    assert states(date(2027, 2, 1)) == {MilestoneState.OVERDUE}


def test_portfolio_through_the_facade_hides_unreleased_items_from_others(world: World) -> None:
    own = world.act("amy").portfolio()
    seen_by_appraiser = world.act("hal").portfolio(StaffId("amy"))
    assert own.years[0].cpd_hours == Decimal(3)
    assert sorted(o.title for o in seen_by_appraiser.years[0].objectives) == ["A", "B"]
    assert sorted(i.title for s in own.evidence_by_standard for i in s.items) == [
        "Kept back",
        "Released",
    ]
    assert [i.title for s in seen_by_appraiser.evidence_by_standard for i in s.items] == [
        "Released"
    ]
    with pytest.raises(PermissionDenied):
        world.act("bob").portfolio(StaffId("amy"))
