"""The cpdcore storage conformance kit, run on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import pytest
from cpdcore_sqlalchemy import SqlStorage

from cpdcore.ports import Storage
from cpdcore.testing import StorageConformance


class TestSqliteConformance(StorageConformance):
    @pytest.fixture
    def storage(self, sqlite_store: SqlStorage) -> Storage:
        return sqlite_store


@pytest.mark.postgres
class TestPostgresConformance(StorageConformance):
    @pytest.fixture
    def storage(self, pg_store: SqlStorage) -> Storage:
        return pg_store


@pytest.mark.mariadb
class TestMariadbConformance(StorageConformance):
    @pytest.fixture
    def storage(self, maria_store: SqlStorage) -> Storage:
        return maria_store
