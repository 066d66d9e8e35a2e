"""Table for stored school calendars (a trust default and per-school overrides).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_TABLE = "cpd_calendar_settings"


def _key(length: int = 100) -> sa.types.TypeEngine[Any]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    """Create the table with the standard record layout and its tenant-first index."""
    op.create_table(
        _TABLE,
        sa.Column("trust_id", _key(), nullable=False),
        sa.Column("id", _key(), nullable=False),
        sa.Column("school_id", _key(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "body", sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb"), nullable=False
        ),
        sa.PrimaryKeyConstraint("trust_id", "id", name=f"pk_{_TABLE}"),
        mysql_engine="InnoDB",
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
    )
    op.create_index(f"ix_{_TABLE}_trust_id_school_id_id", _TABLE, ["trust_id", "school_id", "id"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_table(_TABLE)
