"""Use cases that bring a school MIS export into cpdcore, and the staff roster back out.

:meth:`RosterUseCases.import_roster` reads every dataset of an :class:`~cpdcore.ports.MisSource`,
checks all of it against itself and the store, and writes the differences in one unit of
work: either the whole export is taken or nothing is. Records are matched by the MIS's
``sourced_id``, so importing the same export twice changes nothing. For speed with large
trusts it reads each record kind once, compares in memory and writes only what changed.

How OneRoster roles become cpdcore roles (:data:`ROLE_MEANINGS`); a role held at the
district (the trust) applies trust-wide, one held at a school applies there:

=====================  ==========================================
MIS role               cpdcore roles
=====================  ==========================================
teacher, aide          appraisee, observer
counselor, proctor     appraisee
principal              school leader, appraiser, observer, appraisee
siteAdministrator      school leader, appraiser, appraisee
districtAdministrator  trust leader (always trust-wide)
administrator          administrator
systemAdministrator    administrator
=====================  ==========================================

``student``, ``parent``, ``guardian`` and ``relative`` are never staff: a person holding
only those roles is not imported. Other values (``ext:...``) are kept in
:attr:`~cpdcore.domain.organisation.StaffMember.mis_roles` without a cpdcore meaning.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from functools import partial
from typing import Any, TypeVar

import attrs

from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.line_management import AppraiserAssignment, academic_year_of
from cpdcore.domain.organisation import Role, RoleAssignment, School, StaffMember, Trust
from cpdcore.domain.roster import (
    ClassGroup,
    FeedMode,
    ImportCounts,
    LineManagementRow,
    MisClass,
    MisDataset,
    MisOrg,
    MisOrgKind,
    MisStaff,
    MisStaffRole,
    OutcomeAggregate,
    OutcomeWeek,
    RosterImportSummary,
    StaffRosterRow,
    TeacherClassLink,
    TeachingLink,
)
from cpdcore.errors import Problem, ValidationError
from cpdcore.ports import MisSource, Record, Repository
from cpdcore.services.context import Transaction, UseCases

__all__ = [
    "NON_STAFF_ROLES",
    "ROLE_MEANINGS",
    "ImportProgress",
    "RosterUseCases",
    "cpd_roles_for",
]

ROLE_MEANINGS: Mapping[str, tuple[Role, ...]] = {
    "teacher": (Role.APPRAISEE, Role.OBSERVER),
    "aide": (Role.APPRAISEE, Role.OBSERVER),
    "counselor": (Role.APPRAISEE,),
    "proctor": (Role.APPRAISEE,),
    "principal": (Role.SCHOOL_LEADER, Role.APPRAISER, Role.OBSERVER, Role.APPRAISEE),
    "siteAdministrator": (Role.SCHOOL_LEADER, Role.APPRAISER, Role.APPRAISEE),
    "districtAdministrator": (Role.TRUST_LEADER,),
    "administrator": (Role.ADMINISTRATOR,),
    "systemAdministrator": (Role.ADMINISTRATOR,),
}
"""What each staff role of the OneRoster vocabulary lets a person do in cpdcore."""

NON_STAFF_ROLES = frozenset({"student", "parent", "guardian", "relative"})
"""OneRoster roles that never make a person staff."""

_TRUST_WIDE = frozenset({"districtAdministrator"})

# When a staff member was created by hand (no MIS roles), the export still speaks the MIS
# vocabulary: each cpdcore role is shown as the MIS role closest to it.
_MIS_NAME_FOR: Mapping[Role, str] = {
    Role.TRUST_LEADER: "districtAdministrator",
    Role.SCHOOL_LEADER: "principal",
    Role.ADMINISTRATOR: "systemAdministrator",
    Role.APPRAISEE: "teacher",
}

_IMPORTERS = frozenset({Role.ADMINISTRATOR, Role.TRUST_LEADER})
_READ_PAGE = 50_000
_WRITE_BATCH = 5_000

ImportProgress = Callable[[str, int, int], None]
"""Called as ``progress(step, done, total)`` while an import runs (e.g. for a progress bar)."""

R = TypeVar("R", bound=Record)
_RoleKey = tuple[str, str, bool, bool]
"""A MIS role as (org, role, primary, active)."""


def cpd_roles_for(
    mis_role: MisStaffRole, trust_id: TrustId, school_of: Mapping[str, SchoolId]
) -> list[RoleAssignment]:
    """The cpdcore role assignments one MIS role grants.

    ``school_of`` maps school sourced ids to school ids; a role held at the trust's own
    org (or a trust-wide role such as ``districtAdministrator``) applies trust-wide.
    """
    meanings = ROLE_MEANINGS.get(mis_role.role, ())
    if mis_role.role in _TRUST_WIDE or mis_role.org_sourced_id == trust_id:
        scope: SchoolId | None = None
    else:
        scope = school_of.get(mis_role.org_sourced_id)
        if scope is None:
            return []
    return [RoleAssignment(role, scope) for role in meanings]


def _read_all(repo: Repository[R], trust_id: TrustId) -> list[R]:
    """Every record of a kind, in large pages (an import reads each kind once)."""
    items: list[R] = []
    after: str | None = None
    while True:
        page = repo.list(trust_id, after=after, limit=_READ_PAGE)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        after = page.next_cursor


def _unique(items: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(items))


def _place(where: str, fallback: str) -> str:
    return where or fallback


@attrs.define
class _Counter:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0

    def frozen(self) -> ImportCounts:
        return ImportCounts(self.created, self.updated, self.deactivated, self.unchanged)


@attrs.frozen
class _Feed:
    """Everything the source delivered, read once before the transaction starts."""

    modes: Mapping[MisDataset, FeedMode]
    orgs: tuple[MisOrg, ...]
    staff: tuple[MisStaff, ...]
    classes: tuple[MisClass, ...]
    links: tuple[TeacherClassLink, ...]
    line_management: tuple[LineManagementRow, ...]
    outcomes: tuple[OutcomeWeek, ...]

    def mode(self, dataset: MisDataset) -> FeedMode:
        return self.modes[dataset]


def _read_feed(source: MisSource, progress: ImportProgress) -> _Feed:
    declared = source.modes()
    modes = {d: declared.get(d, FeedMode.BULK) for d in MisDataset}

    def take(dataset: MisDataset, read: Callable[[], Iterable[Any]]) -> tuple[Any, ...]:
        if modes[dataset] is FeedMode.ABSENT:
            return ()
        items = tuple(read())
        progress(f"read {dataset.value}", len(items), len(items))
        return items

    return _Feed(
        modes=modes,
        orgs=take(MisDataset.ORGS, source.orgs),
        staff=take(MisDataset.STAFF, source.staff),
        classes=take(MisDataset.CLASSES, source.classes),
        links=take(MisDataset.TEACHER_CLASSES, source.teacher_classes),
        line_management=take(MisDataset.LINE_MANAGEMENT, source.line_management),
        outcomes=take(MisDataset.OUTCOMES, source.outcomes),
    )


class _RosterImport:
    """One import: checks every dataset, then writes the differences through ``tx``."""

    def __init__(
        self, tx: Transaction, feed: _Feed, source: MisSource, progress: ImportProgress
    ) -> None:
        self.tx = tx
        self.feed = feed
        self.source = source
        self.progress = progress
        self.trust_id = tx.actor.trust_id
        self.today = tx.now.date()
        self.problems: list[Problem] = []
        self.counts: dict[MisDataset, _Counter] = {}
        self.writes: list[Callable[[], object]] = []
        self.new_records: dict[type[Any], tuple[Any, list[Any]]] = {}
        # A trust holds few distinct (org, role) pairs and role sets, so what they mean
        # is worked out once per import, not once per person.
        self.meanings: dict[tuple[str, str], tuple[RoleAssignment, ...]] = {}
        self.role_sets: dict[tuple[tuple[str, str], ...], tuple[RoleAssignment, ...]] = {}
        self.stored_roles: dict[tuple[_RoleKey, ...], tuple[MisStaffRole, ...]] = {}

    # Bookkeeping -------------------------------------------------------------------------
    def _count(self, dataset: MisDataset) -> _Counter:
        return self.counts.setdefault(dataset, _Counter())

    def _add(self, dataset: MisDataset, repo: Repository[R], record: R) -> None:
        self._count(dataset).created += 1
        queue = self.new_records.get(type(record))
        if queue is None:
            queue = self.new_records[type(record)] = (repo, [])
        queue[1].append(record)

    def _update(
        self, dataset: MisDataset, repo: Repository[R], old: R, new: R, *, deactivates: bool
    ) -> None:
        if new is old or new == old:
            self._count(dataset).unchanged += 1
            return
        counter = self._count(dataset)
        if deactivates:
            counter.deactivated += 1
        else:
            counter.updated += 1
        self.writes.append(partial(repo.update, new))

    def write(self, progress: ImportProgress) -> None:
        """Store every new record and change, new records kind by kind in batches."""
        total = sum(len(q) for _r, q in self.new_records.values()) + len(self.writes)
        done = 0
        for repo, queued in self.new_records.values():
            # Stores that can insert many rows in one statement say so with add_many
            # (beyond the Repository port); the others get one add per record.
            add_many = getattr(repo, "add_many", None)
            for start in range(0, len(queued), _WRITE_BATCH):
                batch = queued[start : start + _WRITE_BATCH]
                if callable(add_many):
                    add_many(batch)
                else:
                    for record in batch:
                        repo.add(record)
                done += len(batch)
                progress("write", done, total)
        for index, change in enumerate(self.writes, 1):
            change()
            if index % _WRITE_BATCH == 0:
                progress("write", done + index, total)
        progress("write", total, total)

    def _problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    # Organisations -------------------------------------------------------------------------
    def orgs(self) -> dict[str, SchoolId]:
        """Upsert the trust and schools; return every known school by sourced id."""
        dataset = MisDataset.ORGS
        trust_repo = self.tx.repo(Trust)
        school_repo = self.tx.repo(School)
        existing: dict[str, School] = {s.id: s for s in _read_all(school_repo, self.trust_id)}
        trusts = [o for o in self.feed.orgs if o.kind is MisOrgKind.TRUST]
        for extra in trusts[1:]:
            self._problem(
                _place(extra.where, f"orgs[{extra.sourced_id}]"),
                f"a second district {extra.sourced_id!r}; one export feeds one trust "
                f"(the first district is {trusts[0].sourced_id!r})",
            )
        trust_org = trusts[0] if trusts else None
        if trust_org is not None and trust_org.sourced_id != self.trust_id:
            self._problem(
                _place(trust_org.where, f"orgs[{trust_org.sourced_id}]"),
                f"the district {trust_org.sourced_id!r} is not the trust being imported "
                f"into ({self.trust_id!r}); import it as that trust",
            )
        stored_trust = trust_repo.find(self.trust_id, self.trust_id)
        if stored_trust is None:
            name = trust_org.name if trust_org is not None else self.trust_id
            self._add(dataset, trust_repo, Trust(id=self.trust_id, name=name))
        elif trust_org is not None:
            self._update(
                dataset,
                trust_repo,
                stored_trust,
                attrs.evolve(stored_trust, name=trust_org.name),
                deactivates=False,
            )
        known: dict[str, SchoolId] = {school_id: SchoolId(school_id) for school_id in existing}
        seen: dict[str, str] = {}
        for org in self.feed.orgs:
            if org.kind is not MisOrgKind.SCHOOL:
                continue
            where = _place(org.where, f"orgs[{org.sourced_id}]")
            if org.sourced_id in seen:
                self._problem(where, f"school {org.sourced_id!r} is listed twice")
                continue
            seen[org.sourced_id] = where
            if not org.name.strip():
                self._problem(where, f"school {org.sourced_id!r} has no name")
                continue
            known[org.sourced_id] = SchoolId(org.sourced_id)
            old = existing.get(org.sourced_id)
            if old is None:
                school = School(id=SchoolId(org.sourced_id), trust_id=self.trust_id, name=org.name)
                self._add(dataset, school_repo, school)
            else:
                new = attrs.evolve(old, name=org.name)
                self._update(dataset, school_repo, old, new, deactivates=False)
        return known

    # Staff ---------------------------------------------------------------------------------
    def staff(self, schools: Mapping[str, SchoolId]) -> set[str]:
        """Upsert staff; return the sourced ids of every staff member known afterwards."""
        dataset = MisDataset.STAFF
        mode = self.feed.mode(dataset)
        repo = self.tx.repo(StaffMember)
        stored = _read_all(repo, self.trust_id)
        by_sourced = {s.sourced_id: s for s in stored if s.sourced_id is not None}
        taken_ids = {s.id for s in stored}
        known = set(by_sourced)
        listed: set[str] = set()
        total = len(self.feed.staff)
        for index, person in enumerate(self.feed.staff):
            where = person.where or f"staff[{person.sourced_id}]"
            if person.sourced_id in listed:
                self._problem(where, f"staff member {person.sourced_id!r} is listed twice")
                continue
            listed.add(person.sourced_id)
            self._check_role_orgs(person, schools, where)
            old = by_sourced.get(person.sourced_id)
            if old is None:
                created = self._new_staff(person, schools, where, taken_ids)
                if created is not None:
                    known.add(person.sourced_id)
                    self._add(dataset, repo, created)
            else:
                new = self._changed_staff(old, person, schools, mode)
                self._update(dataset, repo, old, new, deactivates=old.active and not new.active)
            if index % 5000 == 0:
                self.progress("staff", index, total)
        if mode is FeedMode.BULK:
            for sourced_id, old in by_sourced.items():
                if sourced_id not in listed and old.active:
                    new = attrs.evolve(old, active=False)
                    self._update(dataset, repo, old, new, deactivates=True)
        self.progress("staff", total, total)
        return known

    def _check_role_orgs(
        self, person: MisStaff, schools: Mapping[str, SchoolId], where: str
    ) -> None:
        for role in person.roles:
            if role.org_sourced_id != self.trust_id and role.org_sourced_id not in schools:
                self._problem(
                    _place(role.where, where),
                    f"role {role.role!r} of {person.sourced_id!r} is at org "
                    f"{role.org_sourced_id!r}, which is neither the trust nor a known school",
                )

    def _mis_roles(self, roles: Iterable[MisStaffRole]) -> tuple[MisStaffRole, ...]:
        """The active staff roles, one per (org, role) in that order, as stored (without
        ``where``). Many people hold the same roles, so each combination is worked out
        once and its (frozen) result shared."""
        given = tuple((r.org_sourced_id, r.role, r.primary, r.active) for r in roles)
        stored = self.stored_roles.get(given)
        if stored is None:
            kept = {
                (org, role): primary
                for org, role, primary, active in given
                if active and role not in NON_STAFF_ROLES
            }
            stored = tuple(MisStaffRole(org, role, kept[org, role]) for org, role in sorted(kept))
            self.stored_roles[given] = stored
        return stored

    def _cpd_roles(
        self,
        manual: Iterable[RoleAssignment],
        mis_roles: Iterable[MisStaffRole],
        schools: Mapping[str, SchoolId],
    ) -> tuple[RoleAssignment, ...]:
        keys = tuple((role.org_sourced_id, role.role) for role in mis_roles)
        derived = self.role_sets.get(keys)
        if derived is None:
            mapped: list[RoleAssignment] = []
            for role, key in zip(mis_roles, keys, strict=True):
                meaning = self.meanings.get(key)
                if meaning is None:
                    meaning = tuple(cpd_roles_for(role, self.trust_id, schools))
                    self.meanings[key] = meaning
                mapped.extend(meaning)
            derived = self.role_sets[keys] = _unique(mapped)
        return _unique([*manual, *derived]) if manual else derived

    def _new_staff(
        self,
        person: MisStaff,
        schools: Mapping[str, SchoolId],
        where: str,
        taken_ids: set[StaffId],
    ) -> StaffMember | None:
        if not person.has_details:
            self._problem(
                where,
                f"roles changed for {person.sourced_id!r}, who is not in this export's users "
                "and was never imported; send the user as well",
            )
            return None
        mis_roles = self._mis_roles(person.roles)
        if not mis_roles:
            return None  # pupils, parents and people without a staff role stay out
        if person.sourced_id in taken_ids:
            self._problem(
                where,
                f"staff id {person.sourced_id!r} already belongs to a staff member added by "
                "hand without this MIS sourced id; give that record its sourced id first",
            )
            return None
        try:
            return StaffMember(
                id=StaffId(person.sourced_id),
                trust_id=self.trust_id,
                given_name=person.given_name,
                family_name=person.family_name,
                email=person.email,
                roles=self._cpd_roles((), mis_roles, schools),
                active=person.active,
                sourced_id=person.sourced_id,
                mis_roles=mis_roles,
            )
        except ValidationError as exc:
            self.problems.extend(Problem(where, p.message) for p in exc.problems)
            return None

    def _changed_staff(
        self,
        old: StaffMember,
        person: MisStaff,
        schools: Mapping[str, SchoolId],
        mode: FeedMode,
    ) -> StaffMember:
        if mode is FeedMode.BULK:
            mis_roles = self._mis_roles(person.roles)
        else:
            merged = {(r.org_sourced_id, r.role): r for r in old.mis_roles}
            for change in person.roles:
                key = (change.org_sourced_id, change.role)
                if change.active:
                    merged[key] = change
                else:
                    merged.pop(key, None)
            mis_roles = self._mis_roles(merged.values())
        derived = set(self._cpd_roles((), old.mis_roles, schools))
        manual = [a for a in old.roles if a not in derived]
        changes: dict[str, Any] = {
            "mis_roles": mis_roles,
            "roles": self._cpd_roles(manual, mis_roles, schools),
        }
        if person.has_details:
            changes.update(
                given_name=person.given_name or old.given_name,
                family_name=person.family_name or old.family_name,
                email=person.email,
                active=person.active,
            )
        if not mis_roles:
            changes["active"] = False  # the MIS no longer gives them any staff role
        if all(getattr(old, name) == value for name, value in changes.items()):
            return old  # the usual re-import: nothing to rebuild
        return attrs.evolve(old, **changes)

    # Classes -------------------------------------------------------------------------------
    def classes(self, schools: Mapping[str, SchoolId]) -> dict[str, ClassGroup]:
        """Upsert classes, sizes and media-consent counts; return every known class."""
        dataset = MisDataset.CLASSES
        mode = self.feed.mode(dataset)
        sizes_known = self.feed.mode(MisDataset.CLASS_SIZES) is FeedMode.BULK
        touched = (dataset, MisDataset.CLASS_SIZES, MisDataset.PUPIL_MEDIA_CONSENT)
        if all(self.feed.mode(d) is FeedMode.ABSENT for d in touched):
            return {}  # nothing about classes was delivered: leave them unread
        repo = self.tx.repo(ClassGroup)
        existing = {c.id: c for c in _read_all(repo, self.trust_id)}
        result = dict(existing)
        listed: set[str] = set()
        for group in self.feed.classes:
            where = _place(group.where, f"classes[{group.sourced_id}]")
            if group.sourced_id in listed:
                self._problem(where, f"class {group.sourced_id!r} is listed twice")
                continue
            listed.add(group.sourced_id)
            school = schools.get(group.school_sourced_id)
            if school is None:
                self._problem(
                    where,
                    f"class {group.sourced_id!r} is at {group.school_sourced_id!r}, "
                    "which is not a known school",
                )
                continue
            old = existing.get(group.sourced_id)
            if old is None:
                result[group.sourced_id] = ClassGroup(
                    id=group.sourced_id,
                    trust_id=self.trust_id,
                    school_id=school,
                    title=group.title,
                    pupils=group.pupils,
                    active=group.active,
                )
            else:
                result[group.sourced_id] = attrs.evolve(
                    old,
                    school_id=school,
                    title=group.title,
                    pupils=group.pupils if sizes_known else old.pupils,
                    active=group.active,
                )
        if mode is FeedMode.BULK:
            for class_id, old in existing.items():
                if class_id not in listed and old.active:
                    result[class_id] = attrs.evolve(old, active=False)
        self._media_consent(result)
        for class_id, new in result.items():
            old = existing.get(class_id)
            if old is None:
                self._add(dataset, repo, new)
            else:
                self._update(dataset, repo, old, new, deactivates=old.active and not new.active)
        return result

    def _media_consent(self, classes: dict[str, ClassGroup]) -> None:
        """Count each class's pupils without media consent (never storing who they are)."""
        mode = self.feed.mode(MisDataset.PUPIL_MEDIA_CONSENT)
        if mode is FeedMode.ABSENT:
            return
        for class_id, group in classes.items():
            flags = self.source.pupil_media_consent(class_id)
            if not flags and mode is FeedMode.DELTA:
                continue
            without = len({f.pupil_sourced_id for f in flags if not f.media_allowed})
            classes[class_id] = attrs.evolve(group, pupils_without_media_consent=without)

    def links(self, staff: set[str], classes: Mapping[str, ClassGroup]) -> None:
        """Upsert who teaches which class."""
        dataset = MisDataset.TEACHER_CLASSES
        mode = self.feed.mode(dataset)
        if mode is FeedMode.ABSENT:
            return
        repo = self.tx.repo(TeachingLink)
        existing = {link.id: link for link in _read_all(repo, self.trust_id)}
        listed: set[str] = set()
        for link in self.feed.links:
            key = TeachingLink.key(link.class_sourced_id, link.staff_sourced_id)
            where = _place(link.where, f"teacher_classes[{key}]")
            group = classes.get(link.class_sourced_id)
            problems = len(self.problems)
            if link.staff_sourced_id not in staff:
                self._problem(
                    where, f"teacher {link.staff_sourced_id!r} is not a known staff member"
                )
            if group is None:
                self._problem(where, f"class {link.class_sourced_id!r} is not a known class")
            if len(self.problems) > problems or group is None or key in listed:
                continue
            listed.add(key)
            active = link.active
            old = existing.get(key)
            if old is None:
                new = TeachingLink(
                    id=key,
                    trust_id=self.trust_id,
                    school_id=group.school_id,
                    staff_id=StaffId(link.staff_sourced_id),
                    class_id=link.class_sourced_id,
                    active=active,
                )
                self._add(dataset, repo, new)
            else:
                new = attrs.evolve(old, school_id=group.school_id, active=active)
                self._update(dataset, repo, old, new, deactivates=old.active and not active)
        if mode is FeedMode.BULK:
            for key, old in existing.items():
                if key not in listed and old.active:
                    new = attrs.evolve(old, active=False)
                    self._update(dataset, repo, old, new, deactivates=True)

    # Line management -----------------------------------------------------------------------
    def line_management(self, staff: set[str]) -> None:
        """Open, change or close appraiser assignments as the MIS lists them."""
        dataset = MisDataset.LINE_MANAGEMENT
        rows = self.feed.line_management
        if not rows and self.feed.mode(dataset) is FeedMode.ABSENT:
            return
        repo = self.tx.repo(AppraiserAssignment)
        by_pair: dict[tuple[str, str], list[AppraiserAssignment]] = {}
        for assignment in _read_all(repo, self.trust_id):
            pair: tuple[str, str] = (assignment.appraisee_id, assignment.academic_year)
            by_pair.setdefault(pair, []).append(assignment)
        listed: set[tuple[str, str]] = set()
        for row in rows:
            where = _place(row.where, f"line_management[{row.appraisee_sourced_id}]")
            if not self._line_row_ok(row, staff, where, listed):
                continue
            pair = (row.appraisee_sourced_id, row.academic_year)
            listed.add(pair)
            self._apply_line(row, by_pair.get(pair, []), repo)
        if self.feed.mode(dataset) is FeedMode.BULK:
            years = {row.academic_year for row in rows}
            for (appraisee, year), assignments in by_pair.items():
                if year in years and (appraisee, year) not in listed:
                    self._close_mis_assignments(assignments, year, repo)

    def _line_row_ok(
        self,
        row: LineManagementRow,
        staff: set[str],
        where: str,
        listed: set[tuple[str, str]],
    ) -> bool:
        before = len(self.problems)
        for field, person in (
            ("appraisee_sourced_id", row.appraisee_sourced_id),
            ("appraiser_sourced_id", row.appraiser_sourced_id),
        ):
            if person not in staff:
                self._problem(where, f"field {field!r}: {person!r} is not a known staff member")
        if row.appraisee_sourced_id == row.appraiser_sourced_id:
            self._problem(where, "a person cannot be their own appraiser")
        if (row.appraisee_sourced_id, row.academic_year) in listed:
            self._problem(
                where,
                f"{row.appraisee_sourced_id!r} already has an appraiser for "
                f"{row.academic_year} earlier in the file",
            )
        return len(self.problems) == before

    def _closing_day(self, assignment: AppraiserAssignment) -> date:
        day = self.today - timedelta(days=1)
        if assignment.starts_on is not None and day < assignment.starts_on:
            return assignment.starts_on
        return day

    def _apply_line(
        self,
        row: LineManagementRow,
        assignments: Sequence[AppraiserAssignment],
        repo: Repository[AppraiserAssignment],
    ) -> None:
        dataset = MisDataset.LINE_MANAGEMENT
        current = [a for a in assignments if a.ends_on is None]
        if any(a.appraiser_id == row.appraiser_sourced_id for a in current):
            self._count(dataset).unchanged += 1
            return
        in_year = academic_year_of(self.today) == row.academic_year
        if current and not in_year:
            # A year not under way: nobody was appraised under the old assignment yet
            # (or the year is over), so correcting it in place keeps the history honest.
            first = current[0]
            new = attrs.evolve(first, appraiser_id=StaffId(row.appraiser_sourced_id))
            self._update(dataset, repo, first, new, deactivates=False)
            return
        for old in current:
            closed = attrs.evolve(old, ends_on=self._closing_day(old))
            self.writes.append(partial(repo.update, closed))
        self._add(
            dataset,
            repo,
            AppraiserAssignment(
                id=f"mis:{row.appraisee_sourced_id}:{row.academic_year}:{len(assignments) + 1}",
                trust_id=self.trust_id,
                appraisee_id=StaffId(row.appraisee_sourced_id),
                appraiser_id=StaffId(row.appraiser_sourced_id),
                academic_year=row.academic_year,
                starts_on=self.today if assignments and in_year else None,
            ),
        )

    def _close_mis_assignments(
        self,
        assignments: Sequence[AppraiserAssignment],
        year: str,
        repo: Repository[AppraiserAssignment],
    ) -> None:
        if year < academic_year_of(self.today):
            return  # a finished year's history stays as it was
        for old in assignments:
            if old.ends_on is None and old.id.startswith("mis:"):
                new = attrs.evolve(old, ends_on=self._closing_day(old))
                self._update(MisDataset.LINE_MANAGEMENT, repo, old, new, deactivates=True)

    # Outcomes ------------------------------------------------------------------------------
    def outcomes(self, schools: Mapping[str, SchoolId]) -> None:
        """Upsert weekly outcome aggregates (they are never deleted by an import)."""
        dataset = MisDataset.OUTCOMES
        if not self.feed.outcomes:
            return
        repo = self.tx.repo(OutcomeAggregate)
        existing = {o.id: o for o in _read_all(repo, self.trust_id)}
        seen: set[str] = set()
        for week in self.feed.outcomes:
            key = OutcomeAggregate.key(
                week.school_sourced_id, week.group_type, week.group_id, week.week_start
            )
            where = _place(week.where, f"outcomes[{key}]")
            school = schools.get(week.school_sourced_id)
            if school is None:
                self._problem(where, f"school {week.school_sourced_id!r} is not a known school")
                continue
            if key in seen:
                self._problem(where, f"the week {key!r} is listed twice")
                continue
            seen.add(key)
            new = OutcomeAggregate(
                id=key,
                trust_id=self.trust_id,
                school_id=school,
                group_type=week.group_type,
                group_id=week.group_id,
                week_start=week.week_start,
                pupils=week.pupils,
                behaviour_incidents=week.behaviour_incidents,
                reward_points=week.reward_points,
                homework_set=week.homework_set,
                homework_completed=week.homework_completed,
            )
            old = existing.get(key)
            if old is None:
                self._add(dataset, repo, new)
            else:
                self._update(
                    dataset, repo, old, attrs.evolve(new, version=old.version), deactivates=False
                )

    def summary(self) -> RosterImportSummary:
        counts = tuple((d, self.counts[d].frozen()) for d in MisDataset if d in self.counts)
        return RosterImportSummary(counts=counts, modes=tuple(self.feed.modes.items()))


