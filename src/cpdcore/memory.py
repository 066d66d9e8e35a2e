"""In-memory implementations of every port: the reference for adapter authors.

They keep everything in Python dictionaries and lose it when the process ends, which makes
them right for unit tests, examples and trying cpdcore out. They serve ``memory://`` URLs
through the plugin hooks. Semantics an adapter must match (checked by
:mod:`cpdcore.testing`): reads see the unit of work's own writes; nothing is visible to
others before commit; a write based on a stale version raises ``ConcurrencyConflict``
either at once or at commit; every query is confined to one trust.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from types import TracebackType
from typing import Any, BinaryIO, Self, TypeVar, cast

import attrs

from cpdcore.domain.audit import AuditEntry, redact
from cpdcore.domain.identifiers import MediaId, SchoolId, TrustId
from cpdcore.domain.media import (
    ACCEPTED_TYPES,
    DEFAULT_SIZE_LIMITS,
    SNIFF_BYTES,
    MediaInfo,
    MediaKind,
    sniff_content_type,
)
from cpdcore.domain.organisation import Trust
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
from cpdcore.errors import ConcurrencyConflict, NotFound, ValidationError
from cpdcore.hookspecs import hookimpl
from cpdcore.ports import DEFAULT_PAGE_SIZE, Page, Record

__all__ = [
    "InMemoryMediaStore",
    "InMemoryMisSource",
    "InMemoryStorage",
    "InMemoryUnitOfWork",
    "RecordingAuditSink",
    "iter_chunks",
    "matches",
    "with_version",
]

R = TypeVar("R", bound=Record)
_Key = tuple[type[Any], str, str]

MEMORY_SCHEME = "memory"


def with_version(record: R, version: int) -> R:
    """Return ``record`` with its ``version`` replaced (records are frozen attrs classes)."""
    return cast(R, attrs.evolve(cast(Any, record), version=version))


def kind_name(kind: type[Any]) -> str:
    """The name used for a record type in messages (its class name)."""
    return kind.__name__


def matches(
    record: Record, trust_id: TrustId, school_id: SchoolId | None, where: Mapping[str, object]
) -> bool:
    """True if ``record`` belongs to the trust (and school) and equals every ``where`` value."""
    if record.trust_id != trust_id:
        return False
    if school_id is not None and record.school_id != school_id:
        return False
    return all(getattr(record, name) == value for name, value in where.items())


def check_where(kind: type[Any], where: Mapping[str, object] | None) -> Mapping[str, object]:
    """Validate that every ``where`` key is an attribute of ``kind``."""
    if not where:
        return {}
    names = {a.name for a in attrs.fields(kind)} | {"school_id", "trust_id"}
    unknown = sorted(set(where) - names)
    if unknown:
        raise ValidationError.single(
            "where",
            f"{kind_name(kind)} has no attribute(s) {', '.join(unknown)}; "
            f"accepted: {', '.join(sorted(names))}",
        )
    return where


class InMemoryStorage:
    """A store kept in dictionaries; thread-safe commits, optimistic locking at commit."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._records: dict[_Key, Any] = {}
        self._audit: dict[TrustId, list[AuditEntry]] = {}
        self._lock = threading.RLock()

    def unit_of_work(self) -> InMemoryUnitOfWork:
        """A new transaction on this store."""
        return InMemoryUnitOfWork(self)

    def tenants(self) -> list[TrustId]:
        """Trusts with a stored :class:`~cpdcore.domain.organisation.Trust` record."""
        with self._lock:
            return sorted(TrustId(k[1]) for k in self._records if k[0] is Trust)

    def close(self) -> None:
        """Nothing to release."""

    # Internal API used by the unit of work -------------------------------------------
    def _committed(self, key: _Key) -> Any | None:
        return self._records.get(key)

    def _snapshot(self) -> list[Any]:
        with self._lock:
            return list(self._records.values())


class _AuditLog:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def _visible(self, trust_id: TrustId) -> list[AuditEntry]:
        committed = self._uow.storage._audit.get(trust_id, [])
        staged = [e for e in self._uow._audit_new if e.trust_id == trust_id]
        redactions = self._uow._redactions
        merged = [*committed, *staged]
        return [redact(e) if (e.trust_id, e.seq) in redactions else e for e in merged]

    def last(self, trust_id: TrustId) -> AuditEntry | None:
        visible = self._visible(trust_id)
        return visible[-1] if visible else None

    def append(self, entry: AuditEntry) -> None:
        last = self.last(entry.trust_id)
        expected = 1 if last is None else last.seq + 1
        if entry.seq != expected:
            raise ConcurrencyConflict(
                "AuditEntry", f"{entry.trust_id}#{entry.seq}", expected - 1, entry.seq - 1
            )
        self._uow._audit_new.append(entry)

    def entries(
        self, trust_id: TrustId, *, after_seq: int = 0, limit: int = DEFAULT_PAGE_SIZE
    ) -> Sequence[AuditEntry]:
        return [e for e in self._visible(trust_id) if e.seq > after_seq][:limit]

    def redact(self, trust_id: TrustId, seq: int) -> None:
        if not any(e.seq == seq for e in self._visible(trust_id)):
            raise NotFound("AuditEntry", str(seq), f"trust {trust_id}")
        self._uow._redactions.add((trust_id, seq))


