"""Stored school calendars on the facade (in-memory store): the trust default, a school's
overrides, who may set them, path-addressed errors, and RAG counting the school's days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cpdcore import Actor, Cpd, PermissionDenied, Role, RoleAssignment, ValidationError
from cpdcore.app import ActingCpd
from cpdcore.calendars import england_default
from cpdcore.clocks import FixedClock
from cpdcore.domain.calendar import CalendarSetting, calendar_to_dict
from cpdcore.domain.cycles import CyclePhase
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    MeasureUnit,
    ObjectiveCategory,
    ObjectiveTerms,
    SuccessCriterion,
)

T = TrustId("t")
EAST = SchoolId("east")
WEST = SchoolId("west")
MONDAY = date(2026, 10, 5)
WEEK_LATER = date(2026, 10, 12)


class Trust:
    def __init__(self) -> None:
        self.clock = FixedClock(datetime(2026, 9, 1, 8, tzinfo=UTC))
        self.cpd = Cpd.open("memory://", clock=self.clock, entry_points=False)
        self.admin = self.cpd.as_actor(Actor.system(T, "set-up"))
        self.admin.set_up_trust("Trust")
        self.admin.add_school("East", school_id=EAST)
        self.admin.add_school("West", school_id=WEST)
        self.people = {
            key: self.admin.add_staff(key.title(), "X", roles=roles, staff_id=StaffId(key))
            for key, roles in [
                ("ceo", [RoleAssignment(Role.TRUST_LEADER)]),
                ("east_head", [RoleAssignment(Role.SCHOOL_LEADER, EAST)]),
                ("west_head", [RoleAssignment(Role.SCHOOL_LEADER, WEST)]),
                ("teacher", [RoleAssignment(Role.APPRAISEE, EAST)]),
                ("apr", [RoleAssignment(Role.APPRAISER, EAST)]),
            ]
        }

    def act(self, key: str) -> ActingCpd:
        return self.cpd.as_actor(Actor.for_staff(self.people[key]))


@pytest.fixture
def trust() -> Trust:
    return Trust()


def closure(name: str, on: date) -> dict[str, str]:
    return {"name": name, "kind": "other", "starts_on": on.isoformat()}


def test_without_settings_every_school_works_to_the_england_default(trust: Trust) -> None:
    assert trust.act("teacher").school_calendar(EAST).years == england_default().years


def test_the_trust_default_and_a_school_override_change_school_days(trust: Trust) -> None:
    base = calendar_to_dict(england_default())
    base["name"] = "Trust calendar"
    base["years"][1]["closures"].append(closure("Trust day", MONDAY))
    trust.act("ceo").set_trust_calendar(base)
    england = england_default().school_days_between(MONDAY, WEEK_LATER)
    assert england == 5
    assert trust.act("teacher").school_calendar(WEST).school_days_between(MONDAY, WEEK_LATER) == 4
    stored = trust.act("east_head").set_school_calendar_overrides(
        EAST, {"name": "East", "closures": [closure("East extra", date(2026, 10, 6))]}
    )
    assert (stored.id, stored.school_id) == ("school:east", EAST)
    east = trust.act("teacher").school_calendar(EAST)
    assert east.school_days_between(MONDAY, WEEK_LATER) == 3
    assert east.name == "East"
    # West keeps the trust default; East's change is its own.
    assert trust.act("teacher").school_calendar(WEST).school_days_between(MONDAY, WEEK_LATER) == 4
    # Setting again replaces the earlier overrides (a new version, not a second record).
    again = trust.act("ceo").set_school_calendar_overrides(
        EAST, {"name": "East", "removed_closures": ["Trust day"]}
    )
    assert again.version > stored.version
    assert trust.act("teacher").school_calendar(EAST).school_days_between(MONDAY, WEEK_LATER) == 5


def test_each_write_is_audited(trust: Trust) -> None:
    trust.act("ceo").set_trust_calendar(england_default())
    trust.act("east_head").set_school_calendar_overrides(EAST, {"name": "East"})
    with trust.cpd.storage.unit_of_work() as uow:
        actions = [(e.action, e.record_id) for e in uow.audit.entries(T, limit=1000)]
    assert ("calendar.trust_set", "trust") in actions
    assert ("calendar.school_set", "school:east") in actions


def test_only_leaders_and_administrators_may_set_calendars(trust: Trust) -> None:
    with pytest.raises(PermissionDenied, match="trust calendar"):
        trust.act("east_head").set_trust_calendar(england_default())
    with pytest.raises(PermissionDenied):
        trust.act("teacher").set_school_calendar_overrides(EAST, {"name": "East"})
    with pytest.raises(PermissionDenied, match="school east"):
        trust.act("west_head").set_school_calendar_overrides(EAST, {"name": "East"})
    admin = trust.admin.add_staff(
        "Ada", "X", roles=[RoleAssignment(Role.ADMINISTRATOR)], staff_id=StaffId("ada")
    )
    as_admin = trust.cpd.as_actor(Actor.for_staff(admin))
    assert isinstance(as_admin.set_trust_calendar(england_default()), CalendarSetting)
    assert as_admin.set_school_calendar_overrides(WEST, {"name": "West"}).school_id == WEST


def test_bad_data_is_reported_with_paths(trust: Trust) -> None:
    with pytest.raises(ValidationError) as bad_trust:
        trust.act("ceo").set_trust_calendar({"name": "", "years": [{"academic_year": "x"}]})
    where = {p.where for p in bad_trust.value.problems}
    assert {"calendar.name", "calendar.years[0].starts_on"} <= where
    with pytest.raises(ValidationError) as bad_school:
        trust.act("ceo").set_school_calendar_overrides(
            EAST,
            {
                "name": "East",
                "closures": [{"name": "Fair", "starts_on": "5/10/2026"}],
                "terms": [{"academic_year": "2026-27", "term": "winter"}],
                "removed_closures": [3],
            },
        )
    where = {p.where for p in bad_school.value.problems}
    assert where == {
        "overrides.closures[0].starts_on",
        "overrides.closures[0].ends_on",
        "overrides.terms[0].term",
        "overrides.removed_closures[0]",
    }
    # A term the trust calendar lacks is refused when set, not when a report is run.
    with pytest.raises(ValidationError, match="no spring term in academic year '2031-32'"):
        trust.act("ceo").set_school_calendar_overrides(
            EAST,
            {"name": "East", "terms": [{"academic_year": "2031-32", "term": "spring"}]},
        )
    with trust.cpd.storage.unit_of_work() as uow:
        assert uow.repository(CalendarSetting).find(T, "school:east") is None


START = date(2026, 9, 7)
HALFWAY = date(2026, 11, 16)


def test_a_rag_report_counts_the_school_s_own_closure_days(trust: Trust) -> None:
    cycle = trust.act("ceo").open_cycle("2026-27")
    cycle = trust.act("ceo").advance_cycle(cycle.id, CyclePhase.OBJECTIVE_SETTING)
    trust.act("east_head").assign_appraiser(StaffId("teacher"), StaffId("apr"), "2026-27")
    made = [
        trust.act("teacher").create_objective(
            cycle.id,
            ObjectiveTerms(
                title=title,
                category=ObjectiveCategory.TEACHING_PRACTICE,
                starts_on=START,
                due_on=date(2027, 1, 25),
                success_criteria=(
                    SuccessCriterion(
                        "Correct answers", MeasureUnit.PERCENTAGE, Decimal(100), Decimal(0)
                    ),
                ),
                weight=Decimal(50),
            ),
            propose=True,
        )
        for title in ("Questioning", "Feedback")
    ]
    objective, _ = [trust.act("apr").agree_objective(m.id) for m in made]
    trust.clock.set(datetime(2026, 9, 7, 9, tzinfo=UTC))
    trust.act("ceo").advance_cycle(cycle.id, CyclePhase.MONITORING)
    trust.clock.set(datetime(2026, 11, 16, 9, tzinfo=UTC))
    trust.act("teacher").record_progress(objective.id, "c1", "0", measured_on=START)
    trust.act("teacher").record_progress(objective.id, "c1", "40", measured_on=HALFWAY)

    def expected() -> Decimal:
        report = trust.act("east_head").rag_report(school_id=EAST, as_of=HALFWAY)
        return next(r for r in report.rows if r.objective_id == objective.id).status.expected

    before = expected()
    # A closed fortnight before HALFWAY: fewer school days have passed, so less is expected.
    trust.act("east_head").set_school_calendar_overrides(
        EAST,
        {
            "name": "East",
            "closures": [{"name": "Works", "starts_on": "2026-10-05", "ends_on": "2026-10-16"}],
        },
    )
    after = expected()
    assert after < before
    calendar = trust.act("east_head").school_calendar(EAST)
    assert calendar.school_days_between(date(2026, 10, 5), date(2026, 10, 19)) == 0
    # The West school's report would still use the trust default: only East changed.
    assert (
        trust.act("ceo")
        .school_calendar(WEST)
        .school_days_between(date(2026, 10, 5), date(2026, 10, 19))
        == 10
    )
