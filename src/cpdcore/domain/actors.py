"""Who is acting: every use case runs on behalf of an :class:`Actor`."""

from __future__ import annotations

import attrs

from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.organisation import Role, RoleAssignment, StaffMember

__all__ = ["Actor"]


@attrs.frozen
class Actor:
    """The person (or system process) a use case acts for.

    ``trust_id`` is the tenant every read and write is confined to; ``roles`` say what the
    actor may do and where. A system actor (an MIS import job, a retention sweep) has no
    ``staff_id`` and carries the roles it needs explicitly.
    """

    trust_id: TrustId
    staff_id: StaffId | None = None
    roles: tuple[RoleAssignment, ...] = ()
    label: str = ""
    """A human-readable name for audit entries (e.g. ``"MIS import"``)."""

    @classmethod
    def for_staff(cls, staff: StaffMember) -> Actor:
        """The actor for a staff member, with the roles recorded on them."""
        return cls(
            trust_id=staff.trust_id,
            staff_id=staff.id,
            roles=staff.roles,
            label=staff.display_name,
        )

    @classmethod
    def system(cls, trust_id: TrustId, label: str = "system") -> Actor:
        """A trust-wide administrator actor for jobs run by the host itself."""
        return cls(
            trust_id=trust_id,
            roles=(RoleAssignment(Role.ADMINISTRATOR),),
            label=label,
        )

    @property
    def id(self) -> str:
        """Identifier used in audit entries: the staff id or ``system:<label>``."""
        return self.staff_id if self.staff_id is not None else f"system:{self.label}"

    def has_role(self, role: Role, school_id: SchoolId | None = None) -> bool:
        """True if the actor holds ``role`` at ``school_id`` or trust-wide."""
        return any(a.role is role and a.covers(school_id) for a in self.roles)

    def has_any_role(self, roles: frozenset[Role], school_id: SchoolId | None = None) -> bool:
        """True if the actor holds one of ``roles`` at ``school_id`` or trust-wide."""
        return any(a.role in roles and a.covers(school_id) for a in self.roles)
