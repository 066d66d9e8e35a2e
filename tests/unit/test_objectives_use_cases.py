"""Appraisal use cases on the facade (in-memory store): cycles, appraisers, objectives,
progress, with their permissions, validation paths, audit entries and events."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from cpdcore import Actor, Cpd, NotFound, PermissionDenied, Role, RoleAssignment, ValidationError
from cpdcore.app import ActingCpd
from cpdcore.clocks import FixedClock
from cpdcore.domain.cycles import AppraisalCycle, CyclePhase, PhaseNotOpen, TransitionNotAllowed
from cpdcore.domain.events import Event
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    MeasureUnit,
    Milestone,
    ObjectiveCategory,
    ObjectiveStatus,
    ObjectiveTerms,
    Outcome,
    SuccessCriterion,
)
from cpdcore.domain.organisation import StaffMember
from cpdcore.hookspecs import hookimpl
from cpdcore.serialization import to_dict

T = TrustId("t")
NORTH = SchoolId("north")
SOUTH = SchoolId("south")
YEAR = "2026-27"


class EventRecorder:
    """A host plugin keeping every event dispatched after commit."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    @hookimpl
    def cpdcore_event(self, event: Event) -> None:
        self.events.append(event)

    def names(self) -> list[str]:
        return [e.name for e in self.events]


class World:
    """A trust with two schools, leaders, an appraiser and two teachers."""

    def __init__(self) -> None:
        self.clock = FixedClock(datetime(2026, 9, 1, 8, tzinfo=UTC))
        self.recorder = EventRecorder()
        self.cpd = Cpd.open(
            "memory://", clock=self.clock, plugins=[self.recorder], entry_points=False
        )
        admin = self.cpd.as_actor(Actor.system(T, "set-up"))
        admin.set_up_trust("Trust")
        admin.add_school("North", school_id=NORTH)
        admin.add_school("South", school_id=SOUTH)
        self.people: dict[str, StaffMember] = {}
        for key, roles in {
            "ceo": [RoleAssignment(Role.TRUST_LEADER)],
            "head": [RoleAssignment(Role.SCHOOL_LEADER, NORTH)],
            "shead": [RoleAssignment(Role.SCHOOL_LEADER, SOUTH)],
            "apr": [RoleAssignment(Role.APPRAISER, NORTH)],
            "apr2": [RoleAssignment(Role.APPRAISER, NORTH)],
            "amy": [RoleAssignment(Role.APPRAISEE, NORTH)],
            "bob": [RoleAssignment(Role.APPRAISEE, NORTH)],
        }.items():
            self.people[key] = admin.add_staff(key.title(), "X", roles=roles, staff_id=StaffId(key))

    def act(self, key: str) -> ActingCpd:
        return self.cpd.as_actor(Actor.for_staff(self.people[key]))

    def on(self, day: date) -> None:
        self.clock.set(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))

    def open_cycle(self) -> AppraisalCycle:
        cycle = self.act("ceo").open_cycle(YEAR)
        self.act("ceo").add_sip_priority("SIP1", "Reading", YEAR)
        self.act("head").assign_appraiser(StaffId("amy"), StaffId("apr"), YEAR)
        self.act("head").assign_appraiser(StaffId("bob"), StaffId("apr"), YEAR)
        return self.act("ceo").advance_cycle(cycle.id, CyclePhase.OBJECTIVE_SETTING)


def terms(
    title: str = "Hinge questions", weight: str | None = None, **extra: Any
) -> ObjectiveTerms:
    values: dict[str, Any] = {
        "title": title,
        "category": ObjectiveCategory.TEACHING_PRACTICE,
        "starts_on": date(2026, 9, 15),
        "due_on": date(2027, 5, 28),
        "success_criteria": (
            SuccessCriterion("Correct answers", MeasureUnit.PERCENTAGE, Decimal(80), Decimal(55)),
        ),
        "standards": ("TS4",),
        "sip_priorities": ("SIP1",),
        "weight": None if weight is None else Decimal(weight),
        "milestones": (Milestone("First observation", date(2026, 11, 20)),),
    }
    values.update(extra)
    return ObjectiveTerms(**values)


@pytest.fixture
def world() -> World:
    return World()


