"""The registry of stored record kinds and the SQLAlchemy tables they map to.

Each record class gets its own table with the same layout:

* ``trust_id`` and ``id`` (the primary key, tenant first), ``school_id`` (nullable) and
  ``version`` (the optimistic-lock counter);
* *promoted* columns: copies of the record's simple attributes that queries filter or
  group by (``where=``, :meth:`~cpdcore_sqlalchemy.storage.SqlRepository.count_by`,
  :meth:`~cpdcore_sqlalchemy.storage.SqlStorage.person_cells`); a dotted path such as
  ``terms.category`` promotes a nested attribute under its last name (``category``);
* ``body``: the whole record as JSON text, written with :data:`cpdcore.serialization.converter`.
  The body is the truth; promoted columns are derived from it on every write.

Adding a kind is one :meth:`KindRegistry.add` line in :func:`_register_core_kinds` plus an
Alembic migration creating its table (``tests/test_migrations.py`` fails until both agree).
Column types of promoted attributes are read from the record class's annotations.
"""

from __future__ import annotations

import enum
import json
import typing
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from types import NoneType, UnionType
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from cpdcore.domain.alignment import AlignmentFact
from cpdcore.domain.audit import AuditEntry
from cpdcore.domain.calendar import CalendarSetting
from cpdcore.domain.clips import Clip, ObservationPolicy
from cpdcore.domain.consent import ConsentRecord, Share
from cpdcore.domain.cpd_activities import CpdActivity
from cpdcore.domain.cycles import AppraisalCycle
from cpdcore.domain.evidence import Evidence
from cpdcore.domain.line_management import AppraiserAssignment
from cpdcore.domain.objectives import Objective
from cpdcore.domain.observations import Observation, ObservationFocus, ObservationRequest
from cpdcore.domain.organisation import Department, School, StaffMember, Trust
from cpdcore.domain.progress import ProgressUpdate
from cpdcore.domain.rag.overrides import RagOverride
from cpdcore.domain.rag.policy import RagPolicySetting
from cpdcore.domain.review_meetings import ReviewComment
from cpdcore.domain.roster import ClassGroup, OutcomeAggregate, TeachingLink
from cpdcore.domain.sip import SipPriority
from cpdcore.domain.video_clubs import ClubSession, VideoClub
from cpdcore.errors import ConfigurationError, ValidationError
from cpdcore.serialization import converter

__all__ = [
    "AUDIT_TABLE",
    "LEDGER_ANSWERS_TABLE",
    "LEDGER_BUDGETS_TABLE",
    "LEDGER_KEYS_TABLE",
    "LEDGER_POPULATIONS_TABLE",
    "ID_LENGTH",
    "KINDS",
    "TABLE_PREFIX",
    "TEXT_LENGTH",
    "KindRegistry",
    "RecordKind",
    "metadata",
]

TABLE_PREFIX = "cpd_"
"""Every table of the adapter starts with this, so cpdcore can share a database."""

ID_LENGTH = 100
"""Longest id (record, trust or school) the store accepts."""

TEXT_LENGTH = 191
"""Longest value of a promoted text column (191 characters keep MariaDB index keys short)."""

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)
"""Every table of the adapter; Alembic's autogenerate compares migrations against it."""

# Ids sort and compare byte by byte on every engine, like Python strings: PostgreSQL's
# "C" collation and MariaDB's utf8mb4_bin (set per table) instead of locale rules, which
# would reorder cursors and treat "S1" and "s1" as the same id.
_BINARY_TEXT_DIALECTS = {"postgresql": "C"}


def key_text(length: int = ID_LENGTH) -> sa.types.TypeEngine[str]:
    """A short text column compared and ordered by code point on every engine."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def long_text() -> sa.types.TypeEngine[str]:
    """Unbounded text (MariaDB's TEXT stops at 64 KiB, so it gets LONGTEXT)."""
    return sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _plain_type(annotation: Any) -> tuple[Any, bool]:
    """``(type, nullable)`` of an annotation such as ``SchoolId | None``."""
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, UnionType):
        members = [a for a in typing.get_args(annotation) if a is not NoneType]
        nullable = len(members) < len(typing.get_args(annotation))
        if len(members) != 1:
            raise TypeError(f"cannot promote a union of several types: {annotation!r}")
        annotation = members[0]
    # NewType ids (StaffId, SchoolId...) are stored as their base type.
    while hasattr(annotation, "__supertype__"):
        annotation = annotation.__supertype__
    return annotation, nullable


