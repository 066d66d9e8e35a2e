"""Ports: the interfaces the application needs from the outside world.

Each port is a :class:`typing.Protocol`. :mod:`cpdcore.memory` implements every one of
them in memory and is the reference for adapter authors; :mod:`cpdcore.testing` holds the
conformance suites an adapter runs against itself.

Storage is organised as in *Architecture Patterns with Python*: a :class:`Storage` hands
out :class:`UnitOfWork` objects; a unit of work is one transaction and gives access to a
:class:`Repository` per record type and to the :class:`AuditLog`. Every record carries its
``trust_id`` and every query names one, so no call can read across tenants.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import BinaryIO, Generic, Protocol, Self, TypeVar, runtime_checkable

import attrs

from cpdcore.domain.audit import AuditEntry
from cpdcore.domain.identifiers import MediaId, SchoolId, TrustId
from cpdcore.domain.media import MediaInfo, MediaKind
from cpdcore.domain.roster import (
    FeedMode,
    LineManagementRow,
    MisClass,
    MisDataset,
    MisOrg,
    MisStaff,
    OutcomeWeek,
    PupilMediaConsent,
    TeacherClassLink,
)

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "AggregationPushDown",
    "AuditLog",
    "AuditSink",
    "Clock",
    "MediaStore",
    "MisSource",
    "Page",
    "QueryLedger",
    "Record",
    "Repository",
    "Storage",
    "UnitOfWork",
]

DEFAULT_PAGE_SIZE = 100


class Record(Protocol):
    """What every stored record has: an id, its tenant, its school (if any) and a version.

    ``version`` is 0 for a record not yet stored; a store sets it to 1 on ``add`` and
    increments it on every ``update`` (optimistic locking).
    """

    @property
    def id(self) -> str: ...

    @property
    def trust_id(self) -> TrustId: ...

    @property
    def school_id(self) -> SchoolId | None: ...

    @property
    def version(self) -> int: ...


R = TypeVar("R", bound=Record)
T = TypeVar("T")


@attrs.frozen
class Page(Generic[T]):
    """One page of a list query; pass ``next_cursor`` back as ``after`` for the next one."""

    items: Sequence[T]
    next_cursor: str | None = None


class Repository(Protocol[R]):
    """Records of one type, always addressed within a trust.

    Records are frozen attrs instances; changing one means building a new instance with
    :func:`attrs.evolve` and passing it to :meth:`update` with the version it was read at.
    """

    def get(self, trust_id: TrustId, record_id: str) -> R:
        """Return the record or raise :class:`~cpdcore.errors.NotFound`."""
        ...

    def find(self, trust_id: TrustId, record_id: str) -> R | None:
        """Return the record or ``None``."""
        ...

    def add(self, record: R) -> R:
        """Store a new record (``version`` 0); return it with ``version`` 1.

        Raises :class:`~cpdcore.errors.ValidationError` if the id is already taken.
        """
        ...

    def update(self, record: R) -> R:
        """Replace the stored record whose version equals ``record.version``.

        Returns the record with its version incremented. If the stored version differs
        (someone else wrote first) raise :class:`~cpdcore.errors.ConcurrencyConflict`
        naming the record; never overwrite silently.
        """
        ...

    def remove(self, record: R) -> None:
        """Delete the record; the same version check as :meth:`update` applies."""
        ...

    def list(
        self,
        trust_id: TrustId,
        *,
        school_id: SchoolId | None = None,
        where: Mapping[str, object] | None = None,
        after: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[R]:
        """Records of the trust ordered by id, optionally filtered.

        ``school_id`` keeps records of that school; ``where`` keeps records whose
        attributes equal the given values (simple attributes only). ``after`` is the
        cursor from a previous page.
        """
        ...

    def count(
        self,
        trust_id: TrustId,
        *,
        school_id: SchoolId | None = None,
        where: Mapping[str, object] | None = None,
    ) -> int:
        """Number of records :meth:`list` would return over all pages."""
        ...


class AuditLog(Protocol):
    """The authoritative, append-only audit chain of each trust, written in the unit of work."""

    def last(self, trust_id: TrustId) -> AuditEntry | None:
        """The trust's latest entry, or ``None`` when it has none yet."""
        ...

    def append(self, entry: AuditEntry) -> None:
        """Append an entry; its ``seq`` must be one more than :meth:`last`'s.

        Two transactions appending the same ``seq`` conflict: the later commit raises
        :class:`~cpdcore.errors.ConcurrencyConflict`.
        """
        ...

    def entries(
        self, trust_id: TrustId, *, after_seq: int = 0, limit: int = DEFAULT_PAGE_SIZE
    ) -> Sequence[AuditEntry]:
        """Entries with ``seq > after_seq`` in ``seq`` order, at most ``limit``."""
        ...

    def redact(self, trust_id: TrustId, seq: int) -> None:
        """Replace one entry's payload by the redaction marker, keeping its digest."""
        ...