def agreed_pair(world: World, cycle: AppraisalCycle) -> list[Any]:
    amy = world.act("amy")
    made = [
        amy.create_objective(cycle.id, terms("A", "60"), propose=True),
        amy.create_objective(cycle.id, terms("B", "40"), propose=True),
    ]
    return [world.act("apr").agree_objective(o.id) for o in made]


# Cycles ------------------------------------------------------------------------------------
def test_trust_leaders_open_trust_cycles_and_schools_inherit_them(world: World) -> None:
    cycle = world.open_cycle()
    assert cycle.school_id is None
    assert world.act("head").cycle_for(SOUTH, YEAR).id == cycle.id
    own = world.act("head").open_cycle(YEAR, school_id=NORTH)
    assert world.act("head").cycle_for(NORTH, YEAR).id == own.id
    assert world.act("head").cycle_for(SOUTH, YEAR).id == cycle.id
    assert "cycle.opened" in world.recorder.names()


def test_opening_cycles_needs_the_right_leader(world: World) -> None:
    with pytest.raises(PermissionDenied, match="trust_leader"):
        world.act("head").open_cycle(YEAR)
    with pytest.raises(PermissionDenied, match="school_leader"):
        world.act("shead").open_cycle(YEAR, school_id=NORTH)
    with pytest.raises(PermissionDenied):
        world.act("amy").open_cycle(YEAR, school_id=NORTH)


def test_one_cycle_per_scope_and_year(world: World) -> None:
    world.act("ceo").open_cycle(YEAR)
    with pytest.raises(ValidationError, match="already has cycle"):
        world.act("ceo").open_cycle(YEAR)


def test_illegal_phase_moves_raise_and_change_nothing(world: World) -> None:
    cycle = world.open_cycle()
    with pytest.raises(TransitionNotAllowed, match="allowed next: monitoring"):
        world.act("ceo").advance_cycle(cycle.id, CyclePhase.FINAL_REVIEW)
    assert world.act("ceo").cycle(cycle.id).phase is CyclePhase.OBJECTIVE_SETTING


def test_late_phase_moves_are_allowed_flagged_audited_and_announced(world: World) -> None:
    cycle = world.open_cycle()
    world.on(date(2026, 11, 12))
    moved = world.act("ceo").advance_cycle(cycle.id, "monitoring")
    assert moved.history[-1].late
    event = world.recorder.events[-1]
    assert (event.name, event.data["late"]) == ("cycle.phase_changed", "true")
    with world.cpd.storage.unit_of_work() as uow:
        last = uow.audit.last(T)
    assert last is not None
    assert last.payload["late"] is True


# Line management ---------------------------------------------------------------------------
def test_changing_appraiser_mid_cycle_keeps_the_history(world: World) -> None:
    world.open_cycle()
    head = world.act("head")
    head.change_appraiser(StaffId("amy"), StaffId("apr2"), on=date(2027, 1, 4))
    history = head.appraiser_history(StaffId("amy"), YEAR)
    assert [(a.appraiser_id, a.ends_on) for a in history] == [
        ("apr", date(2027, 1, 3)),
        ("apr2", None),
    ]
    assert head.current_appraiser(StaffId("amy"), date(2026, 12, 1)) == "apr"
    assert head.current_appraiser(StaffId("amy"), date(2027, 2, 1)) == "apr2"
    with pytest.raises(ValidationError, match="change_appraiser"):
        head.assign_appraiser(StaffId("amy"), StaffId("apr"), YEAR)


