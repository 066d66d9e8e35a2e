"""Migrations match the table models and round-trip on every engine."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from cpdcore_sqlalchemy import KINDS, schema
from cpdcore_sqlalchemy.tables import metadata

import cpdcore.domain


def _differences(engine: sa.Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": schema.include_name,
                "version_table": schema.VERSION_TABLE,
            },
        )
        diff: list[Any] = compare_metadata(context, metadata)
        return diff


def _cpd_tables(engine: sa.Engine) -> set[str]:
    return {t for t in sa.inspect(engine).get_table_names() if t.startswith("cpd_")}


def _round_trip(url: str) -> None:
    engine = schema.make_engine(url)
    try:
        assert schema.current_revision(engine) is None
        schema.upgrade(engine)
        assert schema.current_revision(engine) == schema.head_revision()
        assert _differences(engine) == []
        assert _cpd_tables(engine) == set(metadata.tables) | {schema.VERSION_TABLE}
        schema.downgrade(engine, "base")
        assert schema.current_revision(engine) is None
        assert _cpd_tables(engine) <= {schema.VERSION_TABLE}
        schema.upgrade(engine)
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_sqlite_migrations_match_models_and_round_trip(tmp_path: Path) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
def test_postgresql_migrations_match_models_and_round_trip(pg_schema_url: str) -> None:
    _round_trip(pg_schema_url)


@pytest.mark.mariadb
def test_mariadb_migrations_match_models_and_round_trip(maria_db_url: str) -> None:
    _round_trip(maria_db_url)


def _stored_record_classes() -> set[type[Any]]:
    """Every attrs class in cpdcore.domain that has the fields of a stored record."""
    found: set[type[Any]] = set()
    for info in pkgutil.walk_packages(cpdcore.domain.__path__, "cpdcore.domain."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and attrs.has(value) and value.__module__ == info.name:
                names = {f.name for f in attrs.fields(value)}
                if {"id", "version"} <= names and hasattr(value, "trust_id"):
                    found.add(value)
    return found


def test_every_stored_record_class_of_the_domain_has_a_table() -> None:
    missing = sorted(c.__name__ for c in _stored_record_classes() if c not in KINDS)
    assert missing == [], (
        f"add KINDS.add(...) lines in cpdcore_sqlalchemy/tables.py and a migration for {missing}"
    )


def test_every_table_leads_its_keys_and_indexes_with_the_tenant() -> None:
    for table in metadata.sorted_tables:
        assert next(iter(table.primary_key.columns)).name == "trust_id", table.name
        for index in table.indexes:
            assert next(iter(index.columns)).name == "trust_id", index.name
