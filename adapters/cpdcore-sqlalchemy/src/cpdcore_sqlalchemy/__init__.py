"""Storage adapter for cpdcore on SQLAlchemy 2: SQLite (the embedded default), PostgreSQL
and MariaDB, with Alembic migrations shipped in the package.

``Cpd.open("sqlite:///cpd.db")`` finds this adapter through the ``cpdcore`` entry point.
Use :class:`SqlStorage` directly for its extra capabilities (``count_by``, ``add_many``).
"""

from cpdcore_sqlalchemy.storage import SqlAuditLog, SqlRepository, SqlStorage, SqlUnitOfWork
from cpdcore_sqlalchemy.tables import KINDS, KindRegistry, RecordKind

__all__ = [
    "KINDS",
    "KindRegistry",
    "RecordKind",
    "SqlAuditLog",
    "SqlRepository",
    "SqlStorage",
    "SqlUnitOfWork",
]
