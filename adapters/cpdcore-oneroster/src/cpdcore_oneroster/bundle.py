"""A OneRoster 1.2 CSV export read from a folder and checked as a whole.

:func:`read_bundle` reads ``manifest.csv`` and every file it delivers, checks each row and
every reference between files, and either returns a :class:`OneRosterBundle` (the export
as :mod:`cpdcore.domain.roster` records) or raises one
:class:`~cpdcore.errors.ValidationError` listing every problem as ``file:line``.

References are checked inside the export when the referenced file is a full snapshot
(bulk); in a delta the record may already be in cpdcore, so the import use case checks
it against the store instead.
"""

from __future__ import annotations

import gc
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import attrs

from cpdcore.domain.line_management import parse_academic_year
from cpdcore.domain.roster import (
    FeedMode,
    LineManagementRow,
    MisClass,
    MisDataset,
    MisOrg,
    MisOrgKind,
    MisStaff,
    MisStaffRole,
    OutcomeWeek,
    PupilMediaConsent,
    TeacherClassLink,
)
from cpdcore.errors import Problem, ValidationError
from cpdcore_oneroster import spec
from cpdcore_oneroster.spec import FileSpec
from cpdcore_oneroster.tables import Row, Table, read_table

__all__ = ["OneRosterBundle", "ReadProgress", "read_bundle"]

ReadProgress = Callable[[str, int, int], None]

_YEAR = re.compile(r"^\d{4}$")
_STAFF = frozenset(spec.STAFF_ROLES)
_NON_STAFF = frozenset(spec.NON_STAFF_ROLES)
_ROLE_TYPES = frozenset(spec.ROLE_TYPES)
_USER_ROLES = frozenset(spec.USER_ROLES)
_PLACES = frozenset({"school", "district"})
_MAX_ORG_DEPTH = 20


@attrs.frozen
class OneRosterBundle:
    """A checked export: how each file was delivered and what it says."""

    file_modes: Mapping[str, str]
    """``bulk``, ``delta`` or ``absent`` per file name."""
    modes: Mapping[MisDataset, FeedMode]
    orgs: tuple[MisOrg, ...] = ()
    staff: tuple[MisStaff, ...] = ()
    classes: tuple[MisClass, ...] = ()
    links: tuple[TeacherClassLink, ...] = ()
    media_consent: Mapping[str, tuple[PupilMediaConsent, ...]] = attrs.field(factory=dict)
    outcomes: tuple[OutcomeWeek, ...] = ()
    line_management: tuple[LineManagementRow, ...] = ()
    rows_read: Mapping[str, int] = attrs.field(factory=dict)


class _User(NamedTuple):
    # A named tuple, not an attrs class: one is made per user row, and there can be
    # a hundred thousand of them.
    row: Row
    given_name: str
    family_name: str
    email: str
    active: bool


@attrs.frozen
class _Class:
    row: Row
    school: str
    title: str
    active: bool


def _mode(text: str) -> FeedMode:
    return FeedMode(text)


def _combine(*modes: str) -> FeedMode:
    """One dataset fed by several files: a full snapshot only if all are."""
    if all(m == "absent" for m in modes):
        return FeedMode.ABSENT
    if all(m == "bulk" for m in modes):
        return FeedMode.BULK
    return FeedMode.DELTA


