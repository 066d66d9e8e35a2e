"""The CPD record: hours rules, yearly totals per person and per school."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import hypothesis.strategies as st
import pytest
from hypothesis import given

from cpdcore import Actor, Cpd, PermissionDenied, Role, RoleAssignment, ValidationError
from cpdcore.app import ActingCpd
from cpdcore.clocks import FixedClock
from cpdcore.domain.cpd_activities import CpdActivity, CpdKind, hours_by_person, hours_by_school
from cpdcore.domain.identifiers import EvidenceId, SchoolId, StaffId, TrustId
from cpdcore.serialization import from_dict, to_dict

T = TrustId("t")


def activity(**overrides: object) -> CpdActivity:
    values: dict[str, object] = {
        "id": "a1",
        "trust_id": T,
        "school_id": SchoolId("north"),
        "staff_id": StaffId("amy"),
        "kind": CpdKind.COURSE,
        "title": "Questioning",
        "started_on": date(2026, 10, 1),
        "hours": Decimal("2.5"),
    }
    values.update(overrides)
    return CpdActivity(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hours": Decimal(0)}, "more than 0"),
        ({"hours": Decimal("-1")}, "more than 0"),
        ({"hours": Decimal("24.5")}, "at most 24 hours a day"),
        ({"hours": Decimal(49), "ended_on": date(2026, 10, 2)}, "at most 24 hours a day"),
        ({"ended_on": date(2026, 9, 30)}, "before started_on"),
        ({"title": ""}, "non-empty"),
    ],
)
def test_bad_activities_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        activity(**overrides)


def test_multi_day_activities_may_claim_24_hours_per_day() -> None:
    assert activity(hours=Decimal(48), ended_on=date(2026, 10, 2)).days == 2


@given(
    hours=st.lists(st.decimals(min_value="0.25", max_value=24, places=2), min_size=1, max_size=8)
)
def test_person_and_school_totals_add_up(hours: list[Decimal]) -> None:
    items = [
        activity(id=f"a{i}", staff_id=StaffId("amy" if i % 2 else "ben"), hours=h)
        for i, h in enumerate(hours)
    ]
    items.append(activity(id="older", started_on=date(2025, 10, 1), hours=Decimal(7)))
    per_person = hours_by_person(items, "2026-27")
    per_school = hours_by_school(items, "2026-27")
    assert sum((t.hours for t in per_person.values()), Decimal(0)) == sum(hours, Decimal(0))
    assert per_school[SchoolId("north")].hours == sum(hours, Decimal(0))
    assert per_school[SchoolId("north")].activities == len(hours)
    for item in items:
        assert from_dict(CpdActivity, to_dict(item)) == item


@pytest.fixture
def acting() -> dict[str, ActingCpd]:
    cpd = Cpd.open(
        "memory://", clock=FixedClock(datetime(2026, 10, 1, tzinfo=UTC)), entry_points=False
    )
    admin = cpd.as_actor(Actor.system(T, "set-up"))
    admin.set_up_trust("Trust")
    admin.add_school("North", school_id=SchoolId("north"))
    people = {
        key: admin.add_staff(
            key, "X", roles=[RoleAssignment(role, SchoolId("north"))], staff_id=StaffId(key)
        )
        for key, role in [
            ("amy", Role.APPRAISEE),
            ("ben", Role.APPRAISEE),
            ("hal", Role.SCHOOL_LEADER),
        ]
    }
    return {key: cpd.as_actor(Actor.for_staff(person)) for key, person in people.items()}


def test_logging_and_totals_through_the_facade(acting: dict[str, ActingCpd]) -> None:
    amy, hal, ben = acting["amy"], acting["hal"], acting["ben"]
    amy.log_cpd("course", "Questioning", date(2026, 10, 1), "2.5", provider="Hub")
    amy.log_cpd(CpdKind.READING, "Book", date(2026, 10, 3), Decimal(1))
    hal.log_cpd("inset", "INSET", date(2026, 9, 2), 5, staff_id=StaffId("ben"))
    assert amy.cpd_hours("2026-27").hours == Decimal("3.5")
    school_total, per_person = hal.school_cpd_hours(SchoolId("north"), "2026-27")
    assert school_total.hours == Decimal("8.5")
    assert per_person[StaffId("ben")].hours == Decimal(5)
    with pytest.raises(ValidationError) as info:
        amy.log_cpd("course", "x", date(2026, 10, 1), 0)
    assert info.value.where == "hours"
    with pytest.raises(PermissionDenied):
        ben.log_cpd("course", "x", date(2026, 10, 1), 1, staff_id=StaffId("amy"))
    with pytest.raises(PermissionDenied):
        ben.school_cpd_hours(SchoolId("north"), "2026-27")
    with pytest.raises(ValidationError) as certificate:
        amy.log_cpd("course", "x", date(2026, 10, 1), 1, certificate_evidence_id=EvidenceId("nope"))
    assert certificate.value.where == "certificate_evidence_id"