class InMemoryRepository:
    """Repository of one record type inside an :class:`InMemoryUnitOfWork`."""

    def __init__(self, uow: InMemoryUnitOfWork, kind: type[Any]) -> None:
        self._uow = uow
        self._kind = kind

    def _key(self, trust_id: TrustId, record_id: str) -> _Key:
        return (self._kind, trust_id, record_id)

    def find(self, trust_id: TrustId, record_id: str) -> Any | None:
        return self._uow._visible(self._key(trust_id, record_id))

    def get(self, trust_id: TrustId, record_id: str) -> Any:
        found = self.find(trust_id, record_id)
        if found is None:
            raise NotFound(kind_name(self._kind), record_id, f"trust {trust_id}")
        return found

    def add(self, record: Any) -> Any:
        if not isinstance(record, self._kind):
            raise TypeError(f"expected {kind_name(self._kind)}, got {type(record).__name__}")
        key = self._key(record.trust_id, record.id)
        if self._uow._visible(key) is not None:
            raise ValidationError.single(
                "id",
                f"{kind_name(self._kind)} {record.id!r} already exists in trust "
                f"{record.trust_id}; ids must be unique",
            )
        stored = with_version(record, 1)
        self._uow._stage(key, stored)
        return stored

    def _check_version(self, record: Any) -> _Key:
        key = self._key(record.trust_id, record.id)
        current = self._uow._visible(key)
        if current is None or current.version != record.version:
            raise ConcurrencyConflict(
                kind_name(self._kind),
                record.id,
                record.version,
                None if current is None else current.version,
            )
        return key

    def update(self, record: Any) -> Any:
        key = self._check_version(record)
        stored = with_version(record, record.version + 1)
        self._uow._stage(key, stored)
        return stored

    def remove(self, record: Any) -> None:
        key = self._check_version(record)
        self._uow._stage(key, None)

    def _all(
        self, trust_id: TrustId, school_id: SchoolId | None, where: Mapping[str, object] | None
    ) -> list[Any]:
        where = check_where(self._kind, where)
        return sorted(
            (
                r
                for r in self._uow._visible_of_kind(self._kind, trust_id)
                if matches(r, trust_id, school_id, where)
            ),
            key=lambda r: r.id,
        )

    def list(
        self,
        trust_id: TrustId,
        *,
        school_id: SchoolId | None = None,
        where: Mapping[str, object] | None = None,
        after: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Any]:
        if limit < 1:
            raise ValidationError.single("limit", f"must be at least 1, got {limit}")
        rows = self._all(trust_id, school_id, where)
        if after is not None:
            rows = [r for r in rows if r.id > after]
        page = rows[:limit]
        more = len(rows) > limit
        return Page(items=page, next_cursor=page[-1].id if more and page else None)

    def count(
        self,
        trust_id: TrustId,
        *,
        school_id: SchoolId | None = None,
        where: Mapping[str, object] | None = None,
    ) -> int:
        return len(self._all(trust_id, school_id, where))


