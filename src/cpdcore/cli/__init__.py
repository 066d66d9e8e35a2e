"""The ``cpd`` command line (needs the ``cli`` extra: typer and rich).

Adapters add their own subcommands through the ``cpdcore_cli`` hook. The store comes from
``--db URL`` or the ``CPD_DB`` environment variable; the acting person from ``--as REF`` or
``CPD_ACTOR``, where REF is a staff id or MIS sourced id, optionally prefixed by the trust
id as ``TRUST:REF`` when the store holds more than one trust.

Conventions every command follows (``docs/reference/cli.md`` lists the commands):

* Errors are one line on stderr, ``cpd: error: WHERE: WHAT; accepted: ...``, never a
  traceback. An option whose value is not accepted is named first (``--format: 'xml' is
  not accepted; accepted: csv, json``).
* Exit status 0: done. 2: a usage error, the command line must change (an unknown command
  or option, an option value that is not accepted, a file or folder named on it that does
  not exist, no or an unusable store, an unknown ``--as`` person or ``--school``). 1: the
  command ran and failed or was refused (bad rows in an input file, an output file that
  cannot be written, permission denied, something not found, a conflict). ``cpd aggregate`` also
  uses 3 for a query it refuses to answer because it could single someone out.
* Data goes to stdout (or ``--out FILE``; ``-`` is stdout), messages to stderr.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from cpdcore.__about__ import __version__
from cpdcore.errors import ConfigurationError, CpdError, ValidationError

__all__ = [
    "CORE_COMMANDS",
    "EXIT_ERROR",
    "EXIT_USAGE",
    "UsageError",
    "build_app",
    "check_choice",
    "check_output",
    "exit_status",
    "main",
    "open_store",
    "option_date",
    "read_text_file",
    "resolve_actor",
    "known_school",
    "shown_url",
    "store_trusts",
    "write_output",
]

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
"""Exit status of a command that ran and failed or was refused."""
EXIT_USAGE = 2
"""Exit status of a command line that must change (an option, the store, the person)."""


class UsageError(ValidationError):
    """The command line must change: a value it gives is not accepted, or a file or
    folder it names does not exist. ``cpd`` exits with :data:`EXIT_USAGE`."""


def check_choice(option: str, value: str, accepted: Sequence[str]) -> str:
    """``value`` if it is one of ``accepted``, else the usage error every command gives."""
    if value not in accepted:
        raise UsageError.single(
            option, f"{value!r} is not accepted; accepted: {', '.join(accepted)}"
        )
    return value


def option_date(text: str, option: str) -> date:
    """An option's date in any form cpd accepts (``2027-03-31``, ``31/03/2027``,
    ``31 March 2027``); anything else is a :class:`UsageError` naming the option."""
    from cpdcore.domain.calendar import parse_uk_date

    try:
        return parse_uk_date(text, option)
    except ValidationError as exc:
        raise UsageError(exc.problems) from None


def exit_status(error: CpdError) -> int:
    """:data:`EXIT_USAGE` for misconfiguration and :class:`UsageError`,
    :data:`EXIT_ERROR` for everything else."""
    if isinstance(error, ConfigurationError | UsageError):
        return EXIT_USAGE
    return EXIT_ERROR


def shown_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, for messages."""
    # greedy up to the last "@" before the path: a password may itself hold "@"
    return re.sub(r"(://[^/@:]*):[^/]*@", r"\1:***@", url)


def _missing_sqlite_file(url: str) -> Path | None:
    # Opening a sqlite URL creates the file; a command that only reads says so instead.
    scheme, _sep, rest = url.partition("://")
    if scheme.split("+")[0].lower() != "sqlite" or not rest.startswith("/"):
        return None
    name = unquote(rest[1:].split("?", 1)[0])
    if name in ("", ":memory:") or name.startswith("file:"):
        return None
    path = Path(name)
    return None if path.exists() else path


def open_store(db: str | None, *, mis: str | None = None) -> Any:
    """Open the store named by ``--db`` or ``CPD_DB`` (with the live MIS at ``mis``).

    The store must exist: a ``sqlite:///`` URL naming a file that does not exist is a
    ``ConfigurationError`` (opening it would create an empty store and hide a typo).
    """
    from cpdcore.app import Cpd

    url = db or os.environ.get(DB_ENV)
    if not url:
        raise ConfigurationError(
            f"no store given: pass --db URL or set {DB_ENV} (e.g. sqlite:///cpd.db)"
        )
    missing = _missing_sqlite_file(url)
    if missing is not None:
        raise ConfigurationError(
            f"no store at {url}: the file {missing} does not exist; is the URL right? "
            f"(cpd import oneroster FOLDER --db {url} creates a store from your MIS export)"
        )
    return Cpd.open(url, mis=mis)