def test_only_leaders_assign_appraisers(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.act("amy").assign_appraiser(StaffId("bob"), StaffId("amy"), YEAR)
    with pytest.raises(PermissionDenied):
        world.act("shead").assign_appraiser(StaffId("bob"), StaffId("apr"), YEAR)


# Objectives --------------------------------------------------------------------------------
def test_appraisee_proposes_and_current_appraiser_agrees(world: World) -> None:
    cycle = world.open_cycle()
    first, second = agreed_pair(world, cycle)
    assert first.status is ObjectiveStatus.AGREED
    assert second.status is ObjectiveStatus.AGREED
    assert world.recorder.names().count("objective.agreed") == 2
    assert world.cpd.verify_audit(T) == []


def test_agreement_completes_only_for_a_valid_set(world: World) -> None:
    cycle = world.open_cycle()
    lonely = world.act("amy").create_objective(cycle.id, terms("Only one"), propose=True)
    with pytest.raises(ValidationError) as info:
        world.act("apr").agree_objective(lonely.id)
    assert info.value.where == "objectives"
    assert "at least 2" in str(info.value)
    assert world.act("amy").objective(lonely.id).status is ObjectiveStatus.PROPOSED


def test_weights_not_summing_to_100_are_refused_at_agreement(world: World) -> None:
    cycle = world.open_cycle()
    amy = world.act("amy")
    a = amy.create_objective(cycle.id, terms("A", "70"), propose=True)
    amy.create_objective(cycle.id, terms("B", "40"), propose=True)
    with pytest.raises(ValidationError, match="sum to 100") as info:
        world.act("apr").agree_objective(a.id)
    assert info.value.where == "objectives"


def test_the_maximum_number_of_objectives_is_enforced(world: World) -> None:
    cycle = world.open_cycle()
    amy = world.act("amy")
    for n in range(5):
        amy.create_objective(cycle.id, terms(f"O{n}"))
    with pytest.raises(ValidationError, match="the most it allows"):
        amy.create_objective(cycle.id, terms("One too many"))


def test_others_cannot_agree_or_act_on_someone_elses_objectives(world: World) -> None:
    cycle = world.open_cycle()
    objective = world.act("amy").create_objective(cycle.id, terms(), propose=True)
    for key in ("bob", "apr2", "head"):
        with pytest.raises(PermissionDenied, match="current appraiser"):
            world.act(key).agree_objective(objective.id)


def test_appraiser_changed_mid_cycle_loses_and_gains_the_right_to_agree(world: World) -> None:
    cycle = world.open_cycle()
    objective, _ = (
        world.act("amy").create_objective(cycle.id, terms(n), propose=True) for n in "AB"
    )
    world.act("head").change_appraiser(StaffId("amy"), StaffId("apr2"), on=date(2026, 9, 10))
    world.on(date(2026, 9, 12))
    with pytest.raises(PermissionDenied):
        world.act("apr").agree_objective(objective.id)
    assert world.act("apr2").agree_objective(objective.id).status is ObjectiveStatus.AGREED


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"standards": ["TS4", "TS11"]}, "standards[1]"),
        ({"sip_priorities": ["NOPE"]}, "sip_priorities[0]"),
        ({"due_on": "2027-09-30"}, "due_on"),
        (
            {"milestones": [{"description": "After the end", "due_on": "2027-09-01"}]},
            "milestones[0].due_on",
        ),
        (
            {
                "success_criteria": [
                    {"description": "a", "unit": "score", "target": "5", "weight": "50"},
                    {"description": "b", "unit": "score", "target": "5", "weight": "20"},
                ]
            },
            "success_criteria",
        ),
        ({"category": "gardening"}, "category"),
    ],
)
def test_bad_input_from_a_form_gives_the_field_path(
    world: World, change: dict[str, Any], where: str
) -> None:
    cycle = world.open_cycle()
    data = to_dict(terms())
    data.pop("schema_version")
    data.update(change)
    with pytest.raises(ValidationError) as info:
        world.act("amy").create_objective(cycle.id, data)
    assert where in [p.where for p in info.value.problems], info.value.problems


def test_editing_an_agreed_objective_needs_fresh_agreement(world: World) -> None:
    cycle = world.open_cycle()
    first, _second = agreed_pair(world, cycle)
    edited = world.act("amy").edit_objective(
        first.id, terms("A, now Years 8 and 9", "60"), note="wider scope"
    )
    assert edited.status is ObjectiveStatus.PROPOSED
    assert edited.history[-1].changed == ("title",)
    assert world.recorder.events[-1].name == "objective.changed"
    again = world.act("apr").agree_objective(first.id)
    assert again.status is ObjectiveStatus.AGREED