def _column_type(python_type: Any) -> sa.types.TypeEngine[Any]:
    if python_type is bool:
        return sa.Boolean()
    if python_type is int:
        return sa.BigInteger()
    if python_type is date:
        return sa.Date()
    if python_type is Decimal:
        # Hours and minutes: exact, four decimal places (the JSON body keeps every digit).
        return sa.Numeric(14, 4)
    if python_type is str or (isinstance(python_type, type) and issubclass(python_type, enum.Enum)):
        return key_text(TEXT_LENGTH)
    raise TypeError(
        f"cannot promote an attribute of type {python_type!r}; promote str, int, bool, date, "
        "decimal, enum or typed-id attributes and keep others in the JSON body"
    )


@attrs.frozen
class Promoted:
    """One promoted attribute: its column name, Python type and whether it may be null."""

    name: str
    python_type: Any
    nullable: bool
    path: tuple[str, ...] = ()
    """Attributes to follow from the record (``("terms", "category")``); empty: ``(name,)``."""

    def read(self, record: Any) -> Any:
        """The attribute's value on ``record`` (following a dotted path)."""
        value = record
        for step in self.path or (self.name,):
            value = getattr(value, step)
        return value

    def to_column(self, value: Any) -> Any:
        """The value as the column stores it (enums by value)."""
        if isinstance(value, enum.Enum):
            return value.value
        return value

    def from_column(self, value: Any) -> Any:
        """A stored value back as the record's type (enum members for enum columns)."""
        if value is None:
            return None
        if isinstance(self.python_type, type) and issubclass(self.python_type, enum.Enum):
            return self.python_type(value)
        if self.python_type is bool:
            return bool(value)
        return value


@attrs.frozen
class RecordKind:
    """How one record class is stored: its name, table and promoted attributes."""

    cls: type[Any]
    name: str
    """Short name used by :meth:`~cpdcore_sqlalchemy.storage.SqlStorage.count_by` (``"staff"``)."""
    table: sa.Table
    promoted: Mapping[str, Promoted]
    person: str | None = None
    """Attribute naming the person a record is about (for per-person aggregates)."""

    @property
    def label(self) -> str:
        """The class name, used in messages."""
        return self.cls.__name__

    def attribute_names(self) -> set[str]:
        """Every attribute a ``where`` filter may name (fields, promoted nested attributes
        and the tenant columns)."""
        return (
            {f.name for f in attrs.fields(self.cls)}
            | set(self.promoted)
            | {
                "trust_id",
                "school_id",
            }
        )

    def check_where(self, where: Mapping[str, object] | None) -> dict[str, object]:
        """``where`` itself, after checking every key names an attribute of the class."""
        if not where:
            return {}
        names = self.attribute_names()
        unknown = sorted(set(where) - names)
        if unknown:
            raise ValidationError.single(
                "where",
                f"{self.label} has no attribute(s) {', '.join(unknown)}; "
                f"accepted: {', '.join(sorted(names))}",
            )
        return dict(where)

    def column_for(self, name: str) -> sa.ColumnElement[Any] | None:
        """The column a ``where`` key can be answered by in SQL, or ``None``."""
        if name in ("trust_id", "school_id", "id", "version") or name in self.promoted:
            return self.table.c[name]
        return None

    def to_row(self, record: Any) -> dict[str, Any]:
        """The table row of ``record`` (version as given; the caller sets the stored one)."""
        body = converter.unstructure(record)
        body.pop("version", None)
        row = {
            "trust_id": _bounded("trust_id", record.trust_id, ID_LENGTH),
            "id": _bounded("id", record.id, ID_LENGTH),
            "school_id": _bounded("school_id", record.school_id, ID_LENGTH),
            "version": record.version,
            "body": json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
        }
        for name, promoted in self.promoted.items():
            value = promoted.to_column(promoted.read(record))
            if isinstance(value, str):
                _bounded(name, value, TEXT_LENGTH)
            row[name] = value
        return row

    def from_row(self, body: str, version: int) -> Any:
        """The record stored as ``body`` at ``version``."""
        data = json.loads(body)
        data["version"] = version
        return converter.structure(data, self.cls)