class UnitOfWork(Protocol):
    """One transaction: all writes made through it commit together or not at all.

    Leaving the ``with`` block without :meth:`commit` rolls back.
    """

    audit: AuditLog

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def repository(self, kind: type[R]) -> Repository[R]:
        """The repository for records of class ``kind``."""
        ...

    def commit(self) -> None:
        """Make every write of this unit of work durable, atomically."""
        ...

    def rollback(self) -> None:
        """Discard every write of this unit of work."""
        ...


@runtime_checkable
class Storage(Protocol):
    """A configured store: the object the ``cpdcore_storage`` hook returns."""

    url: str

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work (transaction) on this store."""
        ...

    def tenants(self) -> Sequence[TrustId]:
        """The ids of the trusts that have a :class:`~cpdcore.domain.organisation.Trust`
        record in this store (for operators; use cases always act inside one trust)."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


@runtime_checkable
class MediaStore(Protocol):
    """Binary media (clips, photos, certificates), streamed in chunks, never whole in memory."""

    url: str

    def put(
        self,
        trust_id: TrustId,
        data: BinaryIO | Iterable[bytes],
        *,
        kind: MediaKind,
        filename: str | None = None,
    ) -> MediaInfo:
        """Store a new item read from a binary stream or an iterable of chunks.

        The store assigns a random id. Input that is not an accepted type for ``kind`` or
        exceeds its size limit raises :class:`~cpdcore.errors.ValidationError` and leaves
        nothing behind.
        """
        ...

    def open(self, trust_id: TrustId, media_id: MediaId) -> Iterator[bytes]:
        """Iterate over the item's bytes in chunks; raise ``NotFound`` if it is absent."""
        ...

    def info(self, trust_id: TrustId, media_id: MediaId) -> MediaInfo:
        """Metadata of an item; raise ``NotFound`` if it is absent."""
        ...

    def delete(self, trust_id: TrustId, media_id: MediaId) -> bool:
        """Delete the item irrecoverably; return ``False`` if it did not exist."""
        ...

    def list(self, trust_id: TrustId) -> Iterator[MediaInfo]:
        """Every item stored for the trust."""
        ...

    def close(self) -> None:
        """Release files and handles."""
        ...


@runtime_checkable
class MisSource(Protocol):
    """Read access to a school MIS export: rosters, classes, media consent, outcomes."""

    url: str

    def orgs(self) -> Iterator[MisOrg]:
        """The trust and its schools."""
        ...

    def staff(self) -> Iterator[MisStaff]:
        """Every staff member, including inactive ones (``active=False``)."""
        ...

    def classes(self) -> Iterator[MisClass]:
        """Teaching groups with their pupil head counts."""
        ...

    def teacher_classes(self) -> Iterator[TeacherClassLink]:
        """Which teacher teaches which class."""
        ...

    def pupil_media_consent(self, class_sourced_id: str) -> Sequence[PupilMediaConsent]:
        """Media-consent flags of the pupils in one class."""
        ...

    def outcomes(
        self, *, school_sourced_id: str | None = None, since: date | None = None
    ) -> Iterator[OutcomeWeek]:
        """Weekly behaviour/rewards/homework aggregates per class or year group."""
        ...

    def line_management(self) -> Iterator[LineManagementRow]:
        """Who appraises whom in which academic year (kept beside the roster)."""
        ...

    def modes(self) -> Mapping[MisDataset, FeedMode]:
        """How each dataset is delivered: a full snapshot, changes only, or not at all.

        A dataset missing from the mapping is a full snapshot (``FeedMode.BULK``). The
        import use case reads it to decide what an unlisted record means: gone (bulk) or
        untouched (delta, absent).
        """
        ...


