"""Alignment with school priorities: facts per person and priority, terms, suppression of
small groups through the aggregation use case, and the trend correlation on the facade."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from cpdcore import Actor, Cpd, Role, RoleAssignment
from cpdcore.aggregation_io import SqliteQueryLedger
from cpdcore.app import ActingCpd
from cpdcore.clocks import FixedClock
from cpdcore.domain.alignment import (
    AlignmentActivity,
    alignment_facts,
    term_of,
)
from cpdcore.domain.calendar import TermName
from cpdcore.domain.cpd_activities import CpdActivity, CpdKind
from cpdcore.domain.identifiers import ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    Objective,
    ObjectiveCategory,
    ObjectiveStatus,
    ObjectiveTerms,
)
from cpdcore.domain.observations import Observation, ObservationFocus
from cpdcore.domain.roster import OutcomeAggregate, TeachingLink
from cpdcore.domain.video_clubs import ClubSession, Insight, SessionStatus, VideoClub
from cpdcore.errors import PermissionDenied, ValidationError

T = TrustId("t")
NORTH = SchoolId("north")
AT = datetime(2026, 11, 3, 16, tzinfo=UTC)
LINKS = {("north", "oracy"): ("SIP-ORACY",)}


def obs(index: int, focus: str = "oracy") -> Observation:
    return Observation(
        id=f"o{index}",
        trust_id=T,
        school_id=NORTH,
        observer_id=StaffId(f"obs{index}"),
        teacher_id=StaffId(f"t{index}"),
        focus_code=focus,
        observed_on=date(2026, 11, 2),
    )


@pytest.mark.parametrize(
    ("day", "term"),
    [
        (date(2026, 9, 1), TermName.AUTUMN),
        (date(2026, 12, 18), TermName.AUTUMN),
        (date(2027, 1, 5), TermName.SPRING),
        (date(2027, 3, 31), TermName.SPRING),
        (date(2027, 4, 20), TermName.SUMMER),
        (date(2027, 7, 20), TermName.SUMMER),
    ],
)
def test_terms_by_month(day: date, term: TermName) -> None:
    assert term_of(day) is term


def test_facts_name_each_person_once_per_activity_and_priority() -> None:
    club = VideoClub(
        id="club",
        trust_id=T,
        school_id=NORTH,
        name="Oracy",
        theme="oracy",
        facilitator_id=StaffId("hod"),
        members=(StaffId("a"), StaffId("b")),
        sip_codes=("SIP-ORACY", "SIP-READ"),
    )
    insight = Insight(
        id="i1",
        what_worked="x",
        why="y",
        how_to_adapt="z",
        by="a",
        written_at=AT,
        sip_codes=("SIP-ORACY",),
    )
    held = ClubSession(
        id="s1",
        trust_id=T,
        school_id=NORTH,
        club_id="club",
        title="S1",
        scheduled_for=AT,
        minutes=45,
        status=SessionStatus.HELD,
        insights=(insight,),
    )
    planned = ClubSession(
        id="s2", trust_id=T, school_id=NORTH, club_id="club", title="S2", scheduled_for=AT
    )
    terms = ObjectiveTerms(
        title="Talk",
        category=ObjectiveCategory.PUPIL_PROGRESS,
        starts_on=date(2026, 9, 15),
        due_on=date(2027, 6, 30),
        sip_priorities=("SIP-ORACY",),
    )
    objective = Objective(
        id=ObjectiveId("ob1"),
        trust_id=T,
        school_id=NORTH,
        cycle_id="c",  # type: ignore[arg-type]
        appraisee_id=StaffId("a"),
        terms=terms,
        status=ObjectiveStatus.PROPOSED,
    )
    draft = Objective(
        id=ObjectiveId("ob2"),
        trust_id=T,
        school_id=NORTH,
        cycle_id="c",  # type: ignore[arg-type]
        appraisee_id=StaffId("b"),
        terms=terms,
    )
    course = CpdActivity(
        id="cpd1",
        trust_id=T,
        school_id=NORTH,
        staff_id=StaffId("a"),
        kind=CpdKind.COURSE,
        title="Voice 21",
        started_on=date(2026, 10, 1),
        hours=Decimal("1.5"),
        objective_ids=(ObjectiveId("ob1"),),
    )
    facts = alignment_facts(
        academic_year="2026-27",
        focus_links=LINKS,
        observations=[obs(1), obs(2, "transitions")],
        clubs=[club],
        sessions=[held, planned],
        objectives=[objective, draft],
        activities=[course],
    )
    by = {(f.activity, f.sip_code, f.person_id): f for f in facts}
    assert {p for a, _c, p in by if a == "observation"} == {"t1", "obs1"}
    club_people = {(c, p) for a, c, p in by if a == "club"}
    assert club_people == {(c, p) for c in ("SIP-ORACY", "SIP-READ") for p in ("hod", "a", "b")}
    assert by[("club", "SIP-ORACY", "a")].minutes == 45
    assert {p for a, _c, p in by if a == "insight"} == {"a"}
    assert {p for a, _c, p in by if a == "objective"} == {"a"}
    assert by[("cpd", "SIP-ORACY", "a")].minutes == 90
    assert {f.term for f in facts} == {"autumn"}
    assert len(facts) == len(by) == len({f.id for f in facts})
    assert alignment_facts(academic_year="2025-26", focus_links=LINKS, observations=[obs(1)]) == []
    with pytest.raises(ValueError, match="activity"):
        attrs.evolve(facts[0], activity="gossip")
    assert {a.value for a in AlignmentActivity} >= {f.activity for f in facts}


def _store(cpd: Cpd, *records: object) -> None:
    with cpd.storage.unit_of_work() as uow:
        for record in records:
            uow.repository(type(record)).add(record)
        uow.commit()


@pytest.fixture
def cpd() -> Cpd:
    clock = FixedClock(datetime(2027, 6, 1, 9, tzinfo=UTC))
    app = Cpd.open("memory://", clock=clock, entry_points=False)
    admin = app.as_actor(Actor.system(T, "set-up"))
    admin.set_up_trust("Trust")
    admin.add_school("North", school_id=NORTH)
    admin.add_staff(
        "Hal", "X", staff_id=StaffId("hal"), roles=[RoleAssignment(Role.SCHOOL_LEADER, NORTH)]
    )
    admin.add_staff(
        "Amy", "X", staff_id=StaffId("amy"), roles=[RoleAssignment(Role.APPRAISEE, NORTH)]
    )
    _store(
        app,
        ObservationFocus(
            id="north:oracy",
            trust_id=T,
            school_id=NORTH,
            code="oracy",
            title="Oracy",
            sip_codes=("SIP-ORACY",),
        ),
        # Twelve observations on oracy (24 people), one on transitions.
        *[obs(i) for i in range(12)],
        obs(99, "transitions"),
    )
    return app


def _leader(cpd: Cpd) -> ActingCpd:
    return cpd.as_actor(Actor.for_staff(cpd.as_actor(Actor.system(T)).staff_member(StaffId("hal"))))


def test_the_report_publishes_large_cells_and_suppresses_small_ones(
    cpd: Cpd, tmp_path: Path
) -> None:
    head = _leader(cpd)
    _store(
        cpd,
        ObservationFocus(
            id="north:transitions",
            trust_id=T,
            school_id=NORTH,
            code="transitions",
            title="Transitions",
            sip_codes=("SIP-BEHAV",),
        ),
    )
    ledger = SqliteQueryLedger(tmp_path / "ledger.sqlite3")
    try:
        report = head.alignment_report("2026-27", school_id=NORTH, ledger=ledger)
    finally:
        ledger.close()
    rows = {(r["sip_code"], r["activity"]): r for r in report.rows()}
    assert rows[("SIP-ORACY", "observation")]["value"] == 25  # 24 people, ONS rounds to 5
    small = rows[("SIP-BEHAV", "observation")]
    assert small["value"] is None and small["flag"] == "c"
    assert "c" in report.render_text()


def test_teachers_never_get_the_report(cpd: Cpd) -> None:
    amy = cpd.as_actor(Actor.system(T)).staff_member(StaffId("amy"))
    with pytest.raises(PermissionDenied):
        cpd.as_actor(Actor.for_staff(amy)).alignment_report("2026-27")


def _outcomes(
    cpd: Cpd, effect: float, *, took_part: int, seed: int = 5
) -> tuple[date, list[object]]:
    """24 classes, each taught by its own teacher; teachers t0..t{took_part-1} were
    observed on oracy (``obs``), and their classes moved by ``effect`` after the cut-over."""
    rng = random.Random(seed)
    cutover = date(2027, 1, 4)
    records: list[object] = []
    for index in range(24):
        group = f"c{index}"
        records.append(
            TeachingLink(
                id=f"{group}/t{index}",
                trust_id=T,
                school_id=NORTH,
                staff_id=StaffId(f"t{index}"),
                class_id=group,
            )
        )
        level = rng.uniform(0.5, 2.0)
        for week in range(-6, 6):
            day = cutover + timedelta(weeks=week)
            shift = effect if index < took_part and week >= 0 else 0.0
            incidents = max(0, round((level + shift + rng.gauss(0, 0.1)) * 30))
            records.append(
                OutcomeAggregate(
                    id=OutcomeAggregate.key(NORTH, "class", group, day),
                    trust_id=T,
                    school_id=NORTH,
                    group_type="class",
                    group_id=group,
                    week_start=day,
                    pupils=30,
                    behaviour_incidents=incidents,
                    reward_points=0,
                    homework_set=0,
                    homework_completed=0,
                )
            )
    return cutover, records


def test_trend_correlation_on_the_facade_recovers_a_planted_effect(cpd: Cpd) -> None:
    cutover, records = _outcomes(cpd, -0.5, took_part=12)
    _store(cpd, *records)
    head = _leader(cpd)
    summary = head.trend_correlation(
        focus="oracy", cutover=cutover, since=date(2026, 9, 1), until=date(2027, 3, 1)
    )
    assert summary.treated.groups == 12 and summary.comparison.groups == 12
    assert summary.ci_low <= -0.5 <= summary.ci_high < 0
    by_priority = head.trend_correlation(
        sip_priority="SIP-ORACY", cutover=cutover, since=date(2026, 9, 1), until=date(2027, 3, 1)
    )
    assert by_priority.estimate == pytest.approx(summary.estimate)
    with pytest.raises(ValidationError, match="exactly one"):
        head.trend_correlation(cutover=cutover, since=date(2026, 9, 1), until=date(2027, 3, 1))


def test_trend_correlation_is_suppressed_when_few_teachers_took_part(cpd: Cpd) -> None:
    cutover, records = _outcomes(cpd, -0.5, took_part=2)
    # Only two of the observed teachers teach a class with outcomes.
    gone = {f"t{i}" for i in range(2, 12)}
    _store(cpd, *[r for r in records if not (isinstance(r, TeachingLink) and r.staff_id in gone)])
    summary = _leader(cpd).trend_correlation(
        focus="oracy", cutover=cutover, since=date(2026, 9, 1), until=date(2027, 3, 1)
    )
    assert summary.suppressed and summary.estimate is None
    assert "Correlation, not causation" in summary.describe()