class _BundleReader:
    """Reads and checks one folder; collects problems instead of stopping at the first."""

    def __init__(self, folder: Path, progress: ReadProgress) -> None:
        self.folder = folder
        self.progress = progress
        self.problems: list[Problem] = []
        self.file_modes: dict[str, str] = {}
        self.tables: dict[str, Table] = {}
        # Ids whose own rows had problems: references to them are not reported again.
        self.doubtful_users: set[str] = set()
        self.doubtful_classes: set[str] = set()

    # Generic field checks --------------------------------------------------------------
    def _add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def _bulk(self, file: FileSpec) -> bool:
        return self.file_modes.get(file.name) == "bulk" and file.name in self.tables

    def _deleted(self, row: Row, file: FileSpec) -> bool:
        """Check ``status``/``dateLastModified``; true if the row is marked tobedeleted."""
        delta = self.file_modes.get(file.name) == "delta"
        status = row.get("status")
        if not (status or delta or row.get("dateLastModified")):
            return False  # the usual bulk row: nothing to check
        if status and status not in spec.STATUSES:
            self._add(row.problem("status", _not_one_of(status, spec.STATUSES)))
        elif delta and not status:
            self._add(
                row.problem("status", "is empty; a delta file must say active or tobedeleted")
            )
        modified = row.get("dateLastModified")
        if modified:
            try:
                datetime.fromisoformat(modified)
            except ValueError:
                self._add(
                    row.problem(
                        "dateLastModified",
                        f"{modified!r} is not an ISO 8601 date-time such as 2026-09-01T08:00:00Z",
                    )
                )
        elif delta:
            self._add(row.problem("dateLastModified", "is empty; a delta file must fill it"))
        return status == "tobedeleted"

    def _required(self, row: Row, columns: tuple[str, ...], deleted: bool) -> None:
        for column in columns:
            if row.get(column):
                continue
            if deleted and column != "sourcedId":
                continue  # a record being withdrawn needs only its id
            self._add(row.problem(column, "is empty; a value is required"))

    def _enum(
        self, row: Row, column: str, accepted: tuple[str, ...], *, extensible: bool = True
    ) -> str | None:
        value = row.get(column)
        if not value:
            return None
        if value in accepted or (extensible and value.startswith("ext:") and len(value) > 4):
            return value
        more = " or ext:<name>" if extensible else ""
        self._add(row.problem(column, _not_one_of(value, accepted) + more))
        return None

    def _bool(self, row: Row, column: str, yes: str = "true", no: str = "false") -> bool | None:
        value = row.get(column)
        if not value:
            return None
        if value.lower() in (yes, no):
            return value.lower() == yes
        self._add(row.problem(column, f"{value!r} is not {yes} or {no}"))
        return None

    def _date(self, row: Row, column: str) -> date | None:
        value = row.get(column)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self._add(row.problem(column, f"{value!r} is not a date written YYYY-MM-DD"))
            return None

    def _count(self, row: Row, column: str) -> int:
        value = row.get(column)
        if value.isdigit():
            return int(value)
        if value:
            self._add(row.problem(column, f"{value!r} is not a whole number of 0 or more"))
        return 0

    def _first(self, row: Row, column: str, key: object, seen: dict[object, int]) -> bool:
        """True the first time ``key`` is seen; a problem naming the earlier line after."""
        earlier = seen.get(key)
        if earlier is not None:
            self._add(row.problem(column, f"{row.get(column)!r} is already on line {earlier}"))
            return False
        seen[key] = row.line
        return True

    def _rows(self, file: FileSpec) -> Iterable[tuple[Row, bool]]:
        """Rows of a delivered file with their tobedeleted flag, after the common checks."""
        table = self.tables.get(file.name)
        if table is None:
            return []
        checked: list[tuple[Row, bool]] = []
        append = checked.append
        required = file.required_in_order
        # The usual row (no status, no date, every required field filled) is recognised
        # by reading cells directly; the checks that explain a problem run only otherwise.
        filled = _cells_at([table.position(column) for column in required])
        if file.extension:
            for row in table:
                if not all(filled(row.cells)):
                    self._required(row, required, False)
                append((row, False))
            return checked
        delta = self.file_modes.get(file.name) == "delta"
        status_at = table.position("status")
        modified_at = table.position("dateLastModified")
        for row in table:
            cells = row.cells
            deleted = False
            if delta or cells[status_at] or cells[modified_at]:
                deleted = self._deleted(row, file)
            if not all(filled(cells)):
                self._required(row, required, deleted)
            append((row, deleted))
        return checked

    # Manifest and files ----------------------------------------------------------------------
    def read_files(self) -> None:
        manifest = self.folder / spec.MANIFEST.name
        if not manifest.is_file():
            self._add(
                Problem(
                    spec.MANIFEST.name,
                    f"{manifest} is missing; a OneRoster export starts with manifest.csv "
                    "(propertyName,value) naming each file as bulk, delta or absent",
                )
            )
            return
        table = read_table(spec.MANIFEST, manifest, self.problems)
        if table is None:
            return
        properties = self._manifest_properties(table)
        files = spec.DATA_FILES
        for index, file in enumerate(files, 1):
            mode = self._file_mode(file, properties)
            self.file_modes[file.name] = mode
            if mode != "absent":
                read = read_table(file, self.folder / file.name, self.problems)
                if read is not None:
                    self.tables[file.name] = read
            self.progress(file.name, index, len(files))

    def _manifest_properties(self, table: Table) -> dict[str, tuple[str, Row]]:
        properties: dict[str, tuple[str, Row]] = {}
        seen: dict[object, int] = {}
        for row in table:
            name = row.get("propertyName")
            if not name or not self._first(row, "propertyName", name, seen):
                continue
            properties[name] = (row.get("value"), row)
        where = f"{spec.MANIFEST.name}:1"
        for name, accepted in (("manifest.version", "1.0"), ("oneroster.version", "1.2")):
            if name not in properties:
                self._add(Problem(where, f"property {name!r} is missing; write {name},{accepted}"))
                continue
            value, row = properties[name]
            if not value.startswith(accepted):
                self._add(row.problem("value", f"{name} is {value!r}; cpdcore reads {accepted}"))
        return properties

    def _file_mode(self, file: FileSpec, properties: Mapping[str, tuple[str, Row]]) -> str:
        present = (self.folder / file.name).is_file()
        if file.manifest_key not in properties:
            if file.extension:
                return "bulk" if present else "absent"
            if present:
                self._add(
                    Problem(
                        spec.MANIFEST.name,
                        f"{file.name} is in the folder but the manifest has no "
                        f"{file.manifest_key}; add {file.manifest_key},bulk (or delta, absent)",
                    )
                )
            return "absent"
        value, row = properties[file.manifest_key]
        if value not in spec.MANIFEST_MODES:
            self._add(row.problem("value", _not_one_of(value, spec.MANIFEST_MODES)))
            return "absent"
        if value != "absent" and not present:
            self._add(
                Problem(
                    row.where,
                    f"{file.manifest_key} is {value} but {file.name} is not in the folder",
                )
            )
            return "absent"
        return value

    # Organisations ---------------------------------------------------------------------------
    def orgs(self) -> tuple[list[MisOrg], dict[str, str], dict[str, str]]:
        """Districts and schools, plus every org's type and parent (for resolving roles)."""
        types: dict[str, str] = {}
        parents: dict[str, str] = {}
        emitted: list[MisOrg] = []
        seen: dict[object, int] = {}
        rows: list[tuple[Row, str]] = []
        for row, deleted in self._rows(spec.ORGS):
            sourced_id = row.get("sourcedId")
            org_type = self._enum(row, "type", spec.ORG_TYPES)
            if not sourced_id or not self._first(row, "sourcedId", sourced_id, seen):
                continue
            # An org with a bad type is still known, so references to it add no noise;
            # "" marks it unusable (its own row already carries the problem).
            types[sourced_id] = org_type or ""
            if row.get("parentSourcedId"):
                parents[sourced_id] = row.get("parentSourcedId")
            if org_type is not None and not deleted:
                rows.append((row, org_type))  # cpdcore never deletes a school
        districts = [row for row, kind in rows if kind == "district"]
        for extra in districts[1:]:
            self._add(
                extra.problem(
                    "type",
                    "a second district; one export feeds one trust, and "
                    f"{districts[0].get('sourcedId')!r} on line {districts[0].line} is it",
                )
            )
        for row, org_type in rows:
            parent = row.get("parentSourcedId")
            if parent and self._bulk(spec.ORGS) and parent not in types:
                self._add(row.problem("parentSourcedId", f"{parent!r} is not in orgs.csv"))
            if org_type in ("district", "school"):
                kind = MisOrgKind.TRUST if org_type == "district" else MisOrgKind.SCHOOL
                emitted.append(
                    MisOrg(row.get("sourcedId"), row.get("name"), kind, parent or None, row.where)
                )
        return emitted, types, parents

    def _place_of(
        self, row: Row, column: str, types: Mapping[str, str], parents: Mapping[str, str]
    ) -> str | None:
        """The school or district an org reference stands for (departments belong to their
        school); ``None`` after reporting a reference that cannot be used."""
        org = row.get(column)
        if org not in types:
            if self._bulk(spec.ORGS):
                self._add(row.problem(column, f"{org!r} is not in orgs.csv"))
                return None
            return org  # delivered earlier, perhaps: the import checks it against the store
        if not types[org]:
            return None
        current = org
        for _step in range(_MAX_ORG_DEPTH):
            kind = types.get(current)
            if kind in ("school", "district"):
                return current
            if kind != "department" or current not in parents:
                break
            current = parents[current]
        self._add(
            row.problem(
                column,
                f"{org!r} is a {types[org]}; roles and classes belong to a district, a school "
                "or a department of a school",
            )
        )
        return None

    # People -------------------------------------------------------------------------------------
    def users(self) -> dict[str, _User]:
        users: dict[str, _User] = {}
        seen: dict[object, int] = {}
        table = self.tables.get(spec.USERS.name)
        if table is None:
            return users
        at = table.position
        sourced_at, enabled_at = at("sourcedId"), at("enabledUser")
        given_at, family_at, email_at = at("givenName"), at("familyName"), at("email")
        for row, deleted in self._rows(spec.USERS):
            cells = row.cells
            sourced_id = cells[sourced_at]
            flag = cells[enabled_at]
            enabled = (
                True
                if flag == "true"
                else False
                if flag == "false"
                else self._bool(row, "enabledUser")
            )
            if not sourced_id or not self._first(row, "sourcedId", sourced_id, seen):
                continue
            users[sourced_id] = _User(
                row,
                cells[given_at],
                cells[family_at],
                cells[email_at],
                enabled is not False and not deleted,
            )
        return users

    def roles(
        self, users: Mapping[str, _User], types: Mapping[str, str], parents: Mapping[str, str]
    ) -> dict[str, list[MisStaffRole]]:
        by_user: dict[str, list[MisStaffRole]] = {}
        seen: dict[object, int] = {}
        table = self.tables.get(spec.ROLES.name)
        if table is None:
            return by_user
        users_bulk = self._bulk(spec.USERS)
        at = table.position
        role_type_at, role_at, user_at = at("roleType"), at("role"), at("userSourcedId")
        begin_at, end_at, org_at, sourced_at = (
            at("beginDate"),
            at("endDate"),
            at("orgSourcedId"),
            at("sourcedId"),
        )
        problems = self.problems
        # Valid values are recognised by a set lookup on the cell; the checks that
        # explain a problem run only for the others.
        for row, deleted in self._rows(spec.ROLES):
            cells = row.cells
            before = len(problems)
            role_type: str | None = cells[role_type_at]
            if role_type not in _ROLE_TYPES:
                role_type = self._enum(row, "roleType", spec.ROLE_TYPES, extensible=False)
            role: str | None = cells[role_at]
            if role not in _USER_ROLES:
                role = self._enum(row, "role", spec.USER_ROLES)
            if cells[begin_at] or cells[end_at]:
                begin, end = self._date(row, "beginDate"), self._date(row, "endDate")
                if begin and end and end < begin:
                    self._add(row.problem("endDate", f"{end} is before beginDate {begin}"))
            user = cells[user_at]
            if user and users_bulk and user not in users:
                self._add(row.problem("userSourcedId", f"{user!r} is not in users.csv"))
            org = cells[org_at]
            place: str | None = None
            if types.get(org) in _PLACES:
                place = org  # a school or the district itself: nothing to resolve
            elif org:
                place = self._place_of(row, "orgSourcedId", types, parents)
            sourced_id = cells[sourced_at]
            unique = bool(sourced_id) and self._first(row, "sourcedId", sourced_id, seen)
            if len(problems) > before or not unique or role is None or place is None:
                self.doubtful_users.add(user)
                continue
            by_user.setdefault(user, []).append(
                MisStaffRole(place, role, role_type == "primary", not deleted, row.where)
            )
        return by_user

    def staff(
        self, users: Mapping[str, _User], roles: Mapping[str, list[MisStaffRole]]
    ) -> tuple[list[MisStaff], FeedMode]:
        mode = _combine(self.file_modes[spec.USERS.name], self.file_modes[spec.ROLES.name])
        people: list[MisStaff] = []
        bulk = mode is FeedMode.BULK
        for sourced_id, user in users.items():
            given = roles.get(sourced_id, ())
            if bulk:
                held = [r for r in given if r.active and r.role not in _NON_STAFF]
                for r in held:
                    if r.role in _STAFF:
                        break
                else:
                    continue  # pupils, parents and people without a staff role
            else:
                held = [r for r in given if r.role not in _NON_STAFF]
                if given and not held:
                    continue  # only non-staff roles changed: a pupil or a parent
            people.append(
                MisStaff(
                    sourced_id,
                    user.given_name,
                    user.family_name,
                    user.email,
                    tuple(held),
                    user.active,
                    where=user.row.where,
                )
            )
        if mode is FeedMode.DELTA:
            for sourced_id, held_roles in roles.items():
                held = [r for r in held_roles if r.role not in spec.NON_STAFF_ROLES]
                if sourced_id not in users and held:
                    people.append(
                        MisStaff(
                            sourced_id,
                            "",
                            "",
                            roles=tuple(held),
                            has_details=False,
                            where=held[0].where,
                        )
                    )
        return people, mode

    # Classes and enrolments -----------------------------------------------------------------
    def sessions(self) -> set[str]:
        found: set[str] = set()
        seen: dict[object, int] = {}
        for row, _deleted in self._rows(spec.ACADEMIC_SESSIONS):
            self._enum(row, "type", spec.SESSION_TYPES)
            start, end = self._date(row, "startDate"), self._date(row, "endDate")
            if start and end and end < start:
                self._add(row.problem("endDate", f"{end} is before startDate {start}"))
            year = row.get("schoolYear")
            if year and not _YEAR.match(year):
                self._add(row.problem("schoolYear", f"{year!r} is not a year such as 2027"))
            sourced_id = row.get("sourcedId")
            if sourced_id and self._first(row, "sourcedId", sourced_id, seen):
                found.add(sourced_id)
        return found

    def courses(self, types: Mapping[str, str]) -> set[str]:
        found: set[str] = set()
        seen: dict[object, int] = {}
        for row, _deleted in self._rows(spec.COURSES):
            org = row.get("orgSourcedId")
            if org and self._bulk(spec.ORGS) and org not in types:
                self._add(row.problem("orgSourcedId", f"{org!r} is not in orgs.csv"))
            sourced_id = row.get("sourcedId")
            if sourced_id and self._first(row, "sourcedId", sourced_id, seen):
                found.add(sourced_id)
        return found

    def classes(
        self, types: Mapping[str, str], sessions: set[str], courses: set[str]
    ) -> dict[str, _Class]:
        found: dict[str, _Class] = {}
        seen: dict[object, int] = {}
        for row, deleted in self._rows(spec.CLASSES):
            before = len(self.problems)
            self._enum(row, "classType", spec.CLASS_TYPES)
            school = row.get("schoolSourcedId")
            if school and self._bulk(spec.ORGS) and types.get(school, "?") not in ("school", ""):
                what = "not in orgs.csv" if school not in types else f"a {types[school]}"
                self._add(row.problem("schoolSourcedId", f"{school!r} is {what}, not a school"))
            course = row.get("courseSourcedId")
            if course and self._bulk(spec.COURSES) and course not in courses:
                self._add(row.problem("courseSourcedId", f"{course!r} is not in courses.csv"))
            for term in _list(row.get("termSourcedIds")):
                if self._bulk(spec.ACADEMIC_SESSIONS) and term not in sessions:
                    self._add(
                        row.problem("termSourcedIds", f"{term!r} is not in academicSessions.csv")
                    )
            sourced_id = row.get("sourcedId")
            if sourced_id and self._first(row, "sourcedId", sourced_id, seen):
                # kept even with problems: enrolments naming it should not add noise
                found[sourced_id] = _Class(row, school, row.get("title"), not deleted)
                if len(self.problems) > before:
                    self.doubtful_classes.add(sourced_id)
        return found

    def enrollments(
        self,
        classes: Mapping[str, _Class],
        users: Mapping[str, _User],
        staff: set[str],
        staff_bulk: bool,
    ) -> tuple[list[TeacherClassLink], dict[str, set[str]]]:
        links: dict[tuple[str, str], TeacherClassLink] = {}
        pupils: dict[str, set[str]] = {}
        seen: dict[object, int] = {}
        classes_bulk = self._bulk(spec.CLASSES)
        for row, deleted in self._rows(spec.ENROLLMENTS):
            before = len(self.problems)
            role = self._enum(row, "role", spec.ENROLLMENT_ROLES)
            self._bool(row, "primary")
            begin, end = self._date(row, "beginDate"), self._date(row, "endDate")
            if begin and end and end < begin:
                self._add(row.problem("endDate", f"{end} is before beginDate {begin}"))
            class_id, user = row.get("classSourcedId"), row.get("userSourcedId")
            group = classes.get(class_id)
            if class_id and classes_bulk and group is None:
                self._add(row.problem("classSourcedId", f"{class_id!r} is not in classes.csv"))
            school = row.get("schoolSourcedId")
            doubtful = class_id in self.doubtful_classes
            if group is not None and school and school != group.school and not doubtful:
                self._add(
                    row.problem(
                        "schoolSourcedId",
                        f"{school!r} differs from the class's school {group.school!r}",
                    )
                )
            if user and self._bulk(spec.USERS) and user not in users:
                self._add(row.problem("userSourcedId", f"{user!r} is not in users.csv"))
            elif role == "teacher" and staff_bulk and user not in staff | self.doubtful_users:
                self._add(
                    row.problem(
                        "userSourcedId",
                        f"{user!r} teaches a class but holds no staff role in roles.csv",
                    )
                )
            sourced_id = row.get("sourcedId")
            unique = bool(sourced_id) and self._first(row, "sourcedId", sourced_id, seen)
            if not unique or len(self.problems) > before:
                continue
            if role == "teacher":
                key = (user, class_id)
                if key not in links or not deleted:
                    links[key] = TeacherClassLink(user, class_id, not deleted, row.where)
            elif role == "student" and not deleted:
                pupils.setdefault(class_id, set()).add(user)
        return list(links.values()), pupils

    # cpdcore's own files ---------------------------------------------------------------------
    def line_management(self, staff: set[str], staff_bulk: bool) -> list[LineManagementRow]:
        found: list[LineManagementRow] = []
        seen: dict[object, int] = {}
        for row, _deleted in self._rows(spec.LINE_MANAGEMENT):
            before = len(self.problems)
            appraisee = row.get("appraisee_sourced_id")
            appraiser = row.get("appraiser_sourced_id")
            year = row.get("academic_year")
            if year:
                try:
                    parse_academic_year(year)
                except ValidationError as exc:
                    self._add(row.problem("academic_year", exc.problems[0].message))
            for column, person in (
                ("appraisee_sourced_id", appraisee),
                ("appraiser_sourced_id", appraiser),
            ):
                if person and staff_bulk and person not in staff | self.doubtful_users:
                    self._add(row.problem(column, f"{person!r} is not a staff member in roles.csv"))
            if appraisee and appraisee == appraiser:
                self._add(
                    row.problem("appraiser_sourced_id", "a person cannot be their own appraiser")
                )
            if len(self.problems) > before or not (appraisee and appraiser and year):
                continue
            if self._first(row, "appraisee_sourced_id", (appraisee, year), seen):
                found.append(LineManagementRow(appraisee, appraiser, year, row.where))
        return found

    def media_consent(self, classes: Mapping[str, _Class]) -> dict[str, list[PupilMediaConsent]]:
        found: dict[str, list[PupilMediaConsent]] = {}
        seen: dict[object, int] = {}
        classes_bulk = self._bulk(spec.CLASSES)
        for row, _deleted in self._rows(spec.PUPIL_MEDIA_CONSENT):
            before = len(self.problems)
            allowed = self._bool(row, "media_consent", "yes", "no")
            pupil, class_id = row.get("pupil_sourced_id"), row.get("class_sourced_id")
            if class_id and classes_bulk and class_id not in classes:
                self._add(row.problem("class_sourced_id", f"{class_id!r} is not in classes.csv"))
            if len(self.problems) > before or allowed is None or not (pupil and class_id):
                continue
            if self._first(row, "pupil_sourced_id", (pupil, class_id), seen):
                found.setdefault(class_id, []).append(
                    PupilMediaConsent(pupil, class_id, allowed, row.where)
                )
        return found

    def outcomes(
        self, types: Mapping[str, str], classes: Mapping[str, _Class]
    ) -> list[OutcomeWeek]:
        found: list[OutcomeWeek] = []
        seen: dict[object, int] = {}
        for row, _deleted in self._rows(spec.OUTCOMES):
            before = len(self.problems)
            school = row.get("school_sourced_id")
            if school and self._bulk(spec.ORGS) and types.get(school, "?") not in ("school", ""):
                self._add(
                    row.problem("school_sourced_id", f"{school!r} is not a school in orgs.csv")
                )
            group_type = self._enum(row, "group_type", spec.GROUP_TYPES, extensible=False)
            group_id = row.get("group_id")
            if group_type == "class" and self._bulk(spec.CLASSES) and group_id not in classes:
                self._add(row.problem("group_id", f"{group_id!r} is not in classes.csv"))
            week = self._date(row, "week_start")
            pupils, incidents, points, set_, completed = (
                self._count(row, c) for c in spec.OUTCOMES.columns[4:]
            )
            if len(self.problems) > before or group_type is None or week is None:
                continue
            if self._first(row, "group_id", (school, group_type, group_id, week), seen):
                found.append(
                    OutcomeWeek(
                        school_sourced_id=school,
                        group_type=group_type,
                        group_id=group_id,
                        week_start=week,
                        pupils=pupils,
                        behaviour_incidents=incidents,
                        reward_points=points,
                        homework_set=set_,
                        homework_completed=completed,
                        where=row.where,
                    )
                )
        return found

    # The whole export -----------------------------------------------------------------------
    def read(self) -> OneRosterBundle:
        self.read_files()
        if not self.file_modes:
            raise ValidationError(self.problems)  # no usable manifest: nothing else to say
        orgs, types, parents = self.orgs()
        users = self.users()
        roles = self.roles(users, types, parents)
        staff, staff_mode = self.staff(users, roles)
        staff_ids = {s.sourced_id for s in staff}
        staff_bulk = self._bulk(spec.USERS) and self._bulk(spec.ROLES)
        sessions = self.sessions()
        courses = self.courses(types)
        classes = self.classes(types, sessions, courses)
        links, pupils = self.enrollments(classes, users, staff_ids, staff_bulk)
        line_management = self.line_management(staff_ids, staff_bulk)
        consent = self.media_consent(classes)
        outcomes = self.outcomes(types, classes)
        if self.problems:
            raise ValidationError(self.problems)
        fm = self.file_modes
        return OneRosterBundle(
            file_modes=dict(fm),
            modes={
                MisDataset.ORGS: _mode(fm[spec.ORGS.name]),
                MisDataset.STAFF: staff_mode,
                MisDataset.CLASSES: _mode(fm[spec.CLASSES.name]),
                MisDataset.CLASS_SIZES: _mode(fm[spec.ENROLLMENTS.name]),
                MisDataset.TEACHER_CLASSES: _mode(fm[spec.ENROLLMENTS.name]),
                MisDataset.LINE_MANAGEMENT: _mode(fm[spec.LINE_MANAGEMENT.name]),
                MisDataset.PUPIL_MEDIA_CONSENT: _mode(fm[spec.PUPIL_MEDIA_CONSENT.name]),
                MisDataset.OUTCOMES: _mode(fm[spec.OUTCOMES.name]),
            },
            orgs=tuple(orgs),
            staff=tuple(staff),
            classes=tuple(
                MisClass(
                    sourced_id,
                    group.school,
                    group.title,
                    len(pupils.get(sourced_id, ())),
                    group.active,
                    group.row.where,
                )
                for sourced_id, group in classes.items()
            ),
            links=tuple(links),
            media_consent={k: tuple(v) for k, v in consent.items()},
            outcomes=tuple(outcomes),
            line_management=tuple(line_management),
            rows_read={name: len(table) for name, table in self.tables.items()},
        )


