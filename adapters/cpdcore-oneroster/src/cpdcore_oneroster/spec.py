"""The files, columns and vocabularies of a OneRoster 1.2 CSV export that cpdcore reads.

Columns are listed in the order of the OneRoster 1.2 CSV binding. A *required* column
must be in the header and, on every row, hold a value (a delta row marked
``tobedeleted`` needs only its ``sourcedId``). Other columns may be left out; columns
the binding does not name (including ``metadata.*`` extensions) are ignored.

Three files are cpdcore's own, kept in the same folder because OneRoster has no place
for them: ``line_management.csv``, ``pupil_media_consent.csv`` and ``outcomes.csv``.
"""

from __future__ import annotations

import attrs

__all__ = [
    "ACADEMIC_SESSIONS",
    "CLASSES",
    "CLASS_TYPES",
    "COURSES",
    "DATA_FILES",
    "ENROLLMENTS",
    "ENROLLMENT_ROLES",
    "GROUP_TYPES",
    "LINE_MANAGEMENT",
    "MANIFEST",
    "MANIFEST_MODES",
    "NON_STAFF_ROLES",
    "ORGS",
    "ORG_TYPES",
    "OUTCOMES",
    "PUPIL_MEDIA_CONSENT",
    "ROLES",
    "ROLE_TYPES",
    "SESSION_TYPES",
    "STAFF_ROLES",
    "STATUSES",
    "USERS",
    "USER_ROLES",
    "FileSpec",
]


@attrs.frozen
class FileSpec:
    """One CSV file: its name, its columns in spec order and which of them are required.

    ``manifest_key`` is the ``file.*`` property of ``manifest.csv`` that says whether the
    file is delivered in bulk, as a delta or not at all; ``extension`` marks cpdcore's
    own files, which count as bulk when present and unlisted in the manifest.
    """

    name: str
    columns: tuple[str, ...]
    required: frozenset[str]
    manifest_key: str = ""
    extension: bool = False

    @property
    def required_in_order(self) -> tuple[str, ...]:
        """The required columns in spec order."""
        return tuple(c for c in self.columns if c in self.required)

    @property
    def accepted(self) -> str:
        """The column names, comma-separated, for error messages."""
        return ", ".join(self.columns)


def _spec(
    name: str, columns: str, required: str, key: str = "", *, extension: bool = False
) -> FileSpec:
    return FileSpec(
        name=name,
        columns=tuple(columns.split()),
        required=frozenset(required.split()),
        manifest_key=key,
        extension=extension,
    )


MANIFEST = _spec("manifest.csv", "propertyName value", "propertyName value")

ORGS = _spec(
    "orgs.csv",
    "sourcedId status dateLastModified name type identifier parentSourcedId",
    "sourcedId name type",
    "file.orgs",
)
USERS = _spec(
    "users.csv",
    "sourcedId status dateLastModified enabledUser username userIds givenName familyName "
    "middleName identifier email sms phone agentSourcedIds grades password "
    "userMasterIdentifier resourceSourcedIds preferredGivenName preferredMiddleName "
    "preferredFamilyName primaryOrgSourcedId pronouns",
    "sourcedId enabledUser username givenName familyName",
    "file.users",
)
ROLES = _spec(
    "roles.csv",
    "sourcedId status dateLastModified userSourcedId roleType role beginDate endDate "
    "orgSourcedId userProfileSourcedId",
    "sourcedId userSourcedId roleType role orgSourcedId",
    "file.roles",
)
ACADEMIC_SESSIONS = _spec(
    "academicSessions.csv",
    "sourcedId status dateLastModified title type startDate endDate parentSourcedId schoolYear",
    "sourcedId title type startDate endDate schoolYear",
    "file.academicSessions",
)
COURSES = _spec(
    "courses.csv",
    "sourcedId status dateLastModified schoolYearSourcedId title courseCode grades "
    "orgSourcedId subjects subjectCodes",
    "sourcedId title orgSourcedId",
    "file.courses",
)
CLASSES = _spec(
    "classes.csv",
    "sourcedId status dateLastModified title grades courseSourcedId classCode classType "
    "location schoolSourcedId termSourcedIds subjects subjectCodes periods",
    "sourcedId title courseSourcedId classType schoolSourcedId termSourcedIds",
    "file.classes",
)
ENROLLMENTS = _spec(
    "enrollments.csv",
    "sourcedId status dateLastModified classSourcedId schoolSourcedId userSourcedId role "
    "primary beginDate endDate",
    "sourcedId classSourcedId schoolSourcedId userSourcedId role",
    "file.enrollments",
)
LINE_MANAGEMENT = _spec(
    "line_management.csv",
    "appraisee_sourced_id appraiser_sourced_id academic_year",
    "appraisee_sourced_id appraiser_sourced_id academic_year",
    "file.line_management",
    extension=True,
)
PUPIL_MEDIA_CONSENT = _spec(
    "pupil_media_consent.csv",
    "pupil_sourced_id class_sourced_id media_consent",
    "pupil_sourced_id class_sourced_id media_consent",
    "file.pupil_media_consent",
    extension=True,
)
OUTCOMES = _spec(
    "outcomes.csv",
    "school_sourced_id group_type group_id week_start pupils behaviour_incidents "
    "reward_points homework_set homework_completed",
    "school_sourced_id group_type group_id week_start pupils behaviour_incidents "
    "reward_points homework_set homework_completed",
    "file.outcomes",
    extension=True,
)

DATA_FILES: tuple[FileSpec, ...] = (
    ORGS,
    USERS,
    ROLES,
    ACADEMIC_SESSIONS,
    COURSES,
    CLASSES,
    ENROLLMENTS,
    LINE_MANAGEMENT,
    PUPIL_MEDIA_CONSENT,
    OUTCOMES,
)
"""Every data file cpdcore reads, in the order they are read."""

MANIFEST_MODES = ("bulk", "delta", "absent")
STATUSES = ("active", "tobedeleted")
ORG_TYPES = ("department", "district", "local", "national", "school", "state")
ROLE_TYPES = ("primary", "secondary")
STAFF_ROLES = (
    "administrator",
    "aide",
    "counselor",
    "districtAdministrator",
    "principal",
    "proctor",
    "siteAdministrator",
    "systemAdministrator",
    "teacher",
)
"""Roles that make a person staff. ``administrator`` is OneRoster 1.1's word, still
accepted; 1.2 splits it into district, site and system administrators."""
NON_STAFF_ROLES = ("guardian", "parent", "relative", "student")
USER_ROLES = tuple(sorted(STAFF_ROLES + NON_STAFF_ROLES, key=str.lower))
ENROLLMENT_ROLES = ("administrator", "proctor", "student", "teacher")
CLASS_TYPES = ("homeroom", "scheduled")
SESSION_TYPES = ("gradingPeriod", "semester", "schoolYear", "term")
GROUP_TYPES = ("class", "year")
