"""What a school's MIS tells cpdcore: organisations, staff, classes, pupil media consent.

These are plain records as the MIS states them (keyed by the MIS's ``sourced_id``); the
import use case turns them into :mod:`cpdcore.domain.organisation` records and the stored
aggregates defined at the end of this module. Pupils appear only as counts and consent
flags, never as people cpdcore stores.

Records read from files carry ``where`` (``users.csv:17``), the place a problem found
while importing them is reported at; it takes no part in equality.
"""

from __future__ import annotations

import enum
import unicodedata
from datetime import date

import attrs

from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId

__all__ = [
    "ClassGroup",
    "FeedMode",
    "ImportCounts",
    "LineManagementRow",
    "MisClass",
    "MisDataset",
    "MisOrg",
    "MisOrgKind",
    "name_order",
    "MisStaff",
    "MisStaffRole",
    "OutcomeAggregate",
    "OutcomeWeek",
    "PupilMediaConsent",
    "RosterImportSummary",
    "StaffRosterRow",
    "TeacherClassLink",
    "TeachingLink",
]


def _where() -> str:
    return attrs.field(default="", eq=False, repr=False)


class MisOrgKind(enum.Enum):
    """Whether an MIS organisation is the trust or one of its schools."""

    TRUST = "trust"
    SCHOOL = "school"


class MisDataset(enum.Enum):
    """The kinds of data an MIS source delivers, each in its own :class:`FeedMode`."""

    ORGS = "orgs"
    STAFF = "staff"
    CLASSES = "classes"
    CLASS_SIZES = "class_sizes"
    """Pupil head counts of classes (from pupil enrolments)."""
    TEACHER_CLASSES = "teacher_classes"
    LINE_MANAGEMENT = "line_management"
    PUPIL_MEDIA_CONSENT = "pupil_media_consent"
    OUTCOMES = "outcomes"


class FeedMode(enum.Enum):
    """How one dataset of an MIS export is meant.

    ``BULK`` is a full snapshot (what it no longer lists has gone); ``DELTA`` lists only
    changes (records marked inactive are deactivated, nothing else is touched); ``ABSENT``
    means the export says nothing about the dataset, so earlier data stays as it was.
    """

    BULK = "bulk"
    DELTA = "delta"
    ABSENT = "absent"


@attrs.frozen
class MisOrg:
    """An organisation as the MIS lists it."""

    sourced_id: str
    name: str
    kind: MisOrgKind
    parent_sourced_id: str | None = None
    where: str = _where()


@attrs.frozen
class MisStaffRole:
    """A role at one organisation, in the MIS's own vocabulary (e.g. ``teacher``).

    ``active=False`` appears only in delta feeds: the MIS withdrew this role.
    """

    org_sourced_id: str
    role: str
    primary: bool = False
    active: bool = True
    where: str = _where()


@attrs.frozen
class MisStaff:
    """A staff member as the MIS lists them.

    ``has_details=False`` appears only in delta feeds when the MIS changed a person's
    roles without restating the person: names, email and ``active`` are then unknown and
    the stored values stay.
    """

    sourced_id: str
    given_name: str
    family_name: str
    email: str = ""
    roles: tuple[MisStaffRole, ...] = ()
    active: bool = True
    has_details: bool = True
    where: str = _where()


@attrs.frozen
class MisClass:
    """A teaching group; ``pupils`` is a head count, never a list of pupils."""

    sourced_id: str
    school_sourced_id: str
    title: str
    pupils: int = 0
    active: bool = True
    where: str = _where()


@attrs.frozen
class TeacherClassLink:
    """A teacher teaches a class (``active=False``: no longer, in a delta feed)."""

    staff_sourced_id: str
    class_sourced_id: str
    active: bool = True
    where: str = _where()


@attrs.frozen
class PupilMediaConsent:
    """Whether one pupil in a class may be photographed or filmed (from the MIS)."""

    pupil_sourced_id: str
    class_sourced_id: str
    media_allowed: bool
    where: str = _where()


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
    where: str = _where()