@runtime_checkable
class AuditSink(Protocol):
    """An external copy of the audit trail (a SIEM, a log shipper), fed after commit."""

    def record(self, entry: AuditEntry) -> None:
        """Receive one committed entry."""
        ...


@runtime_checkable
class Clock(Protocol):
    """The source of "now" for the application layer (the domain takes ``as_of``)."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def today(self) -> date:
        """The current date in UTC."""
        ...


@runtime_checkable
class AggregationPushDown(Protocol):
    """Optional storage capability: group person-records inside the database.

    A storage adapter that also has this method lets anonymised aggregates run as one
    ``GROUP BY`` instead of reading every record. cpdcore builds margins, suppression and
    the audit from the rows it returns; without it, cpdcore reads the records through
    the repositories and groups them itself.
    """

    def person_cells(
        self,
        trust_id: TrustId,
        kind: str,
        by: Sequence[str],
        where: Mapping[str, str],
        *,
        value_column: str | None = None,
        match: tuple[str, str] | None = None,
        school_ids: Sequence[SchoolId] | None = None,
    ) -> Iterable[Sequence[object]]:
        """One row per person per group, as ``(*by_values, person_id, records, total, matched)``.

        ``kind`` names the record type (e.g. ``"staff"``); the adapter knows its person
        column. Equivalent SQL, with every column compared as text::

            SELECT by..., person_id, COUNT(*), COALESCE(SUM(value_column), 0),
                   BOOL_OR(match_column = match_value)
            FROM kind WHERE trust_id = :trust AND <where> [AND school_id IN :school_ids]
            GROUP BY by..., person_id

        ``total`` is 0 without ``value_column``; ``matched`` is false without ``match``.
        Unknown columns raise :class:`~cpdcore.errors.ValidationError` naming them.
        """
        ...


@runtime_checkable
class QueryLedger(Protocol):
    """Answered aggregate queries per requester: the differencing defence and DP budgets.

    ``populations`` are sorted, unique 64-bit keyed hashes of person ids (numpy arrays);
    a ledger never needs the ids themselves. :class:`cpdcore.aggregation_io.SqliteQueryLedger`
    is the reference implementation; a storage may offer its own, one per trust, through a
    ``query_ledger(trust_id)`` method (``cpdcore_sqlalchemy`` keeps it in its tables).
    """

    def person_key(self) -> bytes:
        """The secret key person ids are hashed with; stable for the ledger's life."""
        ...

    def find_answer(self, requester: str, fingerprint: str) -> dict[str, object] | None:
        """The stored answer to an identical earlier query, or ``None``."""
        ...

    def check_populations(self, requester: str, populations: Iterable[object], k: int) -> None:
        """Raise ``DisclosureRefused`` when a population differs from an earlier one by
        1 to ``k - 1`` people."""
        ...

    def record(
        self,
        requester: str,
        fingerprint: str,
        answer: Mapping[str, object],
        populations: Iterable[object],
        *,
        epsilon: float = 0.0,
    ) -> None:
        """Store an answer, its populations and the privacy budget it spent, atomically."""
        ...

    def budget(self, requester: str, default_total: float) -> tuple[float, float]:
        """``(spent, total)`` epsilon of the requester."""
        ...

    def close(self) -> None:
        """Release the ledger."""
        ...
