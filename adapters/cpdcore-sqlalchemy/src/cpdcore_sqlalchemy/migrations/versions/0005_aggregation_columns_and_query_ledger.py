"""Columns for anonymised aggregates in the database, and the query ledger.

* Promoted columns that aggregates group, filter or sum by: objective ``category`` (from
  ``terms.category``), CPD activity ``hours``, observation ``focus_code``, alignment fact
  ``term`` and ``minutes``. Existing rows are filled from their JSON body.
* The query ledger tables (answers, revealed populations as keyed hashes, privacy budgets,
  the per-trust hashing key), so the differencing defence lives in the store.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}

_BATCH = 1000


def _key(length: int = 100) -> sa.types.TypeEngine[Any]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _text() -> sa.types.TypeEngine[Any]:
    return _key(191)


def _minutes(body: dict[str, Any]) -> int:
    return int(body.get("minutes", 0))


# (table, column, type, value read from the JSON body)
_COLUMNS: list[tuple[str, str, sa.types.TypeEngine[Any], Callable[[dict[str, Any]], Any]]] = [
    ("cpd_objectives", "category", _text(), lambda body: body["terms"]["category"]),
    ("cpd_cpd_activities", "hours", sa.Numeric(14, 4), lambda body: Decimal(str(body["hours"]))),
    ("cpd_observations", "focus_code", _text(), lambda body: body["focus_code"]),
    ("cpd_alignment_facts", "term", _text(), lambda body: body["term"]),
    ("cpd_alignment_facts", "minutes", sa.BigInteger(), _minutes),
]


def _backfill(connection: sa.Connection, table_name: str) -> None:
    """Fill the new columns of ``table_name`` from each row's body, in batches."""
    wanted = [(c, read) for t, c, _type, read in _COLUMNS if t == table_name]
    types = {c: type_ for t, c, type_, _read in _COLUMNS if t == table_name}
    table = sa.table(
        table_name,
        sa.column("trust_id"),
        sa.column("id"),
        sa.column("body"),
        *(sa.column(c, types[c]) for c, _read in wanted),
    )
    statement = (
        sa.update(table)
        .where(table.c.trust_id == sa.bindparam("k_trust"), table.c.id == sa.bindparam("k_id"))
        .values({c: sa.bindparam(f"v_{c}") for c, _read in wanted})
    )
    rows = connection.execute(sa.select(table.c.trust_id, table.c.id, table.c.body)).all()
    for start in range(0, len(rows), _BATCH):
        batch = []
        for trust_id, record_id, body in rows[start : start + _BATCH]:
            data = json.loads(body)
            values = {f"v_{c}": read(data) for c, read in wanted}
            batch.append({"k_trust": trust_id, "k_id": record_id, **values})
        connection.execute(statement, batch)


def _ledger_tables() -> None:
    binary = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")
    op.create_table(
        "cpd_ledger_keys",
        sa.Column("trust_id", _key(), nullable=False),
        sa.Column("person_key", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("trust_id", name="pk_cpd_ledger_keys"),
        **_OPTIONS,
    )
    op.create_table(
        "cpd_ledger_answers",
        sa.Column("trust_id", _key(), nullable=False),
        sa.Column("requester", _text(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("answered_at", sa.String(40), nullable=False),
        sa.Column(
            "answer", sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb"), nullable=False
        ),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(
            "trust_id", "requester", "fingerprint", name="pk_cpd_ledger_answers"
        ),
        **_OPTIONS,
    )
    op.create_table(
        "cpd_ledger_populations",
        sa.Column("trust_id", _key(), nullable=False),
        sa.Column("requester", _text(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("members", binary, nullable=False),
        sa.PrimaryKeyConstraint(
            "trust_id", "requester", "fingerprint", "seq", name="pk_cpd_ledger_populations"
        ),
        **_OPTIONS,
    )
    op.create_index(
        "ix_cpd_ledger_populations_trust_id_requester_size",
        "cpd_ledger_populations",
        ["trust_id", "requester", "size"],
    )
    op.create_table(
        "cpd_ledger_budgets",
        sa.Column("trust_id", _key(), nullable=False),
        sa.Column("requester", _text(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("spent", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("trust_id", "requester", name="pk_cpd_ledger_budgets"),
        **_OPTIONS,
    )


def upgrade() -> None:
    """Add and fill the promoted columns (then make them NOT NULL); create the ledger."""
    connection = op.get_bind()
    tables = list(dict.fromkeys(t for t, _c, _type, _read in _COLUMNS))
    for table, column, type_, _read in _COLUMNS:
        op.add_column(table, sa.Column(column, type_, nullable=True))
    for table in tables:
        _backfill(connection, table)
        with op.batch_alter_table(table) as batch:
            for t, column, type_, _read in _COLUMNS:
                if t == table:
                    batch.alter_column(column, existing_type=type_, nullable=False)
    for table, column, _type, _read in _COLUMNS:
        op.create_index(f"ix_{table}_trust_id_{column}", table, ["trust_id", column])
    _ledger_tables()


def downgrade() -> None:
    """Drop the ledger and the promoted columns (the bodies still hold the values)."""
    for name in ("cpd_ledger_budgets", "cpd_ledger_populations", "cpd_ledger_answers"):
        op.drop_table(name)
    op.drop_table("cpd_ledger_keys")
    for table, column, _type, _read in reversed(_COLUMNS):
        op.drop_index(f"ix_{table}_trust_id_{column}", table_name=table)
    for table in dict.fromkeys(t for t, _c, _type, _read in reversed(_COLUMNS)):
        with op.batch_alter_table(table) as batch:
            for t, column, _type, _read in _COLUMNS:
                if t == table:
                    batch.drop_column(column)
