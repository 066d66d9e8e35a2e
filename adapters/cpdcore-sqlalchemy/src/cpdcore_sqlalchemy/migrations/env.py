"""Alembic environment: runs migrations on the connection :mod:`cpdcore_sqlalchemy.schema`
passes in ``config.attributes["connection"]`` (there is no alembic.ini)."""

from __future__ import annotations

from alembic import context

from cpdcore_sqlalchemy.schema import VERSION_TABLE, include_name
from cpdcore_sqlalchemy.tables import metadata


def run_migrations_online() -> None:
    """Run the migrations on the given connection, inside its transaction."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "run cpdcore migrations through cpdcore_sqlalchemy.schema or `cpd db upgrade`"
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