def test_objective_work_is_refused_outside_its_phases(world: World) -> None:
    cycle = world.act("ceo").open_cycle(YEAR)
    world.act("head").assign_appraiser(StaffId("amy"), StaffId("apr"), YEAR)
    with pytest.raises(PhaseNotOpen, match="objective_setting"):
        world.act("amy").create_objective(cycle.id, terms(sip_priorities=()))


def test_late_agreement_is_allowed_and_flagged(world: World) -> None:
    cycle = world.open_cycle()
    amy = world.act("amy")
    made = [amy.create_objective(cycle.id, terms(n), propose=True) for n in "AB"]
    world.on(date(2026, 11, 3))
    world.act("ceo").advance_cycle(cycle.id, CyclePhase.MONITORING)
    agreed = world.act("apr").agree_objective(made[0].id)
    assert agreed.history[-1].late
    assert world.recorder.events[-1].data["late"] == "true"


def test_progress_starts_the_objective_and_is_validated(world: World) -> None:
    cycle = world.open_cycle()
    first, _ = agreed_pair(world, cycle)
    world.on(date(2026, 11, 20))
    update = world.act("amy").record_progress(first.id, "c1", "64", note="exit tickets")
    assert update.value == Decimal(64)
    assert update.recorded_by == "amy"
    assert world.act("amy").objective(first.id).status is ObjectiveStatus.IN_PROGRESS
    with pytest.raises(ValidationError) as info:
        world.act("amy").record_progress(first.id, "c1", "140")
    assert info.value.where == "value"
    with pytest.raises(ValidationError, match="accepted: c1"):
        world.act("apr").record_progress(first.id, "c9", 1)
    with pytest.raises(ValidationError, match="decimal"):
        world.act("amy").record_progress(first.id, "c1", "lots")
    assert [u.value for u in world.act("apr").progress_updates(first.id)] == [Decimal(64)]


def test_outcomes_only_by_the_appraiser_in_final_review(world: World) -> None:
    cycle = world.open_cycle()
    first, _ = agreed_pair(world, cycle)
    with pytest.raises(PhaseNotOpen):
        world.act("apr").review_objective(first.id, Outcome.MET)
    ceo = world.act("ceo")
    for phase in ("monitoring", "mid_year_review", "final_review"):
        ceo.advance_cycle(cycle.id, phase)
    with pytest.raises(PermissionDenied, match="appraiser"):
        world.act("amy").review_objective(first.id, Outcome.MET)
    reviewed = world.act("apr").review_objective(first.id, "partly_met", note="close")
    assert (reviewed.status, reviewed.outcome) == (ObjectiveStatus.REVIEWED, Outcome.PARTLY_MET)
    assert world.recorder.events[-1].name == "objective.reviewed"


def test_withdrawal_and_milestones(world: World) -> None:
    cycle = world.open_cycle()
    first, second = agreed_pair(world, cycle)
    done = world.act("amy").complete_milestone(first.id, "m1", done_on=date(2026, 11, 18))
    assert done.milestones_done[0].done_on == date(2026, 11, 18)
    gone = world.act("amy").withdraw_objective(second.id, "changed role")
    assert gone.status is ObjectiveStatus.WITHDRAWN
    with pytest.raises(ValidationError, match="reason"):
        world.act("amy").withdraw_objective(first.id, "")


def test_readers_are_the_appraisee_their_appraiser_and_leaders(world: World) -> None:
    cycle = world.open_cycle()
    first, _ = agreed_pair(world, cycle)
    assert world.act("head").objective(first.id).id == first.id
    assert len(world.act("apr").objectives(appraisee_id=StaffId("amy"))) == 2
    with pytest.raises(PermissionDenied):
        world.act("bob").objective(first.id)
    with pytest.raises(PermissionDenied):
        world.act("shead").objectives(appraisee_id=StaffId("amy"))


def test_failed_use_cases_leave_nothing_behind(world: World) -> None:
    cycle = world.open_cycle()
    before = len(world.recorder.events)
    with pytest.raises(ValidationError):
        world.act("amy").create_objective(
            cycle.id, terms(standards=()), propose=True, school_id=SOUTH
        )
    assert world.act("amy").objectives() == []
    assert len(world.recorder.events) == before
    with pytest.raises(NotFound):
        world.act("amy").objective("missing")  # type: ignore[arg-type]