@attrs.frozen
class LineManagementRow:
    """``appraiser_sourced_id`` appraises ``appraisee_sourced_id`` in ``academic_year``
    (written ``2026-27``); MIS exports carry this beside the roster because OneRoster
    has no such relation."""

    appraisee_sourced_id: str
    appraiser_sourced_id: str
    academic_year: str
    where: str = _where()


# Stored records made from MIS data ------------------------------------------------------


@attrs.frozen
class ClassGroup:
    """A class as cpdcore stores it: a title, a head count and how many of its pupils
    may not be filmed or photographed. No pupil is ever named."""

    id: str
    trust_id: TrustId
    school_id: SchoolId
    title: str
    pupils: int = 0
    pupils_without_media_consent: int = 0
    active: bool = True
    version: int = 0

    @property
    def media_restricted(self) -> bool:
        """True if a pupil of this class is flagged "no media": clips that show the class
        may then be shared only with the teacher and their observer."""
        return self.pupils_without_media_consent > 0


@attrs.frozen
class TeachingLink:
    """A staff member teaches a class; kept (inactive) when the link ends."""

    id: str
    trust_id: TrustId
    school_id: SchoolId
    staff_id: StaffId
    class_id: str
    active: bool = True
    version: int = 0

    @staticmethod
    def key(class_id: str, staff_id: str) -> str:
        """The record id of the link between a class and a teacher."""
        return f"{class_id}/{staff_id}"


@attrs.frozen
class OutcomeAggregate:
    """One week of behaviour/rewards/homework totals of a class or year group."""

    id: str
    trust_id: TrustId
    school_id: SchoolId
    group_type: str
    group_id: str
    week_start: date
    pupils: int
    behaviour_incidents: int
    reward_points: int
    homework_set: int
    homework_completed: int
    version: int = 0

    @staticmethod
    def key(school_id: str, group_type: str, group_id: str, week_start: date) -> str:
        """The record id of one group's week."""
        return f"{school_id}:{group_type}:{group_id}:{week_start.isoformat()}"


@attrs.frozen
class ImportCounts:
    """What an import did to one dataset's records."""

    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        """Records written (created, updated or deactivated)."""
        return self.created + self.updated + self.deactivated


@attrs.frozen
class RosterImportSummary:
    """Per dataset, what an MIS import created, updated, deactivated or left alone."""

    counts: tuple[tuple[MisDataset, ImportCounts], ...]
    modes: tuple[tuple[MisDataset, FeedMode], ...] = ()

    def of(self, dataset: MisDataset) -> ImportCounts:
        """The counts of one dataset (zeros when it was not imported)."""
        return dict(self.counts).get(dataset, ImportCounts())

    def mode(self, dataset: MisDataset) -> FeedMode:
        """How the dataset was delivered."""
        return dict(self.modes).get(dataset, FeedMode.ABSENT)

    @property
    def changed(self) -> bool:
        """True if the import wrote anything."""
        return any(c.changed for _d, c in self.counts)


@attrs.frozen
class StaffRosterRow:
    """One line of the staff roster export: a person at one school (or the trust)."""

    sourced_id: str
    school_sourced_id: str
    given_name: str
    family_name: str
    email: str
    roles: tuple[str, ...]
    """Roles held there, in the MIS vocabulary, sorted."""
    active: bool

    @property
    def sort_key(self) -> tuple[str, ...]:
        """Export order: school, family name, given name, sourced id.

        Names compare as people read them (:func:`name_order`: accents, case and
        punctuation ignored, so "de Souza" sits among the Ds and "Ó Briain" among the Os);
        the exact spelling breaks remaining ties so the order is total.
        """
        return (
            self.school_sourced_id,
            name_order(self.family_name),
            name_order(self.given_name),
            self.sourced_id,
            self.family_name,
            self.given_name,
        )


def name_order(name: str) -> str:
    """``name`` as compared for ordering: no accents, no case, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c) and c.isalnum()).casefold()
