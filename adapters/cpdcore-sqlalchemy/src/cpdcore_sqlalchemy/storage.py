"""The :class:`~cpdcore.ports.Storage` port on SQLAlchemy Core: SQLite, PostgreSQL, MariaDB.

Design (see ``docs/explanation/tenancy.md``):

* **Separate table models with explicit translation.** Domain records stay plain frozen
  attrs classes; :mod:`cpdcore_sqlalchemy.tables` maps each class to its own table with
  tenant columns, ``id``, ``version``, promoted columns and a JSON ``body``. Nothing in
  the domain knows about SQLAlchemy.
* **One unit of work, one connection, one transaction.** Writes are queued in the unit of
  work and sent to the database just before the next read in the same unit of work and at
  commit ("flush before read"), so a unit of work always reads its own writes, while write
  locks are taken as late as possible: two units of work in one thread (or two writers on
  one SQLite file) do not block each other until they commit.
* **Optimistic locking.** ``update`` and ``remove`` run
  ``... WHERE trust_id = :t AND id = :id AND version = :read_version``; no row matched means
  someone else wrote first, and :class:`~cpdcore.errors.ConcurrencyConflict` names the
  record. Lock waits that end in a deadlock or serialisation failure are reported the same
  way. Audit entries have the primary key ``(trust_id, seq)``, so two transactions
  appending the same ``seq`` collide at commit.
* **Tenancy.** Every statement has ``trust_id = :trust`` in its ``WHERE`` clause.
* **Filters.** ``where`` keys that are promoted columns (or ``id``, ``version``,
  ``school_id``, ``trust_id``) are answered in SQL. Any other attribute of the record class
  is accepted too but filtered in Python over the trust's rows (correct, slower; promote the
  attribute if a use case relies on it). Unknown attributes raise ``ValidationError``.
* **After a failed write** (duplicate id, stale version) the whole unit of work is rolled
  back in the database; committing it afterwards raises the same error again, so a
  half-applied unit of work can never be committed.

Beyond the port, :class:`SqlRepository` offers :meth:`~SqlRepository.add_many` (one
``executemany``) and :meth:`~SqlRepository.count_by` (``GROUP BY`` in the database);
:meth:`SqlStorage.count_by` is the same outside a unit of work.

:class:`SqlStorage` also implements :class:`cpdcore.ports.AggregationPushDown`
(:meth:`~SqlStorage.person_cells`: anonymised aggregates group person-records in one SQL
``GROUP BY`` over promoted columns, never loading record bodies) and offers
:meth:`~SqlStorage.query_ledger`, the differencing ledger kept in the store's own tables.
"""

from __future__ import annotations

import builtins
import enum
import functools
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

import attrs
import sqlalchemy as sa

from cpdcore.domain.audit import AuditEntry, redact
from cpdcore.domain.identifiers import SchoolId, TrustId
from cpdcore.domain.organisation import Trust
from cpdcore.errors import (
    ConcurrencyConflict,
    ConfigurationError,
    CpdError,
    NotFound,
    ValidationError,
)
from cpdcore.ports import DEFAULT_PAGE_SIZE, Page, Record
from cpdcore_sqlalchemy import schema
from cpdcore_sqlalchemy.ledger import SqlQueryLedger
from cpdcore_sqlalchemy.tables import (
    AUDIT_TABLE,
    KINDS,
    Promoted,
    RecordKind,
    audit_entry,
    audit_row,
)

__all__ = ["SqlAuditLog", "SqlRepository", "SqlStorage", "SqlUnitOfWork"]

R = TypeVar("R", bound=Record)

_PYTHON_FILTER_BATCH = 500

# SQLSTATEs / error numbers meaning "another transaction got in the way".
_PG_CONFLICT_STATES = {"40001", "40P01", "55P03"}
_MYSQL_CONFLICT_ERRNOS = {1205, 1213}


