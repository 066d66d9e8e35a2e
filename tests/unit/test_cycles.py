"""Appraisal cycles: the phase state machine, windows, lateness and inheritance."""

from __future__ import annotations

from datetime import UTC, date, datetime

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from cpdcore.domain.cycles import (
    CYCLE_TRANSITIONS,
    AppraisalCycle,
    CyclePhase,
    PhaseNotOpen,
    PhaseWindow,
    TransitionNotAllowed,
    advance,
    cycle_for_school,
    default_windows,
    require_phase,
)
from cpdcore.domain.identifiers import CycleId, SchoolId, TrustId
from cpdcore.errors import CpdError, ValidationError
from cpdcore.serialization import from_dict, to_dict

P = CyclePhase
AT = datetime(2026, 9, 1, 8, tzinfo=UTC)


def make_cycle(**overrides: object) -> AppraisalCycle:
    values: dict[str, object] = {
        "id": CycleId("c1"),
        "trust_id": TrustId("t"),
        "name": "Appraisal 2026-27",
        "academic_year": "2026-27",
        "starts_on": date(2026, 9, 1),
        "ends_on": date(2027, 8, 31),
        "windows": default_windows("2026-27"),
    }
    values.update(overrides)
    return AppraisalCycle(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (P.PLANNING, P.OBJECTIVE_SETTING),
        (P.OBJECTIVE_SETTING, P.MONITORING),
        (P.MONITORING, P.MID_YEAR_REVIEW),
        (P.MID_YEAR_REVIEW, P.FINAL_REVIEW),
        (P.FINAL_REVIEW, P.CLOSED),
    ],
)
def test_each_phase_moves_to_the_next(current: CyclePhase, target: CyclePhase) -> None:
    cycle = make_cycle()
    while cycle.phase is not current:
        cycle = advance(cycle, next(iter(CYCLE_TRANSITIONS[cycle.phase])), at=AT, by="lead")
    moved = advance(cycle, target, at=AT, by="lead")
    assert moved.phase is target
    assert moved.history[-1].from_phase is current


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (P.PLANNING, P.MONITORING),
        (P.PLANNING, P.CLOSED),
        (P.MONITORING, P.OBJECTIVE_SETTING),
        (P.FINAL_REVIEW, P.MID_YEAR_REVIEW),
        (P.PLANNING, P.PLANNING),
    ],
)
def test_illegal_moves_name_the_allowed_ones(current: CyclePhase, target: CyclePhase) -> None:
    cycle = make_cycle()
    while cycle.phase is not current:
        cycle = advance(cycle, next(iter(CYCLE_TRANSITIONS[cycle.phase])), at=AT, by="lead")
    with pytest.raises(TransitionNotAllowed) as info:
        advance(cycle, target, at=AT, by="lead")
    nxt = next(iter(CYCLE_TRANSITIONS[current]))
    assert nxt.value in str(info.value)
    assert info.value.allowed == (nxt.value,)
    assert isinstance(info.value, CpdError)


def test_closed_is_final() -> None:
    cycle = make_cycle()
    for phase in list(P)[1:]:
        cycle = advance(cycle, phase, at=AT, by="lead")
    with pytest.raises(TransitionNotAllowed, match="final"):
        advance(cycle, P.PLANNING, at=AT, by="lead")


def test_leaving_a_phase_after_its_window_is_allowed_but_flagged_late() -> None:
    cycle = advance(make_cycle(), P.OBJECTIVE_SETTING, at=AT, by="lead")
    late_day = datetime(2026, 11, 15, 9, tzinfo=UTC)
    moved = advance(cycle, P.MONITORING, at=late_day, by="lead")
    assert moved.phase is P.MONITORING
    assert moved.history[-1].late
    assert "2026-10-31" in moved.history[-1].reason
    on_time = advance(cycle, P.MONITORING, at=datetime(2026, 10, 20, tzinfo=UTC), by="lead")
    assert not on_time.history[-1].late


def test_window_check_flags_actions_after_the_window() -> None:
    cycle = make_cycle()
    assert not cycle.check_window(P.OBJECTIVE_SETTING, date(2026, 10, 31)).late
    check = cycle.check_window(P.OBJECTIVE_SETTING, date(2026, 11, 1))
    assert check.late
    assert check.window is not None


