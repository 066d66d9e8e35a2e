"""Tables for observations (foci, requests, notes, policies, clips), video clubs and their
sessions, and SIP alignment facts.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0003"
down_revision: str | None = "0002"
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
    "observation_foci": [("code", _text(), False), ("active", sa.Boolean(), False)],
    "observation_requests": [
        ("observer_id", _text(), False),
        ("teacher_id", _text(), False),
        ("status", _text(), False),
        ("planned_for", sa.Date(), False),
    ],
    "observations": [
        ("observer_id", _text(), False),
        ("teacher_id", _text(), False),
        ("kind", _text(), False),
        ("observed_on", sa.Date(), False),
    ],
    "observation_policies": [],
    "clips": [
        ("subject_id", _text(), False),
        ("recorded_by", _text(), False),
        ("kind", _text(), False),
        ("observation_id", _text(), True),
        ("captured_on", sa.Date(), False),
    ],
    "video_clubs": [("facilitator_id", _text(), False), ("active", sa.Boolean(), False)],
    "club_sessions": [("club_id", _text(), False), ("status", _text(), False)],
    "alignment_facts": [
        ("person_id", _text(), False),
        ("academic_year", _text(), False),
        ("sip_code", _text(), False),
        ("activity", _text(), False),
    ],
}


def upgrade() -> None:
    """Create the eight tables with the standard record layout and tenant-first indexes."""
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
    """Drop the eight tables."""
    for name in reversed(list(_KINDS)):
        op.drop_table(f"cpd_{name}")
