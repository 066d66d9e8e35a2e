"""Alembic migrations of cpdcore-sqlalchemy (run through :mod:`cpdcore_sqlalchemy.schema`)."""