def _is_lock_conflict(exc: sa.exc.DBAPIError) -> bool:
    original = exc.orig
    state = getattr(original, "sqlstate", None)
    if state in _PG_CONFLICT_STATES:
        return True
    args = getattr(original, "args", ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL_CONFLICT_ERRNOS:
        return True
    text = str(original).lower()
    return "database is locked" in text or "database table is locked" in text


def _with_version(record: R, version: int) -> R:
    evolved: R = attrs.evolve(record, version=version)  # type: ignore[misc]
    return evolved


@attrs.frozen
class _Write:
    """One queued write: runs on the connection, raising a cpdcore error on failure."""

    run: Callable[[sa.Connection], None]


class SqlStorage:
    """A cpdcore store in a SQL database (``sqlite:///cpd.db``, ``postgresql://…``, …).

    ``auto_upgrade`` migrates the schema to the newest version when the store is first
    used. It defaults to true for SQLite (the embedded store needs no setup) and false for
    PostgreSQL and MariaDB, whose schema an operator upgrades with ``cpd db upgrade``; a
    server database at another version then raises ``ConfigurationError`` naming the
    command. Nothing connects until the first unit of work.
    """

    supports_concurrent_units_of_work: ClassVar[bool] = True

    def __init__(
        self, url: str, *, auto_upgrade: bool | None = None, engine: sa.Engine | None = None
    ) -> None:
        self.url = url
        self.engine = engine if engine is not None else schema.make_engine(url)
        backend = self.engine.dialect.name
        self.auto_upgrade = backend == "sqlite" if auto_upgrade is None else auto_upgrade
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def _ensure_schema(self) -> None:
        if self._schema_ready:
            return
        with self._schema_lock:
            self._prepare_schema()

    def _prepare_schema(self) -> None:
        # Called under the lock: a second thread finds the work done.
        if not self._schema_ready:
            if self.auto_upgrade:
                if schema.current_revision(self.engine) != schema.head_revision():
                    schema.upgrade(self.engine)
            else:
                schema.require_current(self.engine, self.url)
            self._schema_ready = True

    def unit_of_work(self) -> SqlUnitOfWork:
        """A new unit of work: one connection and one transaction."""
        self._ensure_schema()
        return SqlUnitOfWork(self)

    def tenants(self) -> list[TrustId]:
        """Ids of the trusts with a :class:`~cpdcore.domain.organisation.Trust` record."""
        self._ensure_schema()
        table = KINDS.of(Trust).table
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(table.c.id).order_by(table.c.id))
            return [TrustId(row[0]) for row in rows]

    def count_by(
        self,
        trust_id: TrustId,
        kind: str | type[Any],
        group_by: Sequence[str],
        *,
        school_id: SchoolId | None = None,
        where: Mapping[str, object] | None = None,
    ) -> dict[tuple[Any, ...], int]:
        """Committed records of ``kind`` in the trust counted per group, by SQL ``GROUP BY``.

        See :meth:`SqlRepository.count_by`; ``kind`` is a record class or its short name
        (``"staff"``, ``"objectives"``...).
        """
        record_kind = KINDS.named(kind) if isinstance(kind, str) else KINDS.of(kind)
        with self.unit_of_work() as uow:
            repo = uow.repository(record_kind.cls)
            return repo.count_by(trust_id, group_by, school_id=school_id, where=where)

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
    ) -> list[tuple[object, ...]]:
        """Per-person partial cells of committed ``kind`` records, by one SQL ``GROUP BY``.

        Implements :class:`cpdcore.ports.AggregationPushDown`: one row per group and person,
        ``(*by values, person_id, records, total, matched)``, grouped inside the database
        over the kind's promoted columns, so no record body is read. ``by``, the ``where``
        keys, ``value_column`` and the ``match`` column may name ``school_id`` and the
        kind's promoted attributes only; anything else raises ``ValidationError`` listing
        what is accepted. ``where`` and ``match`` values are text, read as the column's
        type (flags ``True``/``False`` in any case, ISO dates, enum values). Group values
        come back as text the same way, as cpdcore writes them when it groups records
        itself (flags ``True``/``False``, a missing value ``""``).
        """
        self._ensure_schema()
        record_kind = KINDS.named(kind)
        aggregate = _PersonAggregate(record_kind, kind)
        table = record_kind.table
        conditions: list[sa.ColumnElement[bool]] = [table.c.trust_id == trust_id]
        for name, text in where.items():
            column = aggregate.column("where", name)
            value = aggregate.parse("where", name, text)
            conditions.append(column.is_(None) if value is None else column == value)
        if school_ids is not None:
            conditions.append(table.c.school_id.in_(list(school_ids)))
        groups = [aggregate.group(name) for name in by]
        person = table.c[aggregate.person]
        total: sa.ColumnElement[Any] = sa.literal_column("0")
        if value_column is not None:
            measured = aggregate.column("value_column", value_column)
            aggregate.require_number(value_column)
            total = sa.func.coalesce(sa.func.sum(measured), 0)
        matched: sa.ColumnElement[Any] = sa.literal_column("0")
        if match is not None:
            compared = aggregate.column("match", match[0])
            wanted = aggregate.parse("match", match[0], match[1])
            hit = compared.is_(None) if wanted is None else compared == wanted
            matched = sa.func.max(sa.case((hit, 1), else_=0))
        query = (
            sa.select(*groups, person, sa.func.count(), total, matched)
            .where(*conditions)
            .group_by(*groups, person)
        )
        # Flags, dates and numbers become text here, once per distinct value; text columns
        # come back as text already (a missing value as "" through COALESCE in the query).
        converters = [
            (i, functools.lru_cache(maxsize=None)(convert))
            for i, name in enumerate(by)
            if (convert := aggregate.to_text(name)) is not None
        ]
        with self.engine.connect() as connection:
            result = connection.execute(query).all()
        if not converters:
            return [tuple(row) for row in result]
        rows: list[tuple[object, ...]] = []
        for row in result:
            values = list(row)
            for i, convert in converters:
                values[i] = convert(values[i])
            rows.append(tuple(values))
        return rows

    def query_ledger(self, trust_id: TrustId) -> SqlQueryLedger:
        """The trust's anonymised-aggregation query ledger, kept in this store.

        Answers, revealed populations (keyed hashes, never person ids) and privacy budgets
        of every requester, so the differencing defence holds across machines and runs.
        """
        self._ensure_schema()
        return SqlQueryLedger(self.engine, trust_id)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlStorage({self.engine.url.render_as_string(hide_password=True)!r})"


