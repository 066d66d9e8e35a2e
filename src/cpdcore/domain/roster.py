"""What a school's MIS tells cpdcore: organisations, staff, classes, pupil media consent.

These are plain records as the MIS states them (keyed by the MIS's ``sourced_id``); the
import use case turns them into :mod:`cpdcore.domain.organisation` records. Pupils appear
only as counts and consent flags, never as people cpdcore stores.
"""

from __future__ import annotations

import enum
from datetime import date

import attrs

__all__ = [
    "MisClass",
    "MisOrg",
    "MisOrgKind",
    "MisStaff",
    "MisStaffRole",
    "OutcomeWeek",
    "PupilMediaConsent",
    "TeacherClassLink",
]


class MisOrgKind(enum.Enum):
    """Whether an MIS organisation is the trust or one of its schools."""

    TRUST = "trust"
    SCHOOL = "school"


@attrs.frozen
class MisOrg:
    """An organisation as the MIS lists it."""

    sourced_id: str
    name: str
    kind: MisOrgKind
    parent_sourced_id: str | None = None


@attrs.frozen
class MisStaffRole:
    """A role at one organisation, in the MIS's own vocabulary (e.g. ``teacher``)."""

    org_sourced_id: str
    role: str
    primary: bool = False


@attrs.frozen
class MisStaff:
    """A staff member as the MIS lists them."""

    sourced_id: str
    given_name: str
    family_name: str
    email: str = ""
    roles: tuple[MisStaffRole, ...] = ()
    active: bool = True


@attrs.frozen
class MisClass:
    """A teaching group; ``pupils`` is a head count, never a list of pupils."""

    sourced_id: str
    school_sourced_id: str
    title: str
    pupils: int = 0


@attrs.frozen
class TeacherClassLink:
    """A teacher teaches a class."""

    staff_sourced_id: str
    class_sourced_id: str


@attrs.frozen
class PupilMediaConsent:
    """Whether one pupil in a class may be photographed or filmed (from the MIS)."""

    pupil_sourced_id: str
    class_sourced_id: str
    media_allowed: bool


@attrs.frozen
class OutcomeWeek:
    """Weekly behaviour/rewards/homework totals for a class or year group (aggregates only)."""

    school_sourced_id: str
    group_type: str
    group_id: str
    week_start: date
    pupils: int
    behaviour_incidents: int
    reward_points: int
    homework_set: int
    homework_completed: int
