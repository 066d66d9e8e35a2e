"""The cpdcore pytest plugin (entry point ``pytest11``), loaded wherever cpdcore is installed.

Fixtures:

* ``postgres_url`` / ``mariadb_url``: URLs of the test servers (override with the
  ``CPD_TEST_POSTGRES_URL`` / ``CPD_TEST_MARIADB_URL`` environment variables). When the
  server is unreachable the test is skipped on a laptop but **fails** when ``CI=true``.
* ``fixed_clock``: a :class:`~cpdcore.clocks.FixedClock` at 2026-09-01 08:00 UTC.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from cpdcore.clocks import FixedClock

__all__ = ["database_available", "fixed_clock", "mariadb_url", "postgres_url", "require_server"]

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_MARIADB_URL = "mysql://root@127.0.0.1:3306/test"


def database_available(url: str, timeout: float = 2.0) -> bool:
    """True if a TCP connection to the URL's host and port succeeds."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (5432 if parts.scheme.startswith("postgres") else 3306)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def in_ci() -> bool:
    """True when running in CI (``CI=true``), where database tests are mandatory."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_server(url: str, name: str) -> str:
    """Return ``url`` if the server answers; otherwise skip (laptop) or fail (CI)."""
    if database_available(url):
        return url
    message = f"{name} is not reachable at {url}"
    if in_ci():
        pytest.fail(f"{message}; database tests are mandatory when CI=true", pytrace=False)
    pytest.skip(f"{message} (set CI=true to make this a failure)")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the PostgreSQL test database (mandatory in CI)."""
    return require_server(
        os.environ.get("CPD_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL), "PostgreSQL"
    )


@pytest.fixture(scope="session")
def mariadb_url() -> str:
    """URL of the MariaDB test database (mandatory in CI)."""
    return require_server(os.environ.get("CPD_TEST_MARIADB_URL", DEFAULT_MARIADB_URL), "MariaDB")


@pytest.fixture
def fixed_clock() -> FixedClock:
    """A clock standing at 2026-09-01 08:00 UTC, the start of an English school year."""
    return FixedClock(datetime(2026, 9, 1, 8, 0, tzinfo=UTC))