def _bounded(name: str, value: str | None, limit: int) -> str | None:
    if value is not None and len(value) > limit:
        raise ValidationError.single(
            name,
            f"{value[:20]!r}... is {len(value)} characters; this store accepts at most {limit}",
        )
    return value


class KindRegistry:
    """Record classes and their tables; look kinds up by class or by short name."""

    def __init__(self, target: sa.MetaData) -> None:
        self._metadata = target
        self._by_class: dict[type[Any], RecordKind] = {}
        self._by_name: dict[str, RecordKind] = {}

    def add(
        self,
        cls: type[Any],
        name: str,
        *,
        promote: Sequence[str] = (),
        person: str | None = None,
    ) -> RecordKind:
        """Register ``cls`` stored in table ``cpd_<name>`` with ``promote`` as columns."""
        if cls in self._by_class or name in self._by_name:
            raise ConfigurationError(f"record kind {cls.__name__} ({name}) is registered twice")
        promoted: dict[str, Promoted] = {}
        for attribute in promote:
            path = tuple(attribute.split("."))
            owner: Any = cls
            for step in path:
                hints = typing.get_type_hints(owner)
                if step not in hints:
                    raise ConfigurationError(
                        f"{cls.__name__} has no attribute {attribute!r} to promote"
                    )
                owner = hints[step]
            python_type, nullable = _plain_type(owner)
            column = path[-1]
            promoted[column] = Promoted(
                column, python_type, nullable, path if len(path) > 1 else ()
            )
        table_name = f"{TABLE_PREFIX}{name}"
        columns: list[Any] = [
            sa.Column("trust_id", key_text(), primary_key=True),
            sa.Column("id", key_text(), primary_key=True),
            sa.Column("school_id", key_text(), nullable=True),
            sa.Column("version", sa.Integer(), nullable=False),
        ]
        columns += [
            sa.Column(p.name, _column_type(p.python_type), nullable=p.nullable)
            for p in promoted.values()
        ]
        columns.append(sa.Column("body", long_text(), nullable=False))
        # Indexes lead with the tenant so a trust's rows sit together (and a distributed
        # PostgreSQL such as Citus can shard by trust_id).
        columns.append(sa.Index(None, "trust_id", "school_id", "id"))
        columns += [sa.Index(None, "trust_id", p) for p in promoted]
        table = sa.Table(table_name, self._metadata, *columns, **_TABLE_OPTIONS)
        kind = RecordKind(cls, name, table, promoted, person)
        self._by_class[cls] = kind
        self._by_name[name] = kind
        return kind

    def of(self, cls: type[Any]) -> RecordKind:
        """The kind storing ``cls``; ``ConfigurationError`` naming the fix if none does."""
        try:
            return self._by_class[cls]
        except KeyError:
            raise ConfigurationError(
                f"cpdcore-sqlalchemy has no table for {cls.__name__}: add a KINDS.add(...) line "
                "in cpdcore_sqlalchemy/tables.py and an Alembic migration creating it"
            ) from None

    def named(self, name: str) -> RecordKind:
        """The kind with short name ``name``; ``ValidationError`` listing the names if none."""
        try:
            return self._by_name[name]
        except KeyError:
            raise ValidationError.single(
                "kind",
                f"unknown record kind {name!r}; accepted: {', '.join(sorted(self._by_name))}",
            ) from None

    def __iter__(self) -> Iterator[RecordKind]:
        return iter(self._by_class.values())

    def __contains__(self, cls: object) -> bool:
        return cls in self._by_class


