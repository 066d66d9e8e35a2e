"""Tables for consent records and shares, RAG overrides, and MIS classes, teaching links
and outcome aggregates.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0002"
down_revision: str | None = "0001"
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


_KINDS: dict[str, list[tuple[str, sa.types.TypeEngine[Any], bool]]] = {
    "consent_records": [
        ("subject_id", _text(), False),
        ("item_kind", _text(), False),
        ("item_id", _text(), True),
        ("purpose", _text(), False),
        ("audience", _text(), False),
    ],
    "shares": [
        ("subject_id", _text(), False),
        ("consent_id", _text(), False),
        ("item_kind", _text(), False),
        ("item_id", _text(), False),
    ],
    "rag_overrides": [
        ("objective_id", _text(), False),
        ("appraisee_id", _text(), False),
        ("colour", _text(), False),
    ],
    "class_groups": [("active", sa.Boolean(), False)],
    "teaching_links": [
        ("staff_id", _text(), False),
        ("class_id", _text(), False),
        ("active", sa.Boolean(), False),
    ],
    "outcome_aggregates": [
        ("group_type", _text(), False),
        ("group_id", _text(), False),
        ("week_start", sa.Date(), False),
    ],
}


def upgrade() -> None:
    """Create the six tables with the standard record layout and tenant-first indexes."""
    for name, promoted in _KINDS.items():
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


def downgrade() -> None:
    """Drop the six tables."""
    for name in reversed(list(_KINDS)):
        op.drop_table(f"cpd_{name}")
