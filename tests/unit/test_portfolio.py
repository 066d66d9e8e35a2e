"""The portfolio of practice: years, outcomes, evidence by standard, CPD and certificates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cpdcore.domain.cpd_activities import CpdActivity, CpdKind
from cpdcore.domain.cycles import AppraisalCycle
from cpdcore.domain.evidence import Evidence, EvidenceKind, EvidencePurpose, released_for_appraisal
from cpdcore.domain.identifiers import CycleId, EvidenceId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    ObjectiveCategory,
    ObjectiveTerms,
    Outcome,
    Party,
    agree,
    new_objective,
    propose,
    review,
)
from cpdcore.domain.organisation import Role, RoleAssignment, StaffMember
from cpdcore.domain.portfolio import Portfolio, build_portfolio
from cpdcore.domain.standards import TeachersStandard
from cpdcore.serialization import from_dict, to_dict

T = TrustId("t")
N = SchoolId("north")
AT = datetime(2026, 10, 1, tzinfo=UTC)
AMY = StaffMember(
    id=StaffId("amy"),
    trust_id=T,
    given_name="Amy",
    family_name="Khan",
    roles=(RoleAssignment(Role.APPRAISEE, N),),
)


def cycle(start: int) -> AppraisalCycle:
    return AppraisalCycle(
        id=CycleId(f"c{start}"),
        trust_id=T,
        name=str(start),
        academic_year=f"{start}-{(start + 1) % 100:02d}",
        starts_on=date(start, 9, 1),
        ends_on=date(start + 1, 8, 31),
    )


def reviewed_objective(start: int, outcome: Outcome) -> object:
    objective = new_objective(
        objective_id=ObjectiveId(f"o{start}"),
        trust_id=T,
        school_id=N,
        cycle_id=CycleId(f"c{start}"),
        appraisee_id=AMY.id,
        terms=ObjectiveTerms(
            title=f"Objective {start}",
            category=ObjectiveCategory.LEADERSHIP,
            starts_on=date(start, 9, 15),
            due_on=date(start + 1, 6, 30),
            standards=("TS8",),
        ),
        at=AT,
        by="amy",
    )
    objective = propose(objective, party=Party.APPRAISEE, by="amy", at=AT)
    objective = agree(objective, party=Party.APPRAISER, by="hal", at=AT)
    return review(objective, outcome, by="hal", at=AT)


def item(n: int, kind: EvidenceKind, day: date, released: bool) -> Evidence:
    return Evidence(
        id=EvidenceId(f"e{n}"),
        trust_id=T,
        school_id=N,
        owner_id=AMY.id,
        author_id="amy",
        kind=kind,
        title=f"Item {n}",
        captured_on=day,
        recorded_at=AT,
        text="x",
        standards=(TeachersStandard.TS3,),
        purpose=EvidencePurpose.FORMAL,
        appraisal_evidence=released,
    )


@pytest.fixture
def records() -> dict[str, list[object]]:
    return {
        "cycles": [cycle(2025), cycle(2026)],
        "objectives": [
            reviewed_objective(2025, Outcome.MET),
            reviewed_objective(2026, Outcome.PARTLY_MET),
        ],
        "evidence": [
            item(1, EvidenceKind.CERTIFICATE, date(2025, 11, 1), True),
            item(2, EvidenceKind.REFLECTION, date(2026, 11, 1), False),
        ],
        "activities": [
            CpdActivity(
                id=f"a{y}",
                trust_id=T,
                school_id=N,
                staff_id=AMY.id,
                kind=CpdKind.COURSE,
                title="Course",
                started_on=date(y, 10, 1),
                hours=Decimal(h),
            )
            for y, h in ((2025, "6"), (2026, "4.5"))
        ],
    }


def build(records: dict[str, list[object]], *, own: bool) -> Portfolio:
    return build_portfolio(
        AMY,
        cycles=records["cycles"],  # type: ignore[arg-type]
        objectives=records["objectives"],  # type: ignore[arg-type]
        evidence=records["evidence"],  # type: ignore[arg-type]
        activities=records["activities"],  # type: ignore[arg-type]
        show=(lambda _e: True) if own else released_for_appraisal,
    )


def test_years_are_newest_first_with_outcomes_hours_and_certificates(
    records: dict[str, list[object]],
) -> None:
    portfolio = build(records, own=True)
    assert [y.academic_year for y in portfolio.years] == ["2026-27", "2025-26"]
    latest, earlier = portfolio.years
    assert [o.outcome for o in latest.objectives] == [Outcome.PARTLY_MET]
    assert [o.outcome for o in earlier.objectives] == [Outcome.MET]
    assert (earlier.cpd_hours, latest.cpd_hours) == (Decimal(6), Decimal("4.5"))
    assert [c.title for c in earlier.certificates] == ["Item 1"]
    assert portfolio.total_cpd_hours == Decimal("10.5")
    assert from_dict(Portfolio, to_dict(portfolio)) == portfolio


def test_others_see_only_released_evidence(records: dict[str, list[object]]) -> None:
    own = build(records, own=True)
    other = build(records, own=False)
    assert [i.title for i in own.evidence_by_standard[0].items] == ["Item 1", "Item 2"]
    assert [i.title for i in other.evidence_by_standard[0].items] == ["Item 1"]
    assert own.evidence_by_standard[0].standard is TeachersStandard.TS3
