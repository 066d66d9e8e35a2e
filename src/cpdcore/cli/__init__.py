"""The ``cpd`` command line (needs the ``cli`` extra: typer and rich).

Adapters add their own subcommands through the ``cpdcore_cli`` hook. The store comes from
``--db URL`` or the ``CPD_DB`` environment variable; the acting person from ``--as REF`` or
``CPD_ACTOR``, where REF is a staff id or MIS sourced id, optionally prefixed by the trust
id as ``TRUST:REF`` when the store holds more than one trust.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from cpdcore.__about__ import __version__
from cpdcore.errors import ConfigurationError, CpdError

__all__ = ["CORE_COMMANDS", "build_app", "main", "open_store", "resolve_actor"]

CORE_COMMANDS: tuple[str, ...] = (
    "cpdcore.cli.staff",
    "cpdcore.cli.aggregate",
    "cpdcore.cli.research",
    "cpdcore.cli.rag",
    "cpdcore.cli.smart",
    "cpdcore.cli.clubs",
)
"""Modules of core subcommands; each has ``register(app)`` adding its commands."""

DB_ENV = "CPD_DB"
ACTOR_ENV = "CPD_ACTOR"
EXIT_ERROR = 1
EXIT_USAGE = 2


def open_store(db: str | None) -> Any:
    """Open the store named by ``--db`` or ``CPD_DB``."""
    from cpdcore.app import Cpd

    url = db or os.environ.get(DB_ENV)
    if not url:
        raise ConfigurationError(
            f"no store given: pass --db URL or set {DB_ENV} (e.g. sqlite:///cpd.db)"
        )
    return Cpd.open(url)


def resolve_actor(cpd: Any, ref: str | None) -> Any:
    """The :class:`~cpdcore.domain.actors.Actor` for ``--as`` / ``CPD_ACTOR``."""
    from cpdcore.domain.actors import Actor
    from cpdcore.domain.identifiers import TrustId
    from cpdcore.domain.organisation import StaffMember
    from cpdcore.services.context import all_pages

    ref = ref or os.environ.get(ACTOR_ENV)
    if not ref:
        raise ConfigurationError(
            f"no acting person given: pass --as STAFF_ID or set {ACTOR_ENV} "
            "(a staff id or MIS sourced id, optionally TRUST:ID)"
        )
    tenants = list(cpd.storage.tenants())
    trust, _sep, person = ref.rpartition(":")
    if not trust:
        if len(tenants) != 1:
            listed = ", ".join(tenants) or "none"
            raise ConfigurationError(
                f"--as {ref!r} does not say which trust; this store holds trusts: {listed}. "
                "Write it as TRUST:ID"
            )
        trust = tenants[0]
    if trust not in tenants:
        raise ConfigurationError(
            f"--as {ref!r}: trust {trust!r} is not in this store; it holds: "
            + (", ".join(tenants) or "none")
        )
    with cpd.storage.unit_of_work() as uow:
        repo = uow.repository(StaffMember)
        staff = repo.find(TrustId(trust), person)
        if staff is None:
            matches = all_pages(repo, TrustId(trust), where={"sourced_id": person})
            staff = matches[0] if len(matches) == 1 else None
    if staff is None:
        raise ConfigurationError(f"--as {ref!r}: no staff member with that id or sourced id")
    return Actor.for_staff(staff)


def build_app() -> Any:
    """The typer application with the core commands and every plugin's subcommands."""
    from cpdcore.extras import require

    require("typer", "the cpd command line")
    require("rich", "the cpd command line")
    import typer
    from rich.console import Console
    from rich.table import Table

    console = Console()

    app = typer.Typer(
        name="cpd",
        help="cpdcore: teachers' CPD and appraisal engine.",
        no_args_is_help=True,
        add_completion=False,
    )

    def version_callback(value: bool) -> None:
        if value:
            print(f"cpdcore {__version__}")
            raise typer.Exit()

    @app.callback()
    def root(
        version: bool = typer.Option(
            False, "--version", help="Show the version and exit.", callback=version_callback
        ),
    ) -> None:
        """cpdcore command line."""

    @app.command()
    def doctor() -> None:
        """List the plugins found, their versions and the URL schemes they serve."""
        from cpdcore.plugins import describe_plugins, make_plugin_manager

        pm = make_plugin_manager()
        table = Table(title=f"cpdcore {__version__}: plugins")
        for column in ("plugin", "distribution", "version", "serves"):
            table.add_column(column)
        for info in describe_plugins(pm):
            serves = "; ".join(
                f"{port}: {', '.join(s + '://' for s in schemes)}"
                for port, schemes in sorted(info.schemes.items())
            )
            table.add_row(info.name, info.distribution, info.version, serves or "-")
        console.print(table)
        console.print(f"Python {sys.version.split()[0]} at {sys.executable}")

    for module_name in CORE_COMMANDS:
        importlib.import_module(module_name).register(app)

    from cpdcore.plugins import make_plugin_manager

    make_plugin_manager().hook.cpdcore_cli(app=app)
    return app


def main() -> None:
    """Console-script entry point: run ``cpd``; errors print one line, no traceback."""
    try:
        app = build_app()
    except ConfigurationError as exc:
        print(f"cpd: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    try:
        # In non-standalone mode click returns the code of ``typer.Exit(n)`` instead of
        # exiting; pass it on so commands may use either that or SystemExit.
        result = app(standalone_mode=False)
    except CpdError as exc:
        print(f"cpd: error: {exc}", file=sys.stderr)
        raise SystemExit(
            EXIT_USAGE if isinstance(exc, ConfigurationError) else EXIT_ERROR
        ) from None
    except SystemExit:
        raise
    except Exception as exc:
        # click's own usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            raise SystemExit(exc.exit_code) from None
        if isinstance(exc, click.exceptions.Abort):
            raise SystemExit(EXIT_ERROR) from None
        raise
    if isinstance(result, int) and not isinstance(result, bool):
        raise SystemExit(result)