class InMemoryUnitOfWork:
    """A transaction over an :class:`InMemoryStorage`: writes are staged until commit."""

    def __init__(self, storage: InMemoryStorage) -> None:
        self.storage = storage
        # key -> (version the key had in the committed store when first touched, new value)
        self._writes: dict[_Key, tuple[int | None, Any | None]] = {}
        self._audit_new: list[AuditEntry] = []
        self._redactions: set[tuple[TrustId, int]] = set()
        self.audit = _AuditLog(self)
        self._closed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def repository(self, kind: type[R]) -> Any:
        """The repository for ``kind`` (typed as ``Repository[kind]`` through the port)."""
        return InMemoryRepository(self, kind)

    def _visible(self, key: _Key) -> Any | None:
        if key in self._writes:
            return self._writes[key][1]
        return self.storage._committed(key)

    def _visible_of_kind(self, kind: type[Any], trust_id: TrustId) -> Iterator[Any]:
        seen: set[_Key] = set()
        for key, (_base, value) in self._writes.items():
            if key[0] is kind and key[1] == trust_id:
                seen.add(key)
                if value is not None:
                    yield value
        for key, value in list(self.storage._records.items()):
            if key[0] is kind and key[1] == trust_id and key not in seen:
                yield value

    def _stage(self, key: _Key, value: Any | None) -> None:
        if key in self._writes:
            base = self._writes[key][0]
        else:
            committed = self.storage._committed(key)
            base = None if committed is None else committed.version
        self._writes[key] = (base, value)

    def commit(self) -> None:
        """Apply every staged write atomically, after re-checking every version."""
        storage = self.storage
        with storage._lock:
            for key, (base, _value) in self._writes.items():
                current = storage._committed(key)
                current_version = None if current is None else current.version
                if current_version != base:
                    raise ConcurrencyConflict(kind_name(key[0]), key[2], base or 0, current_version)
            by_trust: dict[TrustId, list[AuditEntry]] = {}
            for entry in self._audit_new:
                by_trust.setdefault(entry.trust_id, []).append(entry)
            for trust_id, new in by_trust.items():
                chain = storage._audit.get(trust_id, [])
                if new[0].seq != len(chain) + 1:
                    raise ConcurrencyConflict(
                        "AuditEntry", f"{trust_id}#{new[0].seq}", new[0].seq - 1, len(chain)
                    )
            for key, (_base, value) in self._writes.items():
                if value is None:
                    storage._records.pop(key, None)
                else:
                    storage._records[key] = value
            for trust_id, new in by_trust.items():
                storage._audit.setdefault(trust_id, []).extend(new)
            for trust_id, seq in self._redactions:
                chain = storage._audit[trust_id]
                chain[seq - 1] = redact(chain[seq - 1])
        self._reset()

    def rollback(self) -> None:
        """Discard every staged write."""
        self._reset()

    def _reset(self) -> None:
        self._writes = {}
        self._audit_new = []
        self._redactions = set()


def iter_chunks(data: BinaryIO | Iterable[bytes], size: int = 1024 * 1024) -> Iterator[bytes]:
    """Yield the bytes of a binary stream or an iterable of chunks, in order."""
    if isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("pass a binary stream (e.g. io.BytesIO) or an iterable of chunks")
    read = getattr(data, "read", None)
    if callable(read):
        reader = cast(Callable[[int], bytes], read)
        while chunk := reader(size):
            yield chunk
        return
    for chunk in data:
        if chunk:
            yield bytes(chunk)


class InMemoryMediaStore:
    """Media kept in memory; accepts the same types and size limits as a real store."""

    chunk_size = 64 * 1024

    def __init__(
        self, url: str = "memory://", size_limits: Mapping[MediaKind, int] | None = None
    ) -> None:
        self.url = url
        self.size_limits = dict(DEFAULT_SIZE_LIMITS if size_limits is None else size_limits)
        self._items: dict[tuple[TrustId, MediaId], tuple[MediaInfo, bytes]] = {}

    def put(
        self,
        trust_id: TrustId,
        data: BinaryIO | Iterable[bytes],
        *,
        kind: MediaKind,
        filename: str | None = None,
    ) -> MediaInfo:
        """Read the stream, check type and size, keep the bytes."""
        limit = self.size_limits[kind]
        buffer = io.BytesIO()
        label = filename or "upload"
        for chunk in iter_chunks(data):
            buffer.write(chunk)
            if buffer.tell() > limit:
                raise ValidationError.single(
                    label, f"{kind.value} is larger than the limit of {limit} bytes"
                )
        content = buffer.getvalue()
        content_type = sniff_content_type(content[:SNIFF_BYTES])
        if content_type not in ACCEPTED_TYPES[kind]:
            accepted = ", ".join(sorted(ACCEPTED_TYPES[kind]))
            found = content_type or "an unrecognised type"
            raise ValidationError.single(
                label, f"content is {found}, not an accepted {kind.value} type ({accepted})"
            )
        info = MediaInfo(
            media_id=MediaId(uuid.uuid4().hex),
            trust_id=trust_id,
            kind=kind,
            content_type=content_type,
            size=len(content),
        )
        self._items[(trust_id, info.media_id)] = (info, content)
        return info

    def _get(self, trust_id: TrustId, media_id: MediaId) -> tuple[MediaInfo, bytes]:
        try:
            return self._items[(trust_id, media_id)]
        except KeyError:
            raise NotFound("media item", media_id, f"trust {trust_id}") from None

    def open(self, trust_id: TrustId, media_id: MediaId) -> Iterator[bytes]:
        """Yield the item's bytes in chunks."""
        _info, content = self._get(trust_id, media_id)
        view = memoryview(content)
        return (
            bytes(view[i : i + self.chunk_size]) for i in range(0, len(content), self.chunk_size)
        )

    def info(self, trust_id: TrustId, media_id: MediaId) -> MediaInfo:
        """Metadata of one item."""
        return self._get(trust_id, media_id)[0]

    def delete(self, trust_id: TrustId, media_id: MediaId) -> bool:
        """Forget the item."""
        return self._items.pop((trust_id, media_id), None) is not None

    def list(self, trust_id: TrustId) -> Iterator[MediaInfo]:
        """Every item of the trust."""
        return iter([info for (t, _m), (info, _c) in self._items.items() if t == trust_id])

    def close(self) -> None:
        """Nothing to release."""