KINDS = KindRegistry(metadata)
"""Every record kind this adapter stores."""


def _register_core_kinds(kinds: KindRegistry) -> None:
    # One line per stored record class. Promote what use cases filter or group by.
    # Migration 0001.
    kinds.add(Trust, "trusts")
    kinds.add(School, "schools")
    kinds.add(Department, "departments")
    kinds.add(StaffMember, "staff", promote=("active", "sourced_id"), person="id")
    kinds.add(
        AppraiserAssignment,
        "appraiser_assignments",
        promote=("appraisee_id", "appraiser_id", "academic_year"),
        person="appraisee_id",
    )
    kinds.add(AppraisalCycle, "cycles", promote=("academic_year", "phase"))
    kinds.add(
        Objective,
        "objectives",
        # category: migration 0005.
        promote=("cycle_id", "appraisee_id", "status", "terms.category"),
        person="appraisee_id",
    )
    kinds.add(
        ProgressUpdate,
        "progress_updates",
        promote=("objective_id", "cycle_id", "appraisee_id", "criterion", "measured_on"),
        person="appraisee_id",
    )
    kinds.add(
        Evidence,
        "evidence",
        promote=("owner_id", "kind", "purpose", "captured_on", "appraisal_evidence"),
        person="owner_id",
    )
    kinds.add(
        CpdActivity,
        "cpd_activities",
        # hours: migration 0005.
        promote=("staff_id", "kind", "started_on", "hours"),
        person="staff_id",
    )
    kinds.add(SipPriority, "sip_priorities", promote=("academic_year", "code"))
    kinds.add(
        ReviewComment,
        "review_comments",
        promote=("cycle_id", "appraisee_id", "stage", "objective_id"),
        person="appraisee_id",
    )
    # Migration 0002.
    kinds.add(
        ConsentRecord,
        "consent_records",
        promote=("subject_id", "item_kind", "item_id", "purpose", "audience"),
        person="subject_id",
    )
    kinds.add(
        Share,
        "shares",
        promote=("subject_id", "consent_id", "item_kind", "item_id"),
        person="subject_id",
    )
    kinds.add(
        RagOverride,
        "rag_overrides",
        promote=("objective_id", "appraisee_id", "colour"),
        person="appraisee_id",
    )
    kinds.add(ClassGroup, "class_groups", promote=("active",))
    kinds.add(
        TeachingLink,
        "teaching_links",
        promote=("staff_id", "class_id", "active"),
        person="staff_id",
    )
    kinds.add(
        OutcomeAggregate, "outcome_aggregates", promote=("group_type", "group_id", "week_start")
    )
    # Migration 0003.
    kinds.add(ObservationFocus, "observation_foci", promote=("code", "active"))
    kinds.add(
        ObservationRequest,
        "observation_requests",
        promote=("observer_id", "teacher_id", "status", "planned_for"),
        person="teacher_id",
    )
    kinds.add(
        Observation,
        "observations",
        # focus_code: migration 0005.
        promote=("observer_id", "teacher_id", "kind", "observed_on", "focus_code"),
        person="teacher_id",
    )
    kinds.add(ObservationPolicy, "observation_policies")
    kinds.add(
        Clip,
        "clips",
        promote=("subject_id", "recorded_by", "kind", "observation_id", "captured_on"),
        person="subject_id",
    )
    kinds.add(VideoClub, "video_clubs", promote=("facilitator_id", "active"))
    kinds.add(ClubSession, "club_sessions", promote=("club_id", "status"))
    kinds.add(
        AlignmentFact,
        "alignment_facts",
        # term, minutes: migration 0005.
        promote=("person_id", "academic_year", "sip_code", "activity", "term", "minutes"),
        person="person_id",
    )
    # Migration 0004.
    kinds.add(RagPolicySetting, "rag_policy_settings")
    # Migration 0006.
    kinds.add(CalendarSetting, "calendar_settings")


_register_core_kinds(KINDS)