_TRUE = frozenset({"true", "1", "yes", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "f", "n"})


class _PersonAggregate:
    """Checks and conversions for one :meth:`SqlStorage.person_cells` call."""

    def __init__(self, kind: RecordKind, name: str) -> None:
        if kind.person is None:
            aggregatable = sorted(k.name for k in KINDS if k.person is not None)
            raise ValidationError.single(
                "kind",
                f"{name!r} records are not about one person, so they cannot be counted per "
                f"person; kinds that can: {', '.join(aggregatable)}",
            )
        self.kind = kind
        self.name = name
        self.person = kind.person
        self.accepted = ["school_id", *kind.promoted]

    def column(self, where: str, name: str) -> sa.ColumnElement[Any]:
        """The column ``name`` may be answered by, or ``ValidationError`` listing them."""
        if name not in self.accepted:
            raise ValidationError.single(
                where,
                f"{self.name} cannot be aggregated by {name!r} in the database; "
                f"promoted columns: {', '.join(self.accepted)}",
            )
        return self.kind.table.c[name]

    def group(self, name: str) -> sa.ColumnElement[Any]:
        """What to group ``name`` by: the column, with a missing text value as ``""``."""
        column = self.column("by", name)
        promoted = self._promoted(name)
        textual = promoted is None or _is_text(promoted.python_type)
        if textual and (promoted is None or promoted.nullable):
            return sa.func.coalesce(column, sa.literal_column("''")).label(name)
        return column

    def _promoted(self, name: str) -> Promoted | None:
        return self.kind.promoted.get(name)

    def require_number(self, name: str) -> None:
        """``ValidationError`` unless ``name`` is a numeric column."""
        promoted = self._promoted(name)
        if promoted is None or promoted.python_type not in (int, Decimal):
            numeric = [n for n, p in self.kind.promoted.items() if p.python_type in (int, Decimal)]
            raise ValidationError.single(
                "value_column",
                f"{self.name}.{name} is not a number; numeric columns: "
                + (", ".join(numeric) or "none"),
            )

    def parse(self, where: str, name: str, text: str) -> Any:
        """A filter value given as text, as the column stores it."""
        promoted = self._promoted(name)
        if promoted is None:
            return text
        kind = promoted.python_type
        problem = ""
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            values = [str(m.value) for m in kind]
            if text in values:
                return text
            problem = f"one of {', '.join(values)}"
        elif kind is bool:
            folded = text.strip().lower()
            if folded in _TRUE | _FALSE:
                return folded in _TRUE
            problem = "true or false"
        elif kind is int:
            try:
                return int(text)
            except ValueError:
                problem = "a whole number"
        elif kind is Decimal:
            try:
                return Decimal(text)
            except InvalidOperation:
                problem = "a number"
        elif kind is date:
            try:
                return date.fromisoformat(text)
            except ValueError:
                problem = "a date YYYY-MM-DD"
        else:
            return text
        raise ValidationError.single(
            f"{where}.{name}", f"{text!r} is not a value of {self.name}.{name}; use {problem}"
        )

    def to_text(self, name: str) -> Callable[[Any], str] | None:
        """How a grouped value becomes text (``None``: it already is text)."""
        promoted = self._promoted(name)
        if promoted is None or _is_text(promoted.python_type):
            return None  # text already; COALESCE in the query turns a missing value into ""
        kind = promoted.python_type
        if kind is bool:
            return _flag_text
        if kind is date:
            return _date_text
        return _plain_text