@pytest.mark.parametrize(
    ("windows", "where"),
    [
        ((PhaseWindow(P.PLANNING, date(2026, 9, 1), date(2026, 9, 5)),), "windows[0].phase"),
        ((PhaseWindow(P.MONITORING, date(2026, 8, 1), date(2026, 9, 5)),), "windows[0]"),
        (
            (
                PhaseWindow(P.MONITORING, date(2026, 11, 1), date(2026, 12, 5)),
                PhaseWindow(P.OBJECTIVE_SETTING, date(2026, 9, 1), date(2026, 9, 5)),
            ),
            "windows[1]",
        ),
    ],
)
def test_bad_windows_are_rejected_with_their_path(
    windows: tuple[PhaseWindow, ...], where: str
) -> None:
    with pytest.raises(ValidationError) as info:
        make_cycle(windows=windows)
    assert where in [p.where for p in info.value.problems]


def test_window_closing_before_it_opens_is_rejected() -> None:
    with pytest.raises(ValidationError, match="closes_on"):
        PhaseWindow(P.MONITORING, date(2026, 12, 1), date(2026, 11, 1))


def test_require_phase_names_the_phases_where_it_is_possible() -> None:
    cycle = make_cycle()
    with pytest.raises(PhaseNotOpen, match="final_review"):
        require_phase(cycle, [P.FINAL_REVIEW], "recording an outcome")
    require_phase(cycle, [P.PLANNING], "planning")


def test_schools_inherit_the_trust_cycle_unless_they_have_their_own() -> None:
    trust_cycle = make_cycle(id=CycleId("trust"))
    own = make_cycle(id=CycleId("own"), school_id=SchoolId("north"))
    other_year = make_cycle(
        id=CycleId("next"),
        academic_year="2027-28",
        starts_on=date(2027, 9, 1),
        ends_on=date(2028, 8, 31),
        windows=(),
    )
    cycles = [trust_cycle, own, other_year]
    assert cycle_for_school(cycles, SchoolId("north"), "2026-27") == own
    assert cycle_for_school(cycles, SchoolId("south"), "2026-27") == trust_cycle
    assert cycle_for_school(cycles, SchoolId("south"), "2025-26") is None
    assert trust_cycle.applies_to(SchoolId("south"))
    assert not own.applies_to(SchoolId("south"))


@given(st.lists(st.sampled_from(list(P)), max_size=12))
def test_random_moves_only_ever_follow_the_transition_table(moves: list[CyclePhase]) -> None:
    cycle = make_cycle()
    for target in moves:
        before = cycle.phase
        try:
            cycle = advance(cycle, target, at=AT, by="lead")
        except TransitionNotAllowed:
            assert target not in CYCLE_TRANSITIONS[before]
            assert cycle.phase is before
        else:
            assert target in CYCLE_TRANSITIONS[before]
    phases = [P.PLANNING, *(c.to_phase for c in cycle.history)]
    assert phases == list(P)[: len(phases)]


class CycleMachine(RuleBasedStateMachine):
    """Drive a cycle with random (often illegal) moves; it never leaves the ladder."""

    def __init__(self) -> None:
        super().__init__()
        self.cycle = make_cycle()

    @rule(phase=st.sampled_from(list(P)), day=st.dates(date(2026, 9, 1), date(2027, 8, 31)))
    def move(self, phase: CyclePhase, day: date) -> None:
        at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        if phase in CYCLE_TRANSITIONS[self.cycle.phase]:
            self.cycle = advance(self.cycle, phase, at=at, by="lead")
        else:
            with pytest.raises(TransitionNotAllowed):
                advance(self.cycle, phase, at=at, by="lead")

    @invariant()
    def phase_matches_history_and_order(self) -> None:
        order = list(P)
        assert len(self.cycle.history) == order.index(self.cycle.phase)
        for change in self.cycle.history:
            assert order.index(change.to_phase) == order.index(change.from_phase) + 1

    @invariant()
    def survives_a_serialization_round_trip(self) -> None:
        assert from_dict(AppraisalCycle, to_dict(self.cycle)) == self.cycle


TestCycleMachine = CycleMachine.TestCase
TestCycleMachine.settings = settings(max_examples=40, stateful_step_count=15, deadline=None)
