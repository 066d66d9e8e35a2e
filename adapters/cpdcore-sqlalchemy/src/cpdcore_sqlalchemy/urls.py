"""cpdcore store URLs and the SQLAlchemy URLs (with drivers) they stand for.

Operators write plain URLs; SQLAlchemy's default drivers for them are not the ones this
adapter ships with, so plain schemes are mapped explicitly:

=====================  ============================
cpdcore URL            SQLAlchemy URL
=====================  ============================
``sqlite:///cpd.db``   ``sqlite+pysqlite:///cpd.db``
``postgresql://…``     ``postgresql+psycopg://…``
``postgres://…``       ``postgresql+psycopg://…``
``mysql://…``          ``mysql+pymysql://…``
``mariadb://…``        ``mariadb+pymysql://…``
=====================  ============================

An explicit ``scheme+driver://`` is kept as written.
"""

from __future__ import annotations

import sqlalchemy as sa

from cpdcore.errors import ConfigurationError

__all__ = ["SCHEMES", "engine_url", "is_sql_url", "redacted"]

SCHEMES: tuple[str, ...] = ("sqlite", "postgresql", "mysql", "mariadb")
"""URL schemes this adapter serves (``postgres`` is accepted as an alias)."""

_DEFAULT_DRIVERS = {
    "sqlite": "sqlite+pysqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def _scheme(url: str) -> tuple[str, str | None]:
    head = url.split(":", 1)[0].lower()
    backend, _plus, driver = head.partition("+")
    return backend, driver or None


def is_sql_url(url: str) -> bool:
    """True if ``url`` names a database this adapter serves."""
    if "://" not in url and not url.startswith("sqlite:"):
        return False
    backend, _driver = _scheme(url)
    return backend in _DEFAULT_DRIVERS


def engine_url(url: str) -> sa.URL:
    """The SQLAlchemy URL for a cpdcore store URL, with this adapter's default drivers."""
    if not is_sql_url(url):
        raise ConfigurationError(
            f"{redacted(url)!r} is not a database URL cpdcore-sqlalchemy serves; accepted "
            "schemes: sqlite, postgresql, mysql, mariadb (optionally with +driver)"
        )
    backend, driver = _scheme(url)
    parsed = sa.make_url(url)
    if driver is None:
        parsed = parsed.set(drivername=_DEFAULT_DRIVERS[backend])
    elif backend == "postgres":
        parsed = parsed.set(drivername=f"postgresql+{driver}")
    return parsed


def redacted(url: str) -> str:
    """``url`` with any password replaced by ``***``, safe for messages and logs."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@", 1)[-1] if "@" in url else url