class RosterUseCases(UseCases):
    """Bring an MIS export into the store; export the staff roster."""

    def import_roster(
        self,
        source: MisSource | None = None,
        *,
        progress: ImportProgress | None = None,
    ) -> RosterImportSummary:
        """Import an MIS export (default: the MIS this ``Cpd`` was opened with).

        All or nothing: every problem found in the export or against the store is
        reported together in one :class:`~cpdcore.errors.ValidationError`, and then
        nothing is written. Re-importing the same export writes nothing at all. Needs the
        administrator or trust leader role trust-wide (e.g. ``Actor.system(trust, "MIS
        import")``).
        """
        self._require(_IMPORTERS, None, "importing an MIS roster")
        report: ImportProgress = progress or (lambda _step, _done, _total: None)
        source = source if source is not None else self._mis
        with _collector_paused():
            return self._import_roster(source, report)

    def _import_roster(self, source: MisSource, report: ImportProgress) -> RosterImportSummary:
        feed = _read_feed(source, report)
        with self._transaction() as tx:
            run = _RosterImport(tx, feed, source, report)
            schools = run.orgs()
            staff = run.staff(schools)
            classes = run.classes(schools)
            run.links(staff, classes)
            run.line_management(staff)
            run.outcomes(schools)
            if run.problems:
                raise ValidationError(run.problems)
            run.write(report)
            summary = run.summary()
            if summary.changed:
                payload = {d.value: attrs.asdict(c) for d, c in summary.counts if c.changed}
                tx.audit("roster.imported", "MisSource", source.url, payload=payload)
                tx.emit("roster.imported", source.url)
        return summary

    def staff_roster(self) -> list[StaffRosterRow]:
        """Every staff member once per school (or the trust) they hold a role at.

        Roles are given in the MIS vocabulary (OneRoster's); rows are ordered by school,
        family name, given name and sourced id.
        """
        self._require(_IMPORTERS | {Role.SCHOOL_LEADER}, None, "exporting the staff roster")
        with self._transaction() as tx:
            staff = _read_all(tx.repo(StaffMember), self.actor.trust_id)
        rows = [row for person in staff for row in _roster_rows(person)]
        return sorted(rows, key=lambda r: r.sort_key)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during an import.

    An import of a large trust builds and reads hundreds of thousands of records that
    stay alive until it ends and form no reference cycles; a running collector would
    rescan all of them again and again as they pile up (a third or more of a 100,000
    staff import). Reference counting still frees what is dropped; the collector
    resumes afterwards (if it was running), also when the import fails.
    """
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


def _roster_rows(person: StaffMember) -> list[StaffRosterRow]:
    at: dict[str, set[str]] = {}
    if person.mis_roles:
        for role in person.mis_roles:
            at.setdefault(role.org_sourced_id, set()).add(role.role)
    else:
        for assignment in person.roles:
            name = _MIS_NAME_FOR.get(assignment.role)
            if name is not None:
                org = assignment.school_id or person.trust_id
                at.setdefault(org, set()).add(name)
    return [
        StaffRosterRow(
            sourced_id=person.sourced_id or person.id,
            school_sourced_id=org,
            given_name=person.given_name,
            family_name=person.family_name,
            email=person.email,
            roles=tuple(sorted(roles)),
            active=person.active,
        )
        for org, roles in at.items()
    ]