def _not_one_of(value: str, accepted: Iterable[str]) -> str:
    return f"{value!r} is not one of {', '.join(accepted)}"


def _cells_at(positions: list[int]) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    """A function picking the cells at ``positions`` out of a row, as a tuple."""
    if len(positions) == 1:
        only = positions[0]
        return lambda cells: (cells[only],)
    if not positions:
        return lambda _cells: ()
    picker: Callable[[tuple[str, ...]], tuple[str, ...]] = operator.itemgetter(*positions)
    return picker


def _list(value: str) -> list[str]:
    """A OneRoster list field: ids separated by commas inside one quoted CSV field."""
    return [part.strip() for part in value.split(",") if part.strip()]


def read_bundle(folder: Path | str, progress: ReadProgress | None = None) -> OneRosterBundle:
    """Read and check the export in ``folder``.

    ``progress(file_name, files_done, files_total)`` is called after each file. Raises
    :class:`~cpdcore.errors.ValidationError` listing every problem when anything is
    wrong; then nothing of the export should be used.
    """
    path = Path(folder)
    if not path.is_dir():
        raise ValidationError.single(
            str(path), "is not a folder; give the folder holding manifest.csv"
        )
    with _collector_paused():
        return _BundleReader(path, progress or (lambda _f, _d, _t: None)).read()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while an export is read.

    Reading allocates hundreds of thousands of objects that stay alive (rows, roles,
    staff) and makes no reference cycles, yet the collector would rescan every live
    object again and again as they pile up: about half the reading time for 100,000
    staff. Reference counting still frees what is dropped; the collector resumes
    afterwards (if it was running), also when reading fails.
    """
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()
