"""Storage adapter for cpdcore on SQLAlchemy 2.

SQLite (the embedded default), PostgreSQL and MariaDB, with Alembic migrations.
"""