AUDIT_TABLE = sa.Table(
    f"{TABLE_PREFIX}audit_entries",
    metadata,
    sa.Column("trust_id", key_text(), primary_key=True),
    # (trust_id, seq) is the primary key: two transactions appending the same seq collide.
    sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
    # ISO 8601 text keeps the offset and microseconds the chain hash covers, on every engine.
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("actor_id", key_text(), nullable=False),
    sa.Column("action", key_text(TEXT_LENGTH), nullable=False),
    sa.Column("record_kind", key_text(TEXT_LENGTH), nullable=False),
    sa.Column("record_id", key_text(TEXT_LENGTH), nullable=False),
    sa.Column("payload_json", long_text(), nullable=False),
    sa.Column("payload_digest", sa.String(64), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    sa.Column("school_id", key_text(), nullable=True),
    sa.Column("subject_id", key_text(), nullable=True),
    sa.Column("redacted", sa.Boolean(), nullable=False),
    sa.Index(None, "trust_id", "subject_id"),
    **_TABLE_OPTIONS,
)
"""The hash-chained audit log, one chain per trust."""


def long_binary() -> sa.types.TypeEngine[bytes]:
    """Unbounded bytes (MariaDB's BLOB stops at 64 KiB, so it gets LONGBLOB)."""
    return sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


# The anonymised-aggregation query ledger (migration 0005): per trust and requester, the
# answers given, the populations they revealed (keyed hashes, never person ids) and the
# privacy budget. See cpdcore_sqlalchemy.ledger.
LEDGER_KEYS_TABLE = sa.Table(
    f"{TABLE_PREFIX}ledger_keys",
    metadata,
    sa.Column("trust_id", key_text(), primary_key=True),
    sa.Column("person_key", sa.LargeBinary(), nullable=False),
    **_TABLE_OPTIONS,
)
"""The secret key person ids are hashed with, one per trust."""

LEDGER_ANSWERS_TABLE = sa.Table(
    f"{TABLE_PREFIX}ledger_answers",
    metadata,
    sa.Column("trust_id", key_text(), primary_key=True),
    sa.Column("requester", key_text(TEXT_LENGTH), primary_key=True),
    sa.Column("fingerprint", sa.String(64), primary_key=True),
    sa.Column("answered_at", sa.String(40), nullable=False),
    sa.Column("answer", long_text(), nullable=False),
    sa.Column("epsilon", sa.Float(), nullable=False),
    **_TABLE_OPTIONS,
)
"""Answered aggregate queries (the JSON answer is replayed for an identical query)."""

LEDGER_POPULATIONS_TABLE = sa.Table(
    f"{TABLE_PREFIX}ledger_populations",
    metadata,
    sa.Column("trust_id", key_text(), primary_key=True),
    sa.Column("requester", key_text(TEXT_LENGTH), primary_key=True),
    sa.Column("fingerprint", sa.String(64), primary_key=True),
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("members", long_binary(), nullable=False),
    sa.Index(None, "trust_id", "requester", "size"),
    **_TABLE_OPTIONS,
)
"""Populations revealed by each answer: zlib-compressed sorted 64-bit keyed hashes."""

LEDGER_BUDGETS_TABLE = sa.Table(
    f"{TABLE_PREFIX}ledger_budgets",
    metadata,
    sa.Column("trust_id", key_text(), primary_key=True),
    sa.Column("requester", key_text(TEXT_LENGTH), primary_key=True),
    sa.Column("total", sa.Float(), nullable=False),
    sa.Column("spent", sa.Float(), nullable=False),
    **_TABLE_OPTIONS,
)
"""Differential-privacy budget (epsilon) per requester."""


def audit_row(entry: AuditEntry) -> dict[str, Any]:
    """The table row of an audit entry."""
    row = attrs.asdict(entry)
    row["at"] = entry.at.isoformat()
    return row


def audit_entry(row: Any) -> AuditEntry:
    """The audit entry stored in ``row``."""
    values = dict(row)
    values["redacted"] = bool(values["redacted"])
    values["seq"] = int(values["seq"])
    data = converter.structure(values, AuditEntry)
    return data
