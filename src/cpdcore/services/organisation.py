"""Use cases for the organisation: the trust, its schools, departments and staff."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from cpdcore.domain.identifiers import DepartmentId, SchoolId, StaffId
from cpdcore.domain.organisation import (
    Department,
    Role,
    RoleAssignment,
    School,
    StaffMember,
    Trust,
)
from cpdcore.errors import Problem, ValidationError
from cpdcore.ports import DEFAULT_PAGE_SIZE, Page
from cpdcore.services.context import Transaction, UseCases, all_pages, new_id

__all__ = ["OrganisationUseCases"]

_ORG_ADMINS = frozenset({Role.ADMINISTRATOR, Role.TRUST_LEADER})
_SCHOOL_ADMINS = frozenset({Role.ADMINISTRATOR, Role.TRUST_LEADER, Role.SCHOOL_LEADER})


class OrganisationUseCases(UseCases):
    """Set up and maintain the trust, schools, departments and staff."""

    def set_up_trust(self, name: str) -> Trust:
        """Create the actor's trust record (once per tenant)."""
        self._require(_ORG_ADMINS, None, "setting up the trust")
        with self._transaction() as tx:
            trust = tx.repo(Trust).add(Trust(id=self.actor.trust_id, name=name))
            tx.audit("trust.created", "Trust", trust.id, payload={"name": name})
        return trust

    def trust(self) -> Trust:
        """The actor's trust."""
        with self._transaction() as tx:
            return tx.repo(Trust).get(self.actor.trust_id, self.actor.trust_id)

    def add_school(self, name: str, *, school_id: SchoolId | None = None) -> School:
        """Add a school to the trust."""
        self._require(_ORG_ADMINS, None, "adding a school")
        with self._transaction() as tx:
            tx.repo(Trust).get(self.actor.trust_id, self.actor.trust_id)
            school = tx.repo(School).add(
                School(id=school_id or SchoolId(new_id()), trust_id=self.actor.trust_id, name=name)
            )
            tx.audit("school.created", "School", school.id, school_id=school.id)
            tx.emit("school.created", school.id, school_id=school.id)
        return school

    def schools(self) -> Sequence[School]:
        """Every school of the trust, ordered by id."""
        with self._transaction() as tx:
            return all_pages(tx.repo(School), self.actor.trust_id)

    def add_department(
        self, school_id: SchoolId, name: str, *, department_id: DepartmentId | None = None
    ) -> Department:
        """Add a department (subject or phase team) to a school."""
        self._require(_SCHOOL_ADMINS, school_id, "adding a department")
        with self._transaction() as tx:
            tx.repo(School).get(self.actor.trust_id, school_id)
            department = tx.repo(Department).add(
                Department(
                    id=department_id or DepartmentId(new_id()),
                    trust_id=self.actor.trust_id,
                    school_id=school_id,
                    name=name,
                )
            )
            tx.audit("department.created", "Department", department.id, school_id=school_id)
        return department

    def add_staff(
        self,
        given_name: str,
        family_name: str,
        *,
        email: str = "",
        roles: Iterable[RoleAssignment] = (),
        departments: Iterable[DepartmentId] = (),
        staff_id: StaffId | None = None,
        sourced_id: str | None = None,
    ) -> StaffMember:
        """Add a staff member with their roles; every school and department must exist."""
        roles = tuple(roles)
        departments = tuple(departments)
        schools = {a.school_id for a in roles if a.school_id is not None}
        for school in schools:
            self._require(_SCHOOL_ADMINS, school, "adding staff")
        if not schools:
            self._require(_ORG_ADMINS, None, "adding trust-wide staff")
        with self._transaction() as tx:
            trust_id = self.actor.trust_id
            _check_references(tx, roles, departments)
            staff = tx.repo(StaffMember).add(
                StaffMember(
                    id=staff_id or StaffId(new_id()),
                    trust_id=trust_id,
                    given_name=given_name,
                    family_name=family_name,
                    email=email,
                    roles=roles,
                    departments=departments,
                    sourced_id=sourced_id,
                )
            )
            tx.audit(
                "staff.created",
                "StaffMember",
                staff.id,
                subject_id=staff.id,
                payload={"roles": [f"{a.role.value}@{a.school_id or 'trust'}" for a in roles]},
            )
        return staff

    def staff_member(self, staff_id: StaffId) -> StaffMember:
        """One staff member of the trust."""
        with self._transaction() as tx:
            return tx.repo(StaffMember).get(self.actor.trust_id, staff_id)

    def list_staff(
        self,
        *,
        school_id: SchoolId | None = None,
        active: bool | None = None,
        after: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[StaffMember]:
        """A page of staff, optionally only those with a role at ``school_id``.

        Filtering by school happens on the page read from the store, so a page may hold
        fewer than ``limit`` members; follow ``next_cursor`` until it is ``None``.
        """
        where: dict[str, object] = {} if active is None else {"active": active}
        with self._transaction() as tx:
            page = tx.repo(StaffMember).list(
                self.actor.trust_id, where=where, after=after, limit=limit
            )
        if school_id is None:
            return page
        kept = [s for s in page.items if school_id in s.schools]
        return Page(items=kept, next_cursor=page.next_cursor)

    def assign_role(self, staff_id: StaffId, assignment: RoleAssignment) -> StaffMember:
        """Give a staff member a role at a school or trust-wide (no-op if already held)."""
        self._require(_SCHOOL_ADMINS, assignment.school_id, "assigning a role")
        with self._transaction() as tx:
            repo = tx.repo(StaffMember)
            staff = repo.get(self.actor.trust_id, staff_id)
            if assignment in staff.roles:
                return staff
            _check_references(tx, (assignment,), ())
            updated = repo.update(attrs.evolve(staff, roles=(*staff.roles, assignment)))
            tx.audit(
                "staff.role_assigned",
                "StaffMember",
                staff.id,
                subject_id=staff.id,
                school_id=assignment.school_id,
                payload={"role": assignment.role.value},
            )
        return updated

    def mark_leaver(self, staff_id: StaffId) -> StaffMember:
        """Mark a staff member as having left: inactive, history kept, nothing deleted."""
        self._require(_ORG_ADMINS | {Role.SCHOOL_LEADER}, None, "marking a leaver")
        with self._transaction() as tx:
            repo = tx.repo(StaffMember)
            staff = repo.get(self.actor.trust_id, staff_id)
            if not staff.active:
                return staff
            updated = repo.update(attrs.evolve(staff, active=False))
            tx.audit("staff.left", "StaffMember", staff.id, subject_id=staff.id)
            tx.emit("staff.left", staff.id)
        return updated


def _check_references(
    tx: Transaction,
    roles: Sequence[RoleAssignment],
    departments: Sequence[DepartmentId],
) -> None:
    """Every school a role names and every department must exist in the actor's trust."""
    trust_id = tx.actor.trust_id
    problems = [
        Problem(
            f"roles[{index}].school_id",
            f"unknown school {assignment.school_id!r}; add the school first",
        )
        for index, assignment in enumerate(roles)
        if assignment.school_id is not None
        and tx.repo(School).find(trust_id, assignment.school_id) is None
    ]
    problems += [
        Problem(f"departments[{index}]", f"unknown department {department!r}")
        for index, department in enumerate(departments)
        if tx.repo(Department).find(trust_id, department) is None
    ]
    if problems:
        raise ValidationError(problems)
