"""Organisation use cases through the facade on the in-memory store."""

from __future__ import annotations

import attrs
import pytest

from cpdcore import Actor, Cpd, NotFound, PermissionDenied, Role, RoleAssignment, ValidationError
from cpdcore.app import ActingCpd
from cpdcore.domain.identifiers import DepartmentId, SchoolId, StaffId, TrustId
from cpdcore.domain.organisation import StaffMember
from cpdcore.errors import ConcurrencyConflict

T = TrustId("trust-1")


@pytest.fixture
def cpd() -> Cpd:
    return Cpd.open("memory://")


@pytest.fixture
def admin(cpd: Cpd) -> ActingCpd:
    acting = cpd.as_actor(Actor.system(T, "set-up"))
    acting.set_up_trust("Riverside Learning Trust")
    acting.add_school("Northgate", school_id=SchoolId("north"))
    acting.add_school("Southbank", school_id=SchoolId("south"))
    return acting


def test_staff_can_work_at_two_schools(admin: ActingCpd) -> None:
    member = admin.add_staff(
        "Émile",
        "Durand",
        roles=[
            RoleAssignment(Role.APPRAISEE, SchoolId("north")),
            RoleAssignment(Role.OBSERVER, SchoolId("south")),
        ],
    )
    assert member.schools == ("north", "south")
    assert [s.id for s in admin.list_staff(school_id=SchoolId("south")).items] == [member.id]


def test_unknown_school_and_department_are_field_errors(admin: ActingCpd) -> None:
    with pytest.raises(ValidationError) as caught:
        admin.add_staff(
            "A",
            "B",
            roles=[RoleAssignment(Role.APPRAISEE, SchoolId("nowhere"))],
            departments=[DepartmentId("ghost")],
        )
    assert {p.where for p in caught.value.problems} == {"roles[0].school_id", "departments[0]"}


def test_leavers_become_inactive_and_keep_their_record(admin: ActingCpd) -> None:
    member = admin.add_staff(
        "Ada", "Lovelace", roles=[RoleAssignment(Role.APPRAISEE, SchoolId("north"))]
    )
    left = admin.mark_leaver(member.id)
    assert left.active is False
    assert admin.staff_member(member.id).family_name == "Lovelace"
    assert admin.list_staff(active=True).items == []
    assert [s.id for s in admin.list_staff(active=False).items] == [member.id]


def test_assign_role_is_idempotent_and_audited(cpd: Cpd, admin: ActingCpd) -> None:
    member = admin.add_staff(
        "Tom", "Bell", roles=[RoleAssignment(Role.APPRAISEE, SchoolId("north"))]
    )
    role = RoleAssignment(Role.APPRAISER, SchoolId("north"))
    once = admin.assign_role(member.id, role)
    twice = admin.assign_role(member.id, role)
    assert once == twice
    assert once.roles.count(role) == 1
    with cpd.storage.unit_of_work() as uow:
        actions = [e.action for e in uow.audit.entries(T)]
    assert actions.count("staff.role_assigned") == 1
    assert cpd.verify_audit(T) == []


def test_a_teacher_cannot_add_schools_or_staff(cpd: Cpd, admin: ActingCpd) -> None:
    teacher = cpd.as_actor(
        Actor(T, StaffId("t1"), (RoleAssignment(Role.APPRAISEE, SchoolId("north")),))
    )
    with pytest.raises(PermissionDenied, match="administrator or trust_leader"):
        teacher.add_school("Rogue school")
    with pytest.raises(PermissionDenied, match="school north"):
        teacher.add_staff("X", "Y", roles=[RoleAssignment(Role.APPRAISEE, SchoolId("north"))])


def test_school_leader_may_add_staff_only_at_their_school(cpd: Cpd, admin: ActingCpd) -> None:
    head = cpd.as_actor(
        Actor(T, StaffId("head"), (RoleAssignment(Role.SCHOOL_LEADER, SchoolId("north")),))
    )
    added = head.add_staff(
        "New", "Teacher", roles=[RoleAssignment(Role.APPRAISEE, SchoolId("north"))]
    )
    assert added.active
    with pytest.raises(PermissionDenied):
        head.add_staff("Other", "School", roles=[RoleAssignment(Role.APPRAISEE, SchoolId("south"))])


def test_tenants_are_isolated_through_the_facade(cpd: Cpd, admin: ActingCpd) -> None:
    member = admin.add_staff(
        "Ann", "Lee", roles=[RoleAssignment(Role.APPRAISEE, SchoolId("north"))]
    )
    other = cpd.as_actor(Actor.system(TrustId("trust-2")))
    other.set_up_trust("Other Trust")
    with pytest.raises(NotFound):
        other.staff_member(member.id)
    assert other.schools() == []
    assert sorted(cpd.storage.tenants()) == ["trust-1", "trust-2"]


def test_list_staff_pages_through_everyone(admin: ActingCpd) -> None:
    for n in range(23):
        admin.add_staff(f"T{n}", "Demo", roles=[RoleAssignment(Role.APPRAISEE, SchoolId("north"))])
    seen: list[str] = []
    after = None
    while True:
        page = admin.list_staff(after=after, limit=10)
        seen += [s.id for s in page.items]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert len(seen) == len(set(seen)) == 23


def test_stale_writes_through_two_sessions_conflict(cpd: Cpd, admin: ActingCpd) -> None:
    member = admin.add_staff(
        "Ann", "Lee", roles=[RoleAssignment(Role.APPRAISEE, SchoolId("north"))]
    )
    with cpd.storage.unit_of_work() as uow:
        repo = uow.repository(StaffMember)
        admin.mark_leaver(member.id)  # commits version 2 elsewhere
        with pytest.raises(ConcurrencyConflict, match=member.id):
            repo.update(attrs.evolve(member, email="stale@example.org"))
            uow.commit()
    assert admin.staff_member(member.id).email == ""
