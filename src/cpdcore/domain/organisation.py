"""Trusts, schools, departments, staff members and the roles they hold.

A *trust* (multi-academy trust) groups schools; a single-school customer is a trust with
one school. Staff belong to the trust and hold roles scoped to a school or to the whole
trust, so one person can work at two schools. Leavers are marked inactive, never deleted,
so their history stays readable.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from cpdcore.domain.identifiers import DepartmentId, SchoolId, StaffId, TrustId
from cpdcore.domain.roster import MisStaffRole
from cpdcore.errors import ValidationError

__all__ = [
    "Department",
    "Role",
    "RoleAssignment",
    "School",
    "StaffMember",
    "Trust",
]


def _non_blank(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.single(attribute.name, f"must be a non-empty string, got {value!r}")


class Role(enum.Enum):
    """What a staff member may do in cpdcore, within a school or across the trust."""

    APPRAISEE = "appraisee"
    APPRAISER = "appraiser"
    OBSERVER = "observer"
    FACILITATOR = "facilitator"
    SCHOOL_LEADER = "school_leader"
    TRUST_LEADER = "trust_leader"
    RESEARCHER = "researcher"
    ADMINISTRATOR = "administrator"
    """Maintains the organisation data (rosters, schools) for a school or the trust."""


@attrs.frozen
class RoleAssignment:
    """A role held at one school (``school_id``) or across the trust (``school_id=None``)."""

    role: Role
    school_id: SchoolId | None = None

    def covers(self, school_id: SchoolId | None) -> bool:
        """True if this assignment applies at ``school_id`` (trust-wide roles cover all)."""
        return self.school_id is None or self.school_id == school_id


@attrs.frozen
class Trust:
    """A group of schools run by one body; the unit of tenancy."""

    id: TrustId = attrs.field(validator=_non_blank)
    name: str = attrs.field(validator=_non_blank)
    version: int = 0

    @property
    def trust_id(self) -> TrustId:
        """A trust is its own tenant."""
        return self.id

    @property
    def school_id(self) -> SchoolId | None:
        """Trusts are not scoped to a school."""
        return None


@attrs.frozen
class School:
    """A school within a trust."""

    id: SchoolId = attrs.field(validator=_non_blank)
    trust_id: TrustId = attrs.field(validator=_non_blank)
    name: str = attrs.field(validator=_non_blank)
    version: int = 0

    @property
    def school_id(self) -> SchoolId:
        """A school is scoped to itself."""
        return self.id


@attrs.frozen
class Department:
    """A subject or phase team inside a school (e.g. Science, Year 3)."""

    id: DepartmentId = attrs.field(validator=_non_blank)
    trust_id: TrustId = attrs.field(validator=_non_blank)
    school_id: SchoolId = attrs.field(validator=_non_blank)
    name: str = attrs.field(validator=_non_blank)
    version: int = 0


@attrs.frozen
class StaffMember:
    """A person employed by the trust, with roles at one or more of its schools."""

    id: StaffId = attrs.field(validator=_non_blank)
    trust_id: TrustId = attrs.field(validator=_non_blank)
    given_name: str = attrs.field(validator=_non_blank)
    family_name: str = attrs.field(validator=_non_blank)
    email: str = ""
    roles: tuple[RoleAssignment, ...] = ()
    departments: tuple[DepartmentId, ...] = ()
    active: bool = True
    sourced_id: str | None = None
    """The person's ``sourcedId`` in the school's MIS, when imported from one."""
    mis_roles: tuple[MisStaffRole, ...] = ()
    """The roles the MIS lists, in its own vocabulary (e.g. OneRoster's ``teacher``);
    :attr:`roles` holds what they mean in cpdcore."""
    version: int = 0

    @property
    def school_id(self) -> SchoolId | None:
        """Staff belong to the trust; their schools come from their roles."""
        return None

    @property
    def display_name(self) -> str:
        """Given name and family name, as a person would write them."""
        return f"{self.given_name} {self.family_name}"

    @property
    def schools(self) -> tuple[SchoolId, ...]:
        """Schools where this person holds at least one school-scoped role, in order."""
        seen: dict[SchoolId, None] = {}
        for assignment in self.roles:
            if assignment.school_id is not None:
                seen.setdefault(assignment.school_id, None)
        return tuple(seen)

    def has_role(self, role: Role, school_id: SchoolId | None = None) -> bool:
        """True if the person holds ``role`` at ``school_id`` (or trust-wide)."""
        return any(a.role is role and a.covers(school_id) for a in self.roles)