@attrs.define
class InMemoryMisSource:
    """An MIS export held in lists; build one in tests or load it from your own data."""

    orgs_: list[MisOrg] = attrs.field(factory=list)
    staff_: list[MisStaff] = attrs.field(factory=list)
    classes_: list[MisClass] = attrs.field(factory=list)
    links_: list[TeacherClassLink] = attrs.field(factory=list)
    media_consent_: list[PupilMediaConsent] = attrs.field(factory=list)
    outcomes_: list[OutcomeWeek] = attrs.field(factory=list)
    url: str = "memory://"
    line_management_: list[LineManagementRow] = attrs.field(factory=list)
    modes_: dict[MisDataset, FeedMode] = attrs.field(factory=dict)

    def orgs(self) -> Iterator[MisOrg]:
        """The trust and its schools."""
        return iter(self.orgs_)

    def staff(self) -> Iterator[MisStaff]:
        """Every staff member."""
        return iter(self.staff_)

    def classes(self) -> Iterator[MisClass]:
        """Every class."""
        return iter(self.classes_)

    def teacher_classes(self) -> Iterator[TeacherClassLink]:
        """Teacher–class links."""
        return iter(self.links_)

    def pupil_media_consent(self, class_sourced_id: str) -> Sequence[PupilMediaConsent]:
        """Media-consent flags of the pupils in one class."""
        return [c for c in self.media_consent_ if c.class_sourced_id == class_sourced_id]

    def outcomes(
        self, *, school_sourced_id: str | None = None, since: date | None = None
    ) -> Iterator[OutcomeWeek]:
        """Outcome aggregates, optionally for one school and from a date."""
        return iter(
            [
                o
                for o in self.outcomes_
                if (school_sourced_id is None or o.school_sourced_id == school_sourced_id)
                and (since is None or o.week_start >= since)
            ]
        )

    def line_management(self) -> Iterator[LineManagementRow]:
        """Who appraises whom, per academic year."""
        return iter(self.line_management_)

    def modes(self) -> Mapping[MisDataset, FeedMode]:
        """Every dataset is a full snapshot unless ``modes_`` says otherwise."""
        return dict(self.modes_)


class RecordingAuditSink:
    """An external audit sink that keeps what it receives (for tests and debugging)."""

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        """Keep a copy of a committed entry."""
        self.entries.append(entry)

    @hookimpl
    def cpdcore_audit(self, entry: AuditEntry) -> None:
        """Receive committed entries when registered as a plugin."""
        self.record(entry)


def _is_memory(url: str) -> bool:
    return url.split(":", 1)[0] == MEMORY_SCHEME


class MemoryPlugin:
    """Serves ``memory://`` for storage, media and MIS; registered by default."""

    @hookimpl
    def cpdcore_schemes(self) -> Mapping[str, Sequence[str]]:
        """Storage, media and MIS all accept ``memory://``."""
        return {"storage": [MEMORY_SCHEME], "media": [MEMORY_SCHEME], "mis": [MEMORY_SCHEME]}

    @hookimpl
    def cpdcore_storage(self, url: str) -> InMemoryStorage | None:
        """A fresh in-memory store for ``memory://``."""
        return InMemoryStorage(url) if _is_memory(url) else None

    @hookimpl
    def cpdcore_media_store(self, url: str) -> InMemoryMediaStore | None:
        """A fresh in-memory media store for ``memory://``."""
        return InMemoryMediaStore(url) if _is_memory(url) else None

    @hookimpl
    def cpdcore_mis_source(self, url: str) -> InMemoryMisSource | None:
        """An empty in-memory MIS for ``memory://`` (fill its lists in tests)."""
        return InMemoryMisSource(url=url) if _is_memory(url) else None
