"""Abstract conformance suites for storage, media and MIS adapters.

Each class is a pytest test class without the ``Test`` prefix, so it is only collected
through a subclass that supplies the adapter fixture. The tests state the port's contract:
an adapter that passes them can be used by every cpdcore use case.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest

from cpdcore.domain.audit import AuditEntry, chain_entry, verify_chain
from cpdcore.domain.identifiers import DepartmentId, MediaId, SchoolId, StaffId, TrustId
from cpdcore.domain.media import MediaKind
from cpdcore.domain.organisation import (
    Department,
    Role,
    RoleAssignment,
    School,
    StaffMember,
    Trust,
)
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
from cpdcore.errors import ConcurrencyConflict, NotFound, ValidationError
from cpdcore.ports import MediaStore, MisSource, Storage

__all__ = [
    "MediaStoreConformance",
    "MisSample",
    "MisSourceConformance",
    "StorageConformance",
    "sample_mis",
]

T1 = TrustId("trust-north")
T2 = TrustId("trust-south")
AT = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)

# Smallest valid-looking headers for each accepted type (magic numbers, then padding).
PNG_HEAD = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56
JPEG_HEAD = b"\xff\xd8\xff\xe0" + b"\x00" * 60
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 40
PDF_HEAD = b"%PDF-1.7\n" + b"\x00" * 55


def _staff(trust: TrustId, n: int, **changes: Any) -> StaffMember:
    base = StaffMember(
        id=StaffId(f"staff-{n:04d}"),
        trust_id=trust,
        given_name="Zoë",
        family_name=f"O'Brien-{n}",
        email=f"s{n}@example.org",
        roles=(
            RoleAssignment(Role.APPRAISEE, SchoolId("school-a")),
            RoleAssignment(Role.OBSERVER, None),
        ),
        departments=(DepartmentId("dept-sci"),),
        sourced_id=f"mis-{n}",
    )
    return attrs.evolve(base, **changes)


class StorageConformance:
    """The :class:`~cpdcore.ports.Storage` contract. Provide a ``storage`` fixture that
    yields an empty store (schema created) and cleans it up afterwards."""

    supports_concurrent_units_of_work: ClassVar[bool] = True
    """Two units of work may be open at once (false only for strictly serial stores)."""

    @pytest.fixture
    def storage(self) -> Iterator[Storage]:
        """Override: yield an empty store of your adapter."""
        raise NotImplementedError("subclass StorageConformance and provide a storage fixture")

    # -- helpers ----------------------------------------------------------------------
    def _seed(self, storage: Storage, *records: Any) -> list[Any]:
        with storage.unit_of_work() as uow:
            stored = [uow.repository(type(r)).add(r) for r in records]
            uow.commit()
        return stored

    # -- records ----------------------------------------------------------------------
    def test_add_then_get_round_trips_every_field(self, storage: Storage) -> None:
        record = _staff(T1, 1)
        self._seed(storage, Trust(T1, "North"), record)
        with storage.unit_of_work() as uow:
            got = uow.repository(StaffMember).get(T1, record.id)
        assert got == attrs.evolve(record, version=1)

    def test_add_sets_version_one_and_update_increments(self, storage: Storage) -> None:
        (stored,) = self._seed(storage, School(SchoolId("s1"), T1, "Hill"))
        assert stored.version == 1
        with storage.unit_of_work() as uow:
            repo = uow.repository(School)
            updated = repo.update(attrs.evolve(repo.get(T1, "s1"), name="Hill Top"))
            uow.commit()
        assert updated.version == 2
        with storage.unit_of_work() as uow:
            assert uow.repository(School).get(T1, "s1") == updated

    def test_duplicate_id_is_rejected(self, storage: Storage) -> None:
        self._seed(storage, School(SchoolId("s1"), T1, "Hill"))
        with storage.unit_of_work() as uow, pytest.raises(ValidationError, match="s1"):
            uow.repository(School).add(School(SchoolId("s1"), T1, "Again"))
            uow.commit()

    def test_missing_record_is_not_found(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            repo = uow.repository(School)
            assert repo.find(T1, "nope") is None
            with pytest.raises(NotFound, match="nope"):
                repo.get(T1, "nope")

    def test_stale_update_raises_conflict_naming_the_record(self, storage: Storage) -> None:
        (stored,) = self._seed(storage, School(SchoolId("s1"), T1, "Hill"))
        with storage.unit_of_work() as uow:
            uow.repository(School).update(attrs.evolve(stored, name="First"))
            uow.commit()
        with storage.unit_of_work() as uow, pytest.raises(ConcurrencyConflict, match="s1"):
            uow.repository(School).update(attrs.evolve(stored, name="Stale"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.repository(School).get(T1, "s1").name == "First"

    def test_stale_remove_raises_conflict(self, storage: Storage) -> None:
        (stored,) = self._seed(storage, School(SchoolId("s1"), T1, "Hill"))
        with storage.unit_of_work() as uow:
            uow.repository(School).update(attrs.evolve(stored, name="Moved on"))
            uow.commit()
        with storage.unit_of_work() as uow, pytest.raises(ConcurrencyConflict):
            uow.repository(School).remove(stored)
            uow.commit()

    def test_remove_deletes(self, storage: Storage) -> None:
        (stored,) = self._seed(storage, School(SchoolId("s1"), T1, "Hill"))
        with storage.unit_of_work() as uow:
            uow.repository(School).remove(stored)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.repository(School).find(T1, "s1") is None

    def test_every_write_of_a_sequence_is_durable(self, storage: Storage) -> None:
        (stored,) = self._seed(storage, School(SchoolId("s1"), T1, "v1"))
        for name in ("v2", "v3", "v4"):
            with storage.unit_of_work() as uow:
                stored = uow.repository(School).update(attrs.evolve(stored, name=name))
                uow.commit()
            with storage.unit_of_work() as uow:
                assert uow.repository(School).get(T1, "s1").name == name

    # -- transactions ------------------------------------------------------------------
    def test_uncommitted_writes_are_rolled_back(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            uow.repository(School).add(School(SchoolId("s1"), T1, "Hill"))
            assert uow.repository(School).find(T1, "s1") is not None  # sees its own write
        with storage.unit_of_work() as uow:
            assert uow.repository(School).find(T1, "s1") is None

    def test_explicit_rollback_discards_everything(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            uow.repository(School).add(School(SchoolId("s1"), T1, "Hill"))
            uow.repository(School).add(School(SchoolId("s2"), T1, "Dale"))
            uow.rollback()
        with storage.unit_of_work() as uow:
            assert uow.repository(School).count(T1) == 0

    def test_failure_after_first_write_leaves_nothing(self, storage: Storage) -> None:
        class Boom(Exception):
            pass

        with pytest.raises(Boom), storage.unit_of_work() as uow:
            uow.repository(School).add(School(SchoolId("s1"), T1, "Hill"))
            raise Boom
        with storage.unit_of_work() as uow:
            assert uow.repository(School).find(T1, "s1") is None

    def test_concurrent_units_of_work_do_not_lose_updates(self, storage: Storage) -> None:
        if not self.supports_concurrent_units_of_work:
            pytest.skip("adapter declares supports_concurrent_units_of_work = False")
        (stored,) = self._seed(storage, School(SchoolId("s1"), T1, "Hill"))
        first = storage.unit_of_work()
        second = storage.unit_of_work()
        with first, second:
            a = first.repository(School).get(T1, "s1")
            b = second.repository(School).get(T1, "s1")
            first.repository(School).update(attrs.evolve(a, name="A"))
            first.commit()
            with pytest.raises(ConcurrencyConflict):
                second.repository(School).update(attrs.evolve(b, name="B"))
                second.commit()
        with storage.unit_of_work() as uow:
            assert uow.repository(School).get(T1, "s1").name == "A"
        assert stored.version == 1

    # -- tenancy -----------------------------------------------------------------------
    def test_a_trust_never_sees_another_trusts_records(self, storage: Storage) -> None:
        self._seed(
            storage,
            School(SchoolId("s1"), T1, "North school"),
            School(SchoolId("s2"), T2, "South school"),
        )
        with storage.unit_of_work() as uow:
            repo = uow.repository(School)
            assert repo.find(T2, "s1") is None
            assert [s.id for s in repo.list(T1).items] == ["s1"]
            assert [s.id for s in repo.list(T2).items] == ["s2"]
            assert repo.count(T1) == 1
            with pytest.raises(NotFound):
                repo.get(T1, "s2")

    def test_same_id_may_exist_in_two_trusts(self, storage: Storage) -> None:
        self._seed(
            storage, School(SchoolId("s1"), T1, "North"), School(SchoolId("s1"), T2, "South")
        )
        with storage.unit_of_work() as uow:
            assert uow.repository(School).get(T1, "s1").name == "North"
            assert uow.repository(School).get(T2, "s1").name == "South"

    def test_tenants_lists_trusts(self, storage: Storage) -> None:
        self._seed(storage, Trust(T1, "North"), Trust(T2, "South"))
        assert sorted(storage.tenants()) == sorted([T1, T2])

    # -- queries -----------------------------------------------------------------------
    def test_list_pages_by_cursor_in_id_order(self, storage: Storage) -> None:
        self._seed(storage, *[_staff(T1, n) for n in range(25, 0, -1)])
        seen: list[str] = []
        after: str | None = None
        pages = 0
        with storage.unit_of_work() as uow:
            while True:
                page = uow.repository(StaffMember).list(T1, after=after, limit=10)
                seen.extend(s.id for s in page.items)
                pages += 1
                if page.next_cursor is None:
                    break
                after = page.next_cursor
        assert seen == sorted(seen)
        assert len(seen) == len(set(seen)) == 25
        assert pages == 3

    def test_list_filters_by_attribute_and_school(self, storage: Storage) -> None:
        self._seed(
            storage,
            _staff(T1, 1),
            _staff(T1, 2, active=False),
            _staff(T1, 3, active=False),
            Department(DepartmentId("d1"), T1, SchoolId("school-a"), "Science"),
            Department(DepartmentId("d2"), T1, SchoolId("school-b"), "English"),
        )
        with storage.unit_of_work() as uow:
            staff = uow.repository(StaffMember)
            assert [s.id for s in staff.list(T1, where={"active": False}).items] == [
                "staff-0002",
                "staff-0003",
            ]
            assert staff.count(T1, where={"active": True}) == 1
            assert staff.count(T1, where={"sourced_id": "mis-3"}) == 1
            departments = uow.repository(Department)
            assert [d.id for d in departments.list(T1, school_id=SchoolId("school-b")).items] == [
                "d2"
            ]

    def test_filter_on_unknown_attribute_is_rejected(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow, pytest.raises(ValidationError, match="shoe_size"):
            uow.repository(StaffMember).list(T1, where={"shoe_size": 9})

    # -- audit -------------------------------------------------------------------------
    def test_audit_chain_appends_and_verifies(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            previous = None
            for n in range(5):
                entry = chain_entry(
                    previous,
                    trust_id=T1,
                    at=AT,
                    actor_id="admin",
                    action="school.created",
                    record_kind="School",
                    record_id=f"s{n}",
                    payload={"n": n, "name": "Ünïcode"},
                    subject_id="staff-1",
                )
                uow.audit.append(entry)
                previous = entry
            uow.commit()
        with storage.unit_of_work() as uow:
            entries = list(uow.audit.entries(T1, limit=100))
            last = uow.audit.last(T1)
            assert uow.audit.entries(T2) == []
            assert [e.seq for e in uow.audit.entries(T1, after_seq=2, limit=2)] == [3, 4]
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
        assert last is not None and last.seq == 5
        assert entries[1].payload == {"n": 1, "name": "Ünïcode"}
        assert verify_chain(entries) == []

    def test_audit_redaction_keeps_chain_valid(self, storage: Storage) -> None:
        first = chain_entry(
            None,
            trust_id=T1,
            at=AT,
            actor_id="a",
            action="x",
            record_kind="K",
            record_id="r",
            payload={"secret": "text"},
        )
        with storage.unit_of_work() as uow:
            uow.audit.append(first)
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.audit.redact(T1, 1)
            uow.commit()
        with storage.unit_of_work() as uow:
            (entry,) = uow.audit.entries(T1)
        assert entry.redacted and "secret" not in entry.payload_json
        assert entry.payload_digest == first.payload_digest
        assert verify_chain([entry]) == []

    def test_two_writers_cannot_both_append_the_same_sequence(self, storage: Storage) -> None:
        if not self.supports_concurrent_units_of_work:
            pytest.skip("adapter declares supports_concurrent_units_of_work = False")

        def make(rid: str) -> AuditEntry:
            return chain_entry(
                None, trust_id=T1, at=AT, actor_id="a", action="x", record_kind="K", record_id=rid
            )

        first = storage.unit_of_work()
        second = storage.unit_of_work()
        with first, second:
            first.audit.append(make("a"))
            second.audit.append(make("b"))
            first.commit()
            with pytest.raises(ConcurrencyConflict):
                second.commit()
        with storage.unit_of_work() as uow:
            assert [e.record_id for e in uow.audit.entries(T1)] == ["a"]


class MediaStoreConformance:
    """The :class:`~cpdcore.ports.MediaStore` contract. Provide a ``media_store`` fixture
    yielding an empty store with the default size limits."""

    @pytest.fixture
    def media_store(self) -> Iterator[MediaStore]:
        """Override: yield an empty media store of your adapter."""
        raise NotImplementedError("subclass MediaStoreConformance and provide media_store")

    @pytest.fixture
    def limited_media_store(self) -> Iterator[MediaStore]:
        """Override: yield a store whose PHOTO size limit is 1,000 bytes."""
        raise NotImplementedError("provide limited_media_store (PHOTO limit 1,000 bytes)")

    def _read(self, store: MediaStore, trust: TrustId, media_id: MediaId) -> bytes:
        return b"".join(store.open(trust, media_id))

    @pytest.mark.parametrize("size", [0, 1, 100, 65_535, 65_536, 65_537, 1024 * 1024 + 3])
    def test_round_trip_from_a_stream(self, media_store: MediaStore, size: int) -> None:
        content = MP4_HEAD + os.urandom(size)
        info = media_store.put(T1, io.BytesIO(content), kind=MediaKind.VIDEO, filename="clip.mp4")
        assert info.size == len(content)
        assert info.content_type == "video/mp4"
        assert info.kind is MediaKind.VIDEO
        assert self._read(media_store, T1, info.media_id) == content
        assert media_store.info(T1, info.media_id) == info

    def test_round_trip_from_an_iterator_of_chunks(self, media_store: MediaStore) -> None:
        chunks = [PNG_HEAD, os.urandom(70_000), b"", os.urandom(5)]
        info = media_store.put(T1, iter(chunks), kind=MediaKind.PHOTO)
        assert info.content_type == "image/png"
        assert self._read(media_store, T1, info.media_id) == b"".join(chunks)

    def test_large_items_come_back_in_several_chunks(self, media_store: MediaStore) -> None:
        content = MP4_HEAD + os.urandom(3 * 1024 * 1024)
        info = media_store.put(T1, io.BytesIO(content), kind=MediaKind.VIDEO)
        chunks = list(media_store.open(T1, info.media_id))
        assert len(chunks) > 1
        assert b"".join(chunks) == content

    @pytest.mark.parametrize(
        ("kind", "head", "expected"),
        [
            (MediaKind.PHOTO, JPEG_HEAD, "image/jpeg"),
            (MediaKind.PHOTO, PNG_HEAD, "image/png"),
            (MediaKind.DOCUMENT, PDF_HEAD, "application/pdf"),
            (MediaKind.VIDEO, MP4_HEAD, "video/mp4"),
        ],
    )
    def test_type_is_decided_by_content(
        self, media_store: MediaStore, kind: MediaKind, head: bytes, expected: str
    ) -> None:
        info = media_store.put(T1, io.BytesIO(head), kind=kind, filename="misleading.txt")
        assert info.content_type == expected

    def test_wrong_type_is_rejected_and_leaves_nothing(self, media_store: MediaStore) -> None:
        with pytest.raises(ValidationError, match="photo"):
            media_store.put(T1, io.BytesIO(b"plain text, not a photo"), kind=MediaKind.PHOTO)
        with pytest.raises(ValidationError):
            media_store.put(T1, io.BytesIO(PDF_HEAD), kind=MediaKind.VIDEO, filename="x.mp4")
        assert list(media_store.list(T1)) == []

    def test_size_limit_is_enforced_and_leaves_nothing(
        self, limited_media_store: MediaStore
    ) -> None:
        with pytest.raises(ValidationError, match="limit"):
            limited_media_store.put(T1, io.BytesIO(PNG_HEAD + b"\x00" * 2000), kind=MediaKind.PHOTO)
        assert list(limited_media_store.list(T1)) == []

    def test_equal_content_gets_distinct_ids(self, media_store: MediaStore) -> None:
        a = media_store.put(T1, io.BytesIO(PNG_HEAD), kind=MediaKind.PHOTO)
        b = media_store.put(T1, io.BytesIO(PNG_HEAD), kind=MediaKind.PHOTO)
        assert a.media_id != b.media_id

    def test_delete_removes_the_item(self, media_store: MediaStore) -> None:
        info = media_store.put(T1, io.BytesIO(PNG_HEAD), kind=MediaKind.PHOTO)
        assert media_store.delete(T1, info.media_id) is True
        with pytest.raises(NotFound):
            b"".join(media_store.open(T1, info.media_id))
        with pytest.raises(NotFound):
            media_store.info(T1, info.media_id)
        assert media_store.delete(T1, info.media_id) is False
        assert list(media_store.list(T1)) == []

    def test_a_trust_cannot_read_another_trusts_media(self, media_store: MediaStore) -> None:
        info = media_store.put(T1, io.BytesIO(PNG_HEAD), kind=MediaKind.PHOTO)
        with pytest.raises(NotFound):
            b"".join(media_store.open(T2, info.media_id))
        assert media_store.delete(T2, info.media_id) is False
        assert [i.media_id for i in media_store.list(T1)] == [info.media_id]
        assert list(media_store.list(T2)) == []

    def test_unknown_item_is_not_found(self, media_store: MediaStore) -> None:
        with pytest.raises(NotFound):
            media_store.info(T1, MediaId("0" * 32))


@attrs.frozen
class MisSample:
    """A small MIS data set the kit asks an adapter to serve back."""

    orgs: tuple[MisOrg, ...]
    staff: tuple[MisStaff, ...]
    classes: tuple[MisClass, ...]
    links: tuple[TeacherClassLink, ...]
    media_consent: tuple[PupilMediaConsent, ...]
    outcomes: tuple[OutcomeWeek, ...]
    line_management: tuple[LineManagementRow, ...] = ()


def sample_mis() -> MisSample:
    """Two schools, five staff (one at both schools, one inactive), three classes."""
    trust = MisOrg("org-trust", "Riverside Learning Trust", MisOrgKind.TRUST)
    north = MisOrg("org-n", "Northgate Academy", MisOrgKind.SCHOOL, "org-trust")
    south = MisOrg("org-s", "St Mary's Primary, Southbank", MisOrgKind.SCHOOL, "org-trust")
    staff = (
        MisStaff(
            "u1", "Siobhán", "O'Neill", "so@example.org", (MisStaffRole("org-n", "teacher", True),)
        ),
        MisStaff(
            "u2",
            "Émile",
            "Durand",
            "ed@example.org",
            (MisStaffRole("org-n", "teacher", True), MisStaffRole("org-s", "teacher")),
        ),
        MisStaff(
            "u3", "Priya", "Shah", "ps@example.org", (MisStaffRole("org-s", "administrator", True),)
        ),
        MisStaff("u4", "Tom", "Bell", "tb@example.org", (MisStaffRole("org-s", "aide", True),)),
        MisStaff(
            "u5",
            "Ada",
            "Lovelace",
            "al@example.org",
            (MisStaffRole("org-n", "teacher", True),),
            False,
        ),
    )
    classes = (
        MisClass("c1", "org-n", "9X Science", 28),
        MisClass("c2", "org-n", "10Y English", 30),
        MisClass("c3", "org-s", "Year 3 Oak", 24),
    )
    links = (
        TeacherClassLink("u1", "c1"),
        TeacherClassLink("u2", "c2"),
        TeacherClassLink("u2", "c3"),
    )
    consent = (
        PupilMediaConsent("p1", "c1", True),
        PupilMediaConsent("p2", "c1", False),
        PupilMediaConsent("p3", "c3", True),
    )
    outcomes = (
        OutcomeWeek("org-n", "class", "c1", date(2026, 9, 7), 28, 3, 40, 2, 50),
        OutcomeWeek("org-n", "year", "9", date(2026, 9, 7), 180, 12, 300, 10, 1500),
        OutcomeWeek("org-s", "class", "c3", date(2026, 9, 14), 24, 0, 55, 1, 20),
    )
    line_management = (
        LineManagementRow("u1", "u3", "2026-27"),
        LineManagementRow("u2", "u3", "2026-27"),
        LineManagementRow("u4", "u2", "2026-27"),
    )
    return MisSample(
        (trust, north, south), staff, classes, links, consent, outcomes, line_management
    )


class MisSourceConformance:
    """The :class:`~cpdcore.ports.MisSource` contract. Implement :meth:`make_mis_source`
    to build your adapter's source holding :func:`sample_mis` (e.g. by writing its files
    to ``tmp_path``)."""

    def make_mis_source(self, sample: MisSample, tmp_path: Path) -> MisSource:
        """Override: return a source serving exactly ``sample``."""
        raise NotImplementedError("subclass MisSourceConformance and implement make_mis_source")

    @pytest.fixture
    def sample(self) -> MisSample:
        """The data set the source must serve back."""
        return sample_mis()

    @pytest.fixture
    def mis_source(self, sample: MisSample, tmp_path: Path) -> MisSource:
        """The adapter's source built from ``sample``."""
        return self.make_mis_source(sample, tmp_path)

    def test_orgs(self, mis_source: MisSource, sample: MisSample) -> None:
        assert sorted(mis_source.orgs(), key=lambda o: o.sourced_id) == sorted(
            sample.orgs, key=lambda o: o.sourced_id
        )

    def test_staff_with_roles_per_school_and_inactive_kept(
        self, mis_source: MisSource, sample: MisSample
    ) -> None:
        got = {s.sourced_id: s for s in mis_source.staff()}
        assert set(got) == {s.sourced_id for s in sample.staff}
        for expected in sample.staff:
            actual = got[expected.sourced_id]
            assert (actual.given_name, actual.family_name, actual.email, actual.active) == (
                expected.given_name,
                expected.family_name,
                expected.email,
                expected.active,
            )
            assert sorted((r.org_sourced_id, r.role) for r in actual.roles) == sorted(
                (r.org_sourced_id, r.role) for r in expected.roles
            )

    def test_classes_and_teacher_links(self, mis_source: MisSource, sample: MisSample) -> None:
        assert sorted(mis_source.classes(), key=lambda c: c.sourced_id) == sorted(
            sample.classes, key=lambda c: c.sourced_id
        )

        def key(link: TeacherClassLink) -> tuple[str, str]:
            return (link.staff_sourced_id, link.class_sourced_id)

        assert sorted(mis_source.teacher_classes(), key=key) == sorted(sample.links, key=key)

    def test_pupil_media_consent_per_class(self, mis_source: MisSource, sample: MisSample) -> None:
        flags = {
            (c.pupil_sourced_id, c.media_allowed) for c in mis_source.pupil_media_consent("c1")
        }
        assert flags == {("p1", True), ("p2", False)}
        assert list(mis_source.pupil_media_consent("c2")) == []

    def test_outcomes_filter_by_school_and_date(
        self, mis_source: MisSource, sample: MisSample
    ) -> None:
        assert sorted(mis_source.outcomes(), key=lambda o: (o.group_id, o.week_start)) == sorted(
            sample.outcomes, key=lambda o: (o.group_id, o.week_start)
        )
        assert {o.group_id for o in mis_source.outcomes(school_sourced_id="org-s")} == {"c3"}
        assert {o.group_id for o in mis_source.outcomes(since=date(2026, 9, 10))} == {"c3"}

    def test_line_management(self, mis_source: MisSource, sample: MisSample) -> None:
        def key(row: LineManagementRow) -> tuple[str, str, str]:
            return (row.appraisee_sourced_id, row.appraiser_sourced_id, row.academic_year)

        assert sorted(map(key, mis_source.line_management())) == sorted(
            map(key, sample.line_management)
        )

    def test_modes_say_every_served_dataset_is_delivered(self, mis_source: MisSource) -> None:
        modes = mis_source.modes()
        assert all(isinstance(d, MisDataset) and isinstance(m, FeedMode) for d, m in modes.items())
        for dataset in (MisDataset.ORGS, MisDataset.STAFF, MisDataset.CLASSES):
            assert modes.get(dataset, FeedMode.BULK) is FeedMode.BULK