def read_text_file(path: Path, what: str = "the file") -> str:
    """The UTF-8 text (BOM or not) of an input file, or a one-line error naming it."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError.single(str(path), f"{what} does not exist") from None
    except IsADirectoryError:
        raise UsageError.single(str(path), f"is a folder; give {what}") from None
    except UnicodeDecodeError as exc:
        raise ValidationError.single(
            str(path), f"is not UTF-8 text (byte {exc.start}); save it as UTF-8 (CSV UTF-8)"
        ) from None
    except OSError as exc:
        raise ValidationError.single(str(path), f"cannot be read: {exc.strerror}") from None


def check_output(out: str) -> Path:
    """The path of ``--out``, checked before any work: its folder must exist."""
    path = Path(out)
    if out != "-" and not path.parent.is_dir():
        raise UsageError.single(out, f"cannot be written: the folder {path.parent} does not exist")
    return path


def write_output(out: str, text: str) -> None:
    """Write ``text`` as UTF-8 with LF line ends to the file ``out``, or stdout for ``-``."""
    data = text.encode("utf-8")
    if out == "-":
        binary = getattr(sys.stdout, "buffer", None)
        if binary is None:
            sys.stdout.write(text)
        else:
            # bytes, so that neither the locale's encoding nor its line ends leak in
            sys.stdout.flush()
            binary.write(data)
            binary.flush()
        return
    path = check_output(out)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise ValidationError.single(out, f"cannot be written ({exc.strerror})") from None


def store_trusts(cpd: Any) -> list[str]:
    """The ids of the trusts in the store; a ``ConfigurationError`` if it holds none."""
    tenants = [str(t) for t in cpd.storage.tenants()]
    if not tenants:
        url = shown_url(str(getattr(cpd.storage, "url", "?")))
        raise ConfigurationError(
            f"the store at {url} holds no trust yet; is the URL right? "
            f"(cpd import oneroster FOLDER --db {url} sets one up from your MIS export, "
            "or your school portal does)"
        )
    return tenants


def known_school(acting: Any, school: str | None) -> Any:
    """``--school`` as a ``SchoolId`` (``None`` when not given), checked against the
    acting person's trust; an unknown id is a usage error naming the schools."""
    from cpdcore.domain.identifiers import SchoolId

    if school is None:
        return None
    schools = list(acting.schools())
    if any(s.id == school for s in schools):
        return SchoolId(school)
    listed = ", ".join(f"{s.id} ({s.name})" for s in schools) or "none"
    raise UsageError.single(
        "--school", f"{school!r} is not a school of this trust; accepted: {listed}"
    )


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
    tenants = store_trusts(cpd)
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


def _keep_argument_help() -> None:
    """Let positional arguments' ``help`` reach ``--help`` again.

    Click 8.5 gave ``click.Argument`` a ``help`` of its own, set in its ``__init__``;
    typer's ``TyperArgument`` (0.23) stores the help it was given *before* calling that,
    so click resets it to ``None``. Store it again afterwards; harmless where both agree.
    """
    from typer.core import TyperArgument

    original = TyperArgument.__init__
    if getattr(original, "_cpd_keeps_help", False):
        return

    @functools.wraps(original)
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if getattr(self, "help", None) is None and kwargs.get("help") is not None:
            self.help = kwargs["help"]

    init._cpd_keeps_help = True  # type: ignore[attr-defined]
    TyperArgument.__init__ = init  # type: ignore[method-assign]


def build_app() -> Any:
    """The typer application with the core commands and every plugin's subcommands."""
    from cpdcore.extras import require

    require("typer", "the cpd command line")
    require("rich", "the cpd command line")
    import typer
    from rich.console import Console
    from rich.table import Table

    _keep_argument_help()
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
        print(f"cpd: error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    try:
        # In non-standalone mode click returns the code of ``typer.Exit(n)`` instead of
        # exiting; pass it on so commands may use either that or SystemExit.
        result = app(standalone_mode=False)
    except CpdError as exc:
        print(f"cpd: error: {exc}", file=sys.stderr)
        raise SystemExit(exit_status(exc)) from None
    except SystemExit:
        raise
    except OSError as exc:
        # A safety net: commands turn the files they read and write into CpdErrors, but
        # an operating-system failure elsewhere still deserves one line, not a traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"cpd: error: {where}{exc.strerror or exc}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR) from None
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
