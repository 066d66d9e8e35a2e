"""Tables of the first record kinds (organisation, line management, appraisal, evidence,
CPD, SIP, reviews) and the audit log.

Revision ID: 0001
Revises: (none)

Migrations are frozen history: they spell out their columns instead of importing
:mod:`cpdcore_sqlalchemy.tables`, so later changes to the registry never rewrite them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _key(length: int = 100) -> sa.types.TypeEngine[Any]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _text() -> sa.types.TypeEngine[Any]:
    return _key(191)


def _body() -> sa.types.TypeEngine[Any]:
    return sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


# kind table -> promoted columns as (name, type, nullable)
_KINDS: dict[str, list[tuple[str, sa.types.TypeEngine[Any], bool]]] = {
    "trusts": [],
    "schools": [],
    "departments": [],
    "staff": [("active", sa.Boolean(), False), ("sourced_id", _text(), True)],
    "appraiser_assignments": [
        ("appraisee_id", _text(), False),
        ("appraiser_id", _text(), False),
        ("academic_year", _text(), False),
    ],
    "cycles": [("academic_year", _text(), False), ("phase", _text(), False)],
    "objectives": [
        ("cycle_id", _text(), False),
        ("appraisee_id", _text(), False),
        ("status", _text(), False),
    ],
    "progress_updates": [
        ("objective_id", _text(), False),
        ("cycle_id", _text(), False),
        ("appraisee_id", _text(), False),
        ("criterion", _text(), False),
        ("measured_on", sa.Date(), False),
    ],
    "evidence": [
        ("owner_id", _text(), False),
        ("kind", _text(), False),
        ("purpose", _text(), False),
        ("captured_on", sa.Date(), False),
        ("appraisal_evidence", sa.Boolean(), False),
    ],
    "cpd_activities": [
        ("staff_id", _text(), False),
        ("kind", _text(), False),
        ("started_on", sa.Date(), False),
    ],
    "sip_priorities": [("academic_year", _text(), False), ("code", _text(), False)],
    "review_comments": [
        ("cycle_id", _text(), False),
        ("appraisee_id", _text(), False),
        ("stage", _text(), False),
        ("objective_id", _text(), True),
    ],
}


def _create_kind(name: str, promoted: list[tuple[str, sa.types.TypeEngine[Any], bool]]) -> None:
    table = f"cpd_{name}"
    op.create_table(
        table,
        sa.Column("trust_id", _key(), nullable=False),
        sa.Column("id", _key(), nullable=False),
        sa.Column("school_id", _key(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        *(sa.Column(column, type_, nullable=nullable) for column, type_, nullable in promoted),
        sa.Column("body", _body(), nullable=False),
        sa.PrimaryKeyConstraint("trust_id", "id", name=f"pk_{table}"),
        **_OPTIONS,
    )
    op.create_index(f"ix_{table}_trust_id_school_id_id", table, ["trust_id", "school_id", "id"])
    for column, _type, _nullable in promoted:
        op.create_index(f"ix_{table}_trust_id_{column}", table, ["trust_id", column])


def upgrade() -> None:
    """Create every table."""
    for name, promoted in _KINDS.items():
        _create_kind(name, promoted)
    op.create_table(
        "cpd_audit_entries",
        sa.Column("trust_id", _key(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor_id", _key(), nullable=False),
        sa.Column("action", _text(), nullable=False),
        sa.Column("record_kind", _text(), nullable=False),
        sa.Column("record_id", _text(), nullable=False),
        sa.Column("payload_json", _body(), nullable=False),
        sa.Column("payload_digest", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("school_id", _key(), nullable=True),
        sa.Column("subject_id", _key(), nullable=True),
        sa.Column("redacted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("trust_id", "seq", name="pk_cpd_audit_entries"),
        **_OPTIONS,
    )
    op.create_index(
        "ix_cpd_audit_entries_trust_id_subject_id", "cpd_audit_entries", ["trust_id", "subject_id"]
    )


def downgrade() -> None:
    """Drop every table (indexes go with them)."""
    op.drop_table("cpd_audit_entries")
    for name in reversed(list(_KINDS)):
        op.drop_table(f"cpd_{name}")
