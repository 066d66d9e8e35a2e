"""Fixtures: an empty store per test on SQLite, PostgreSQL and MariaDB.

Isolation: each test run gets its own PostgreSQL schema and its own MariaDB database (random
names, dropped at the end), migrated once; every test then starts from empty tables (rows
are deleted afterwards), so runs never see each other's data and the suite stays fast.
Migration tests get fresh, unmigrated schemas of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cpdcore_sqlalchemy import SqlStorage, schema
from cpdcore_sqlalchemy.tables import metadata
from cpdcore_sqlalchemy.urls import engine_url

ENGINES = ("sqlite", "postgresql", "mariadb")


def _name() -> str:
    return f"cpdtest_{uuid.uuid4().hex[:10]}"


def _render(url: sa.URL) -> str:
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def pg_schema_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema (dropped after the module)."""
    yield from _pg_schema(postgres_url)


@pytest.fixture
def empty_pg_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL URL on a fresh, empty schema of its own (dropped after the test)."""
    yield from _pg_schema(postgres_url)


def _pg_schema(postgres_url: str) -> Iterator[str]:
    name = _name()
    admin = sa.create_engine(engine_url(postgres_url))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    url = sa.make_url(postgres_url).update_query_dict({"options": f"-csearch_path={name}"})
    yield _render(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module")
def maria_db_url(mariadb_url: str) -> Iterator[str]:
    """A MariaDB URL naming a fresh database (dropped after the module)."""
    yield from _maria_database(mariadb_url)


@pytest.fixture
def empty_maria_url(mariadb_url: str) -> Iterator[str]:
    """A MariaDB URL naming a fresh, empty database of its own (dropped after the test)."""
    yield from _maria_database(mariadb_url)


def _maria_database(mariadb_url: str) -> Iterator[str]:
    name = _name()
    admin = sa.create_engine(engine_url(mariadb_url))
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    yield _render(sa.make_url(mariadb_url).set(database=name))
    with admin.begin() as connection:
        connection.execute(sa.text(f"DROP DATABASE `{name}`"))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_pg(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL schema of this test session, migrated once to the newest revision.

    Tests using it through a store fixture find its tables empty (rows are deleted after
    each test); migrating once per session keeps the suite fast.
    """
    for url in _pg_schema(postgres_url):
        engine = schema.make_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def migrated_maria(mariadb_url: str) -> Iterator[str]:
    """A MariaDB database of this test session, migrated once (MariaDB DDL is slow)."""
    for url in _maria_database(mariadb_url):
        engine = schema.make_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        yield url


def empty_tables(storage: SqlStorage) -> None:
    """Delete every row of every cpdcore table."""
    with storage.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(sa.delete(table))


def open_store(url: str) -> Iterator[SqlStorage]:
    """A store on ``url`` that is emptied and closed after the test."""
    store = SqlStorage(url)
    try:
        yield store
    finally:
        empty_tables(store)
        store.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file (created with its schema on first use)."""
    return f"sqlite:///{tmp_path / 'cpd.db'}"


@pytest.fixture(params=ENGINES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each engine in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cpd.db'}"
    fixture = "migrated_pg" if request.param == "postgresql" else "migrated_maria"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStorage]:
    """An empty :class:`SqlStorage` on each engine in turn."""
    yield from open_store(store_url)


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[SqlStorage]:
    """An empty store in a fresh SQLite file."""
    yield from open_store(sqlite_url)


@pytest.fixture
def pg_store(migrated_pg: str) -> Iterator[SqlStorage]:
    """An empty store in the module's PostgreSQL schema."""
    yield from open_store(migrated_pg)


@pytest.fixture
def maria_store(migrated_maria: str) -> Iterator[SqlStorage]:
    """An empty store in the module's MariaDB database."""
    yield from open_store(migrated_maria)
