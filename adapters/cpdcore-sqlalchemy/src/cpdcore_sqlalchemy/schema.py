"""Engines and schema versions: connecting, SQLite settings, Alembic upgrades and downgrades.

The migrations live inside the package (``cpdcore_sqlalchemy/migrations``) and are run
through Alembic's Python API, so operators need no ``alembic.ini``: ``cpd db upgrade``
calls :func:`upgrade`. The version is kept in the table ``cpd_schema_version``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from cpdcore.errors import ConfigurationError
from cpdcore_sqlalchemy.urls import engine_url, redacted

__all__ = [
    "VERSION_TABLE",
    "alembic_config",
    "connect",
    "current_revision",
    "downgrade",
    "head_revision",
    "include_name",
    "make_engine",
    "missing_sqlite_file",
    "upgrade",
]

VERSION_TABLE = "cpd_schema_version"
"""Alembic's version table for cpdcore (named so it never clashes with a host's own)."""

SCRIPT_LOCATION = "cpdcore_sqlalchemy:migrations"

ACCEPTED_STORES = (
    "a SQLite file made by cpdcore (sqlite:///path/to/cpd.db) or a reachable PostgreSQL or "
    "MariaDB/MySQL database (postgresql://user@host/db, mysql://user@host/db)"
)
"""What a store URL may name, for error messages."""

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for another writer's commit before giving up."""


def _sqlite_settings(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers carry on while one writer commits; foreign keys are off in
        # SQLite unless asked for on every connection.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def make_engine(url: str, **options: Any) -> sa.Engine:
    """An engine for a cpdcore store URL (see :mod:`cpdcore_sqlalchemy.urls`).

    SQLite connections run in WAL mode with foreign keys on; PostgreSQL and MariaDB run at
    READ COMMITTED, the level the optimistic-locking updates are written for.
    """
    target = engine_url(url)
    backend = target.get_backend_name()
    if backend == "sqlite":
        engine = sa.create_engine(target, **options)
        sa.event.listen(engine, "connect", _sqlite_settings)
        return engine
    options.setdefault("isolation_level", "READ COMMITTED")
    options.setdefault("pool_pre_ping", True)
    return sa.create_engine(target, **options)


def missing_sqlite_file(url: str) -> Path | None:
    """The file a ``sqlite:///…`` URL names when it does not exist yet, else ``None``.

    Opening such a URL creates an empty database; commands that only read use this to
    say so instead.
    """
    target = engine_url(url)
    database = target.database
    if target.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # an SQLite URI filename: left to SQLite itself
        return None
    path = Path(database)
    return None if path.exists() else path


@contextmanager
def connect(engine: sa.Engine, *, begin: bool = False) -> Iterator[sa.Connection]:
    """A connection (in a transaction with ``begin``); a database that cannot be opened at
    all (no server, wrong password, not an SQLite file) raises ``ConfigurationError``
    naming the URL and what is accepted, instead of a driver error."""
    try:
        connection = engine.connect()
    except sa.exc.DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        # The URL as operators write it: without the driver this adapter chose.
        plain = engine.url.set(drivername=engine.url.get_backend_name())
        shown = plain.render_as_string(hide_password=True)
        raise ConfigurationError(
            f"cannot open the store {shown}: {reason}; accepted: {ACCEPTED_STORES}"
        ) from None
    with connection:
        if begin:
            with connection.begin():
                yield connection
        else:
            yield connection


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """For autogenerate: compare only cpdcore's tables, never Alembic's or a host's own."""
    from cpdcore_sqlalchemy.tables import metadata

    if type_ == "table":
        return name is not None and name in metadata.tables
    return True


def alembic_config(connection: sa.Connection) -> Config:
    """An Alembic configuration running the packaged migrations on ``connection``."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration shipped with this version of the adapter."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:
        raise ConfigurationError("cpdcore-sqlalchemy ships no migrations; reinstall it")
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The schema version of the database (``None`` for an empty database)."""
    with connect(engine) as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (default: the newest)."""
    with connect(engine, begin=True) as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: sa.Engine, revision: str = "-1") -> None:
    """Migrate the database down to ``revision`` (``-1``: one step; ``base``: empty)."""
    with connect(engine, begin=True) as connection:
        command.downgrade(alembic_config(connection), revision)


def require_current(engine: sa.Engine, url: str) -> None:
    """Raise ``ConfigurationError`` unless the database is at :func:`head_revision`."""
    found = current_revision(engine)
    head = head_revision()
    if found != head:
        state = "has no cpdcore schema" if found is None else f"is at schema version {found}"
        raise ConfigurationError(
            f"the database {redacted(url)} {state}, but this cpdcore-sqlalchemy needs {head}; "
            f"run: cpd db upgrade --db {redacted(url)}"
        )
