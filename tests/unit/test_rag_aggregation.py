"""RAG by school (and department) as an anonymised aggregate.

The statuses are computed on ``as_of`` exactly as the identifiable RAG report computes
them; only the anonymiser's table leaves: every published count equals the true count of
appraisees, every small count is withheld, and people without the right to read anyone's
RAG report (researchers) still get the table.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cpdcore import Actor, Cpd, Role, RoleAssignment
from cpdcore.aggregation_io import SqliteQueryLedger
from cpdcore.domain.aggregation.differencing import DisclosureRefused
from cpdcore.domain.aggregation.policies import parse_policy
from cpdcore.domain.aggregation.suppression import CellStatus
from cpdcore.domain.aggregation.tables import ALL, AggregateQuery, parse_measure
from cpdcore.domain.cycles import AppraisalCycle, CyclePhase
from cpdcore.domain.identifiers import CycleId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    Agreement,
    MeasureUnit,
    Objective,
    ObjectiveCategory,
    ObjectiveStatus,
    ObjectiveTerms,
    Party,
    SuccessCriterion,
)
from cpdcore.domain.organisation import StaffMember
from cpdcore.domain.progress import ProgressUpdate
from cpdcore.errors import PermissionDenied, ValidationError
from cpdcore.services.aggregation import AggregationRequest
from cpdcore.services.rag_aggregation import RAG_COLUMNS

T = TrustId("t")
SCHOOLS = (SchoolId("north"), SchoolId("south"))
AS_OF = date(2027, 2, 10)
AT = datetime(2026, 9, 1, tzinfo=UTC)
CYCLE = AppraisalCycle(
    id=CycleId("c"),
    trust_id=T,
    name="Appraisal 2026-27",
    academic_year="2026-27",
    starts_on=date(2026, 9, 1),
    ends_on=date(2027, 8, 31),
    phase=CyclePhase.MONITORING,
)
AGREED = (Agreement(Party.APPRAISEE, "a", AT), Agreement(Party.APPRAISER, "b", AT))
PEOPLE = 80


def _world(rng: random.Random) -> Iterator[Any]:
    """80 teachers in two schools and two departments, two objectives each, progress
    anywhere from far behind to ahead of pace (so every colour appears)."""
    yield CYCLE
    for p in range(PEOPLE):
        person = StaffId(f"p{p}")
        school = SCHOOLS[p % 2]
        yield StaffMember(
            id=person,
            trust_id=T,
            given_name="Given",
            family_name=f"Family{p}",
            departments=(f"{school}-{'maths' if p % 4 < 2 else 'english'}",),  # type: ignore[arg-type]
        )
        for o in range(2):
            oid = ObjectiveId(f"o{p}-{o}")
            criterion = SuccessCriterion(
                "Score", MeasureUnit.SCORE, Decimal(80), Decimal(40), code="c1"
            )
            yield Objective(
                id=oid,
                trust_id=T,
                school_id=school,
                cycle_id=CYCLE.id,
                appraisee_id=person,
                terms=ObjectiveTerms(
                    title=f"Objective {o}",
                    # p0 is the one teacher whose objectives are about leadership
                    category=ObjectiveCategory.LEADERSHIP
                    if p == 0
                    else ObjectiveCategory.TEACHING_PRACTICE,
                    starts_on=date(2026, 9, 14),
                    due_on=date(2027, 6, 30),
                    success_criteria=(criterion,),
                ),
                status=ObjectiveStatus.IN_PROGRESS,
                agreements=AGREED,
            )
            share = rng.uniform(0.0, 0.9)
            for step, days in enumerate((60, 5)):
                reached = Decimal(round(share * 100 * (step + 1) / 2)) / 100
                yield ProgressUpdate(
                    id=f"u{p}-{o}-{step}",
                    trust_id=T,
                    school_id=school,
                    cycle_id=CYCLE.id,
                    objective_id=oid,
                    appraisee_id=person,
                    criterion=criterion.code,
                    measured_on=AS_OF - timedelta(days=days),
                    value=Decimal(40) + Decimal(40) * reached,
                    recorded_by="a",
                    recorded_at=AT,
                )


@pytest.fixture
def cpd() -> Iterator[Cpd]:
    with Cpd.open("memory://", entry_points=False) as opened:
        admin = opened.as_actor(Actor.system(T))
        admin.set_up_trust("Trust")
        for school in SCHOOLS:
            admin.add_school(str(school), school_id=school)
        with opened.storage.unit_of_work() as uow:
            for record in _world(random.Random(11)):
                uow.repository(type(record)).add(record)
            uow.commit()
        yield opened


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SqliteQueryLedger]:
    book = SqliteQueryLedger(tmp_path / "ledger.sqlite3")
    yield book
    book.close()


def _actor(role: Role, school: SchoolId | None = None, who: str = "r") -> Actor:
    return Actor(trust_id=T, staff_id=StaffId(who), roles=(RoleAssignment(role, school),))


def _request(by: tuple[str, ...], measure: str = "persons", policy: str = "k:5") -> Any:
    query = AggregateQuery(by=by, measure=parse_measure(measure), margins=True)
    return AggregationRequest(query, parse_policy(policy), "ignored")


def _truth(cpd: Cpd) -> dict[tuple[str, ...], set[str]]:
    """Appraisees per (school, colour) from the identifiable report of a trust leader."""
    report = cpd.as_actor(_actor(Role.TRUST_LEADER, who="boss")).rag_report(as_of=AS_OF)
    people: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for row in report.rows:
        for key in (
            (row.school_id, row.colour.value),
            (row.school_id, ALL),
            (ALL, row.colour.value),
            (ALL, ALL),
        ):
            people[key].add(row.appraisee_id)
    return people


def test_rag_by_school_publishes_true_counts_and_withholds_small_ones(
    cpd: Cpd, ledger: SqliteQueryLedger
) -> None:
    researcher = cpd.as_actor(_actor(Role.RESEARCHER))
    with pytest.raises(PermissionDenied):
        researcher.rag_report(as_of=AS_OF)
    answer = researcher.aggregate_rag(_request(("school_id", "rag")), as_of=AS_OF, ledger=ledger)
    truth = _truth(cpd)
    colours = {k[1] for k in truth if k[1] != ALL}
    assert len(colours) >= 3, "the world should spread over several colours"
    published = 0
    for cell in answer.cells:
        true = len(truth.get(cell.key, set()))
        if cell.status == CellStatus.PUBLISHED:
            assert cell.value == true
            published += 1
        else:
            assert cell.value is None and cell.flag == "c"
        if 0 < true < 5:
            assert cell.status != CellStatus.PUBLISHED
    assert published and answer.manifest["query"]
    total = next(c for c in answer.cells if c.key == (ALL, ALL))
    assert total.value == PEOPLE


def test_rag_counts_departments_and_shares_of_people_with_a_red_objective(
    cpd: Cpd, ledger: SqliteQueryLedger
) -> None:
    researcher = cpd.as_actor(_actor(Role.RESEARCHER))
    by_department = researcher.aggregate_rag(_request(("department",)), as_of=AS_OF, ledger=ledger)
    values = {c.key[0]: c.value for c in by_department.cells}
    assert values == {
        "north-maths": 20,
        "north-english": 20,
        "south-maths": 20,
        "south-english": 20,
        ALL: 80,
    }
    objectives = researcher.aggregate_rag(
        _request(("school_id",), "records"), as_of=AS_OF, ledger=ledger
    )
    assert {c.key[0]: c.value for c in objectives.cells}[ALL] == 2 * PEOPLE
    truth = _truth(cpd)
    red = researcher.aggregate_rag(
        _request(("school_id",), "pct:rag=red"), as_of=AS_OF, ledger=ledger
    )
    whole = next(c for c in red.cells if c.key == (ALL,))
    expected = 100 * len(truth.get((ALL, "red"), set())) / PEOPLE
    assert whole.value == pytest.approx(expected, abs=0.05)


def test_school_leaders_aggregate_their_school_only(cpd: Cpd, ledger: SqliteQueryLedger) -> None:
    head = cpd.as_actor(_actor(Role.SCHOOL_LEADER, SCHOOLS[0], who="head"))
    answer = head.aggregate_rag(_request(("school_id",)), as_of=AS_OF, ledger=ledger)
    assert {c.key[0] for c in answer.cells} == {"north", ALL}


def test_teachers_cannot_aggregate_rag(cpd: Cpd) -> None:
    teacher = cpd.as_actor(_actor(Role.APPRAISEE, SCHOOLS[0], who="p1"))
    with pytest.raises(PermissionDenied, match="aggregating needs"):
        teacher.aggregate_rag(_request(("school_id",)), as_of=AS_OF)


def test_a_department_minus_one_teacher_is_refused(cpd: Cpd, ledger: SqliteQueryLedger) -> None:
    researcher = cpd.as_actor(_actor(Role.RESEARCHER))
    first = researcher.aggregate_rag(_request(("department",)), as_of=AS_OF, ledger=ledger)
    # the same question again is answered from the ledger, identically
    again = researcher.aggregate_rag(_request(("department",)), as_of=AS_OF, ledger=ledger)
    assert again.replayed and again.cells == first.cells
    # every department again, but only teaching-practice objectives: north-maths loses p0
    tracker = AggregateQuery(
        by=("department",), where=(("category", "teaching_practice"),), margins=True
    )
    with pytest.raises(DisclosureRefused) as refused:
        researcher.aggregate_rag(
            AggregationRequest(tracker, parse_policy("k:5"), "x"), as_of=AS_OF, ledger=ledger
        )
    assert not any(ch.isdigit() for ch in str(refused.value))
    # another researcher has a ledger of their own, but the table itself still hides p0
    other = cpd.as_actor(_actor(Role.RESEARCHER, who="r2"))
    leadership = AggregateQuery(by=("category",), margins=True)
    table = other.aggregate_rag(
        AggregationRequest(leadership, parse_policy("k:5"), "x"), as_of=AS_OF, ledger=ledger
    )
    cells = {c.key[0]: c for c in table.cells}
    assert cells["leadership"].status != CellStatus.PUBLISHED
    assert cells["teaching_practice"].status != CellStatus.PUBLISHED  # 79 = 80 - 1


def test_unknown_rag_columns_are_named(cpd: Cpd) -> None:
    researcher = cpd.as_actor(_actor(Role.RESEARCHER))
    with pytest.raises(ValidationError, match="colour"):
        researcher.aggregate_rag(_request(("colour",)), as_of=AS_OF)
    assert set(RAG_COLUMNS) >= {"school_id", "department", "rag"}


def test_rag_is_not_a_stored_kind(cpd: Cpd) -> None:
    with pytest.raises(ValidationError, match="aggregate_rag"):
        cpd.as_actor(_actor(Role.RESEARCHER)).aggregate("rag", _request(("school_id",)))
