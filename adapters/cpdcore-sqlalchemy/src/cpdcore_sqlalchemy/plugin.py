"""The pluggy plugin module of cpdcore-sqlalchemy (entry point group ``cpdcore``).

* ``cpdcore_schemes``: storage over ``sqlite``, ``postgresql``, ``mysql``, ``mariadb``;
* ``cpdcore_storage``: a :class:`~cpdcore_sqlalchemy.storage.SqlStorage` for those URLs;
* ``cpdcore_cli``: ``cpd db upgrade``, ``cpd db downgrade``, ``cpd db current`` and
  ``cpd db copy``.
"""

# No ``from __future__ import annotations`` here: typer reads the command signatures'
# annotations at run time, and typer itself is imported only inside cpdcore_cli.
from collections.abc import Mapping, Sequence
from typing import Any

from cpdcore.hookspecs import hookimpl
from cpdcore_sqlalchemy.urls import SCHEMES, is_sql_url

__all__ = ["cpdcore_cli", "cpdcore_schemes", "cpdcore_storage"]

DB_ENV = "CPD_DB"


@hookimpl
def cpdcore_schemes() -> Mapping[str, Sequence[str]]:
    """This plugin serves storage for SQLite, PostgreSQL, MySQL and MariaDB URLs."""
    return {"storage": list(SCHEMES)}


@hookimpl
def cpdcore_storage(url: str) -> Any:
    """A :class:`~cpdcore_sqlalchemy.storage.SqlStorage` for a database URL, else ``None``."""
    if not is_sql_url(url):
        return None
    from cpdcore_sqlalchemy.storage import SqlStorage

    return SqlStorage(url)


@hookimpl
def cpdcore_cli(app: Any) -> None:
    """Add the ``cpd db`` commands."""
    import typer

    db_app = typer.Typer(
        help="Database schema and copies (cpdcore-sqlalchemy).", no_args_is_help=True
    )

    def engine(url: str) -> Any:
        from cpdcore_sqlalchemy.schema import make_engine

        return make_engine(url)

    @db_app.command()
    def upgrade(
        db: str = typer.Option(..., "--db", envvar=DB_ENV, help="Database URL."),
        revision: str = typer.Option(
            "head", "--revision", help="Target schema revision (default: the newest)."
        ),
    ) -> None:
        """Migrate the database's schema up to REVISION (default: the newest)."""
        from cpdcore_sqlalchemy import schema
        from cpdcore_sqlalchemy.urls import redacted

        target = engine(db)
        try:
            schema.upgrade(target, revision)
            typer.echo(f"{redacted(db)}: schema at {schema.current_revision(target)}")
        finally:
            target.dispose()

    @db_app.command()
    def downgrade(
        db: str = typer.Option(..., "--db", envvar=DB_ENV, help="Database URL."),
        revision: str = typer.Option(
            "-1", "--revision", help="Target revision: -1 (one step back), a revision or base."
        ),
    ) -> None:
        """Migrate the schema down one step, or to REVISION; base drops every cpdcore table."""
        from cpdcore_sqlalchemy import schema
        from cpdcore_sqlalchemy.urls import redacted

        target = engine(db)
        try:
            schema.downgrade(target, revision)
            now = schema.current_revision(target) or "base (no cpdcore tables)"
            typer.echo(f"{redacted(db)}: schema at {now}")
        finally:
            target.dispose()

    @db_app.command()
    def current(db: str = typer.Option(..., "--db", envvar=DB_ENV, help="Database URL.")) -> None:
        """Show the database's schema revision and the newest one this adapter ships."""
        from cpdcore_sqlalchemy import schema

        missing = schema.missing_sqlite_file(db)
        if missing is not None:
            # Reading the revision would create the file: say there is none instead.
            typer.echo(
                f"current: none (the file {missing} does not exist)\n"
                f"newest:  {schema.head_revision()}"
            )
            return
        target = engine(db)
        try:
            found = schema.current_revision(target) or "none"
            typer.echo(f"current: {found}\nnewest:  {schema.head_revision()}")
        finally:
            target.dispose()

    @db_app.command("copy")
    def copy_command(
        source: str = typer.Option(..., "--from", help="Database URL of the store to copy."),
        target: str = typer.Option(
            ..., "--to", help="Database URL to copy into (upgraded; must hold none of its rows)."
        ),
        trust: list[str] = typer.Option(  # noqa: B008 - typer reads options from defaults
            [], "--trust", help="Copy only this trust (repeatable); default every trust."
        ),
    ) -> None:
        """Copy a store into another database, verified by row counts and checksums."""
        from cpdcore.domain.identifiers import TrustId
        from cpdcore_sqlalchemy.store_copy import copy_store
        from cpdcore_sqlalchemy.urls import redacted

        report = copy_store(source, target, trusts=[TrustId(t) for t in trust] or None)
        for table in report:
            typer.echo(f"{table.table:<28} {table.rows:>9} rows  sha256 {table.checksum[:16]}")
        total = sum(t.rows for t in report)
        typer.echo(
            f"copied {total} rows from {redacted(source)} to {redacted(target)}; "
            "row counts and checksums match"
        )

    app.add_typer(db_app, name="db")