def _is_text(python_type: Any) -> bool:
    """True for types stored as text (strings, typed ids, enums by value)."""
    return python_type is str or (
        isinstance(python_type, type) and issubclass(python_type, enum.Enum)
    )


def _flag_text(value: Any) -> str:
    return "" if value is None else str(bool(value))


def _date_text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def _plain_text(value: Any) -> str:
    return "" if value is None else str(value)


class SqlUnitOfWork:
    """One transaction on a :class:`SqlStorage`; leaving ``with`` without commit rolls back."""

    def __init__(self, storage: SqlStorage) -> None:
        self.storage = storage
        self.audit = SqlAuditLog(self)
        self._connection: sa.Connection | None = None
        self._queue: list[_Write] = []
        self._failure: CpdError | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self.close()

    def repository(self, kind: type[R]) -> SqlRepository:
        """The repository for ``kind`` (typed as ``Repository[kind]`` through the port)."""
        return SqlRepository(self, KINDS.of(kind))

    # -- the connection and the write queue -----------------------------------------
    def _conn(self) -> sa.Connection:
        if self._connection is None:
            self._connection = self.storage.engine.connect()
        return self._connection

    def _queue_write(self, write: Callable[[sa.Connection], None]) -> None:
        self._queue.append(_Write(write))

    def flush(self) -> None:
        """Send queued writes to the database (still uncommitted); reads do this first."""
        if self._failure is not None:
            raise self._failure
        if not self._queue:
            return
        connection = self._conn()
        queue, self._queue = self._queue, []
        try:
            for write in queue:
                write.run(connection)
        except CpdError as failure:
            self._fail(failure)
            raise

    def _fail(self, failure: CpdError) -> None:
        # Undo the writes that did go through: the unit of work is all or nothing.
        self._failure = failure
        self._queue = []
        if self._connection is not None:
            self._connection.rollback()

    def _read(self, statement: sa.Executable) -> sa.CursorResult[Any]:
        self.flush()
        return self._conn().execute(statement)

    def commit(self) -> None:
        """Write the queued changes and commit them atomically."""
        self.flush()
        if self._connection is None:
            return
        try:
            self._connection.commit()
        except sa.exc.DBAPIError as exc:
            if _is_lock_conflict(exc):
                failure = ConcurrencyConflict("unit of work", "commit", 0, None)
                self._fail(failure)
                raise failure from exc
            raise

    def rollback(self) -> None:
        """Discard every queued and written change of this unit of work."""
        self._queue = []
        self._failure = None
        if self._connection is not None:
            self._connection.rollback()

    def close(self) -> None:
        """Return the connection to the pool."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class SqlRepository:
    """Records of one kind inside a :class:`SqlUnitOfWork`."""

    def __init__(self, uow: SqlUnitOfWork, kind: RecordKind) -> None:
        self._uow = uow
        self.kind = kind
        self._table = kind.table

    # -- reads ----------------------------------------------------------------------
    def _load(self, body: str, version: int, record_id: str) -> Any:
        try:
            return self.kind.from_row(body, version)
        except Exception as exc:
            raise ConfigurationError(
                f"stored {self.kind.label} {record_id!r} cannot be read as the current "
                f"{self.kind.label} class ({exc}); the data needs a migration"
            ) from exc

    def find(self, trust_id: TrustId, record_id: str) -> Any | None:
        """The record or ``None``."""
        t = self._table
        row = self._uow._read(
            sa.select(t.c.body, t.c.version).where(t.c.trust_id == trust_id, t.c.id == record_id)
        ).first()
        return None if row is None else self._load(row.body, row.version, record_id)

    def get(self, trust_id: TrustId, record_id: str) -> Any:
        """The record, or ``NotFound``."""
        found = self.find(trust_id, record_id)
        if found is None:
            raise NotFound(self.kind.label, record_id, f"trust {trust_id}")
        return found

    def _conditions(
        self, trust_id: TrustId, school_id: SchoolId | None, where: Mapping[str, object] | None
    ) -> tuple[list[sa.ColumnElement[bool]], dict[str, object]]:
        """SQL conditions for the filters, and the ``where`` items left for Python."""
        t = self._table
        conditions: list[sa.ColumnElement[bool]] = [t.c.trust_id == trust_id]
        if school_id is not None:
            conditions.append(t.c.school_id == school_id)
        in_python: dict[str, object] = {}
        for name, value in self.kind.check_where(where).items():
            column = self.kind.column_for(name)
            if column is None:
                in_python[name] = value
                continue
            promoted = self.kind.promoted.get(name)
            stored = promoted.to_column(value) if promoted else value
            conditions.append(column.is_(None) if stored is None else column == stored)
        return conditions, in_python

    def list(
        self,
        trust_id: TrustId,
        *,
        school_id: SchoolId | None = None,
        where: Mapping[str, object] | None = None,
        after: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Any]:
        """Records of the trust in id order, filtered, one page at a time."""
        if limit < 1:
            raise ValidationError.single("limit", f"must be at least 1, got {limit}")
        conditions, in_python = self._conditions(trust_id, school_id, where)
        t = self._table
        base = sa.select(t.c.id, t.c.body, t.c.version).where(*conditions).order_by(t.c.id)
        if not in_python:
            query = base if after is None else base.where(t.c.id > after)
            rows = self._uow._read(query.limit(limit + 1)).all()
            found = [self._load(r.body, r.version, r.id) for r in rows[:limit]]
            more = len(rows) > limit
            return Page(items=found, next_cursor=found[-1].id if more and found else None)
        items: builtins.list[Any] = []
        cursor = after
        while len(items) <= limit:
            query = base if cursor is None else base.where(t.c.id > cursor)
            rows = self._uow._read(query.limit(_PYTHON_FILTER_BATCH)).all()
            for row in rows:
                record = self._load(row.body, row.version, row.id)
                if all(getattr(record, k) == v for k, v in in_python.items()):
                    items.append(record)
            if len(rows) < _PYTHON_FILTER_BATCH:
                break
            cursor = rows[-1].id
        more = len(items) > limit
        page = items[:limit]
        return Page(items=page, next_cursor=page[-1].id if more and page else None)

    def count(
        self,
        trust_id: TrustId,
        *,
        school_id: SchoolId | None = None,
        where: Mapping[str, object] | None = None,
    ) -> int:
        """How many records :meth:`list` would return over all pages."""
        conditions, in_python = self._conditions(trust_id, school_id, where)
        if not in_python:
            query = sa.select(sa.func.count()).select_from(self._table).where(*conditions)
            return int(self._uow._read(query).scalar_one())
        total = 0
        after: str | None = None
        while True:
            page = self.list(
                trust_id, school_id=school_id, where=where, after=after, limit=_PYTHON_FILTER_BATCH
            )
            total += len(page.items)
            if page.next_cursor is None:
                return total
            after = page.next_cursor

    def count_by(
        self,
        trust_id: TrustId,
        group_by: Sequence[str],
        *,
        school_id: SchoolId | None = None,
        where: Mapping[str, object] | None = None,
    ) -> dict[tuple[Any, ...], int]:
        """Records counted per combination of ``group_by`` values, by SQL ``GROUP BY``.

        ``group_by`` and ``where`` may name ``school_id`` and promoted attributes only
        (anything else raises ``ValidationError`` listing what is accepted), so the count
        never loads records into Python. Keys are tuples in ``group_by`` order; enum
        columns come back as enum members, missing values as ``None``. Groups with no
        records are absent.
        """
        accepted = ["school_id", *self.kind.promoted]
        unknown = [name for name in group_by if name not in accepted]
        if unknown:
            raise ValidationError.single(
                "group_by",
                f"{self.kind.label} cannot be grouped by {', '.join(unknown)} in the "
                f"database; accepted: {', '.join(accepted)}",
            )
        conditions, in_python = self._conditions(trust_id, school_id, where)
        if in_python:
            raise ValidationError.single(
                "where",
                f"count_by filters in the database only; {', '.join(sorted(in_python))} "
                f"of {self.kind.label} is not a column (promoted: {', '.join(accepted)})",
            )
        columns = [self._table.c[name] for name in group_by]
        query = (
            sa.select(*columns, sa.func.count())
            .select_from(self._table)
            .where(*conditions)
            .group_by(*columns)
        )
        decoders = [self.kind.promoted.get(name) for name in group_by]
        result: dict[tuple[Any, ...], int] = {}
        for row in self._uow._read(query):
            values: tuple[Any, ...] = tuple(row)[:-1]
            key = tuple(
                value if decoder is None else decoder.from_column(value)
                for decoder, value in zip(decoders, values, strict=True)
            )
            result[key] = int(row[-1])
        return result

    # -- writes ---------------------------------------------------------------------
    def _check_type(self, record: Any) -> None:
        if not isinstance(record, self.kind.cls):
            raise TypeError(f"expected {self.kind.label}, got {type(record).__name__}")

    def add(self, record: Any) -> Any:
        """Queue a new record; it is stored with version 1 (duplicate ids fail at flush)."""
        return self.add_many([record])[0]

    def add_many(self, records: Iterable[Any]) -> builtins.list[Any]:
        """Queue many new records as one ``executemany`` INSERT; return them at version 1.

        A duplicate id makes the flush (or commit) raise ``ValidationError`` and the unit of
        work roll back.
        """
        stored: builtins.list[Any] = []
        rows: builtins.list[dict[str, Any]] = []
        for record in records:
            self._check_type(record)
            new = _with_version(record, 1)
            rows.append(self.kind.to_row(new))
            stored.append(new)
        if not rows:
            return stored
        table = self._table
        label = self.kind.label

        def insert(connection: sa.Connection) -> None:
            try:
                connection.execute(sa.insert(table), rows)
            except sa.exc.IntegrityError as exc:
                ids = ", ".join(repr(r["id"]) for r in rows[:5])
                more = f" (one of {len(rows)})" if len(rows) > 1 else ""
                raise ValidationError.single(
                    "id",
                    f"{label} {ids}{more} already exists in trust {rows[0]['trust_id']}; "
                    "ids must be unique within a trust",
                ) from exc
            except sa.exc.DBAPIError as exc:
                if _is_lock_conflict(exc):
                    raise ConcurrencyConflict(label, str(rows[0]["id"]), 0, None) from exc
                raise

        self._uow._queue_write(insert)
        return stored

    def _versioned_write(self, record: Any, statement: sa.Executable) -> None:
        table = self._table
        label = self.kind.label
        trust_id, record_id, expected = record.trust_id, record.id, record.version

        def write(connection: sa.Connection) -> None:
            try:
                matched = connection.execute(statement).rowcount
            except sa.exc.DBAPIError as exc:
                if _is_lock_conflict(exc):
                    raise ConcurrencyConflict(label, record_id, expected, None) from exc
                raise
            if matched != 1:
                current = connection.execute(
                    sa.select(table.c.version).where(
                        table.c.trust_id == trust_id, table.c.id == record_id
                    )
                ).scalar_one_or_none()
                raise ConcurrencyConflict(label, record_id, expected, current)

        self._uow._queue_write(write)

    def _match(self, record: Any) -> sa.ColumnElement[bool]:
        t = self._table
        return sa.and_(
            t.c.trust_id == record.trust_id, t.c.id == record.id, t.c.version == record.version
        )

    def update(self, record: Any) -> Any:
        """Queue a replacement of the record stored at ``record.version``.

        A stale version raises ``ConcurrencyConflict`` naming the record at the next flush
        or at commit.
        """
        self._check_type(record)
        stored = _with_version(record, record.version + 1)
        row = self.kind.to_row(stored)
        del row["trust_id"], row["id"]
        self._versioned_write(record, sa.update(self._table).where(self._match(record)).values(row))
        return stored

    def remove(self, record: Any) -> None:
        """Queue the deletion of the record, with the same version check as ``update``."""
        self._check_type(record)
        self._versioned_write(record, sa.delete(self._table).where(self._match(record)))


class SqlAuditLog:
    """The audit chains of every trust, in table ``cpd_audit_entries``."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def last(self, trust_id: TrustId) -> AuditEntry | None:
        """The trust's newest entry."""
        t = AUDIT_TABLE
        row = self._uow._read(
            sa.select(t).where(t.c.trust_id == trust_id).order_by(t.c.seq.desc()).limit(1)
        ).first()
        return None if row is None else audit_entry(row._mapping)

    def append(self, entry: AuditEntry) -> None:
        """Queue an entry; its ``seq`` must follow :meth:`last`'s.

        A writer that appended the same ``seq`` and committed first makes this unit of
        work's commit raise ``ConcurrencyConflict`` (the primary key is ``(trust_id, seq)``).
        """
        last = self.last(entry.trust_id)
        expected = 1 if last is None else last.seq + 1
        name = f"{entry.trust_id}#{entry.seq}"
        if entry.seq != expected:
            raise ConcurrencyConflict("AuditEntry", name, expected - 1, entry.seq - 1)
        row = audit_row(entry)

        def insert(connection: sa.Connection) -> None:
            try:
                connection.execute(sa.insert(AUDIT_TABLE), [row])
            except sa.exc.IntegrityError as exc:
                raise ConcurrencyConflict("AuditEntry", name, entry.seq - 1, entry.seq) from exc
            except sa.exc.DBAPIError as exc:
                if _is_lock_conflict(exc):
                    raise ConcurrencyConflict("AuditEntry", name, entry.seq - 1, None) from exc
                raise

        self._uow._queue_write(insert)

    def entries(
        self, trust_id: TrustId, *, after_seq: int = 0, limit: int = DEFAULT_PAGE_SIZE
    ) -> builtins.list[AuditEntry]:
        """Entries after ``after_seq`` in ``seq`` order, at most ``limit``."""
        t = AUDIT_TABLE
        rows = self._uow._read(
            sa.select(t)
            .where(t.c.trust_id == trust_id, t.c.seq > after_seq)
            .order_by(t.c.seq)
            .limit(limit)
        )
        return [audit_entry(row._mapping) for row in rows]

    def redact(self, trust_id: TrustId, seq: int) -> None:
        """Queue replacing one entry's payload by the redaction marker (digest kept)."""
        t = AUDIT_TABLE
        row = self._uow._read(sa.select(t).where(t.c.trust_id == trust_id, t.c.seq == seq)).first()
        if row is None:
            raise NotFound("AuditEntry", str(seq), f"trust {trust_id}")
        redacted = redact(audit_entry(row._mapping))
        statement = (
            sa.update(t)
            .where(t.c.trust_id == trust_id, t.c.seq == seq)
            .values(payload_json=redacted.payload_json, redacted=True)
        )

        def write(connection: sa.Connection) -> None:
            connection.execute(statement)

        self._uow._queue_write(write)
