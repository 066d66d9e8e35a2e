"""``cpd staff``: staff records of the acting person's trust.

``cpd staff list`` shows the active staff (``--format table``, ``csv`` or ``json``);
``cpd staff export`` writes the roster in the MIS's vocabulary as CSV, one row per person
and school, ordered by school, family name, given name and sourced id. Names are compared
the way a reader looks them up in a list: ignoring case, accents, spaces and punctuation
(``adams``, ``Ó Briain`` and ``de Souza`` sit among the A, O and D names), with the exact
spelling as the tie-break so the order is always the same.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cpdcore.cli import (
    ACTOR_ENV,
    UsageError,
    check_choice,
    known_school,
    open_store,
    resolve_actor,
    store_trusts,
    write_output,
)
from cpdcore.domain.actors import Actor
from cpdcore.domain.identifiers import TrustId
from cpdcore.domain.organisation import StaffMember
from cpdcore.domain.roster import StaffRosterRow, name_order
from cpdcore.errors import ConfigurationError

__all__ = [
    "EXPORT_HEADER",
    "LIST_COLUMNS",
    "LIST_FORMATS",
    "export_order",
    "name_key",
    "register",
    "roster_csv",
    "staff_csv",
    "staff_json",
]

LIST_FORMATS = ("table", "csv", "json")
"""Output formats of ``cpd staff list``."""

LIST_COLUMNS = ("id", "sourced_id", "given_name", "family_name", "email", "schools", "roles")
"""Columns of ``cpd staff list --format csv`` (lists are semicolon-separated)."""

EXPORT_HEADER = (
    "sourced_id",
    "school_sourced_id",
    "given_name",
    "family_name",
    "email",
    "roles",
    "active",
)
"""Columns of ``cpd staff export --format csv``."""

DbOption = Annotated[str | None, typer.Option("--db", help="Store URL (or CPD_DB).")]
ActorOption = Annotated[
    str | None,
    typer.Option(
        "--as", help="Acting staff id or MIS sourced id, TRUST:ID if several (or CPD_ACTOR)."
    ),
]


name_key = name_order
"""Kept for callers of the CLI module; the ordering lives in the domain."""


def export_order(row: StaffRosterRow) -> tuple[str, ...]:
    """Sort key of the export: :attr:`StaffRosterRow.sort_key`."""
    return row.sort_key


def roster_csv(rows: Iterable[StaffRosterRow]) -> str:
    """The roster as CSV text in :func:`export_order`: LF line ends, RFC 4180 quoting."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_HEADER)
    for row in sorted(rows, key=export_order):
        writer.writerow(
            (
                row.sourced_id,
                row.school_sourced_id,
                row.given_name,
                row.family_name,
                row.email,
                ";".join(row.roles),
                "true" if row.active else "false",
            )
        )
    return buffer.getvalue()


def _roles(person: StaffMember) -> list[str]:
    return [f"{a.role.value}@{a.school_id or 'trust'}" for a in person.roles]


def staff_csv(people: Iterable[StaffMember]) -> str:
    """``cpd staff list --format csv``: :data:`LIST_COLUMNS`, LF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(LIST_COLUMNS)
    for s in people:
        writer.writerow(
            (
                s.id,
                s.sourced_id or "",
                s.given_name,
                s.family_name,
                s.email,
                ";".join(s.schools),
                ";".join(_roles(s)),
            )
        )
    return buffer.getvalue()


def staff_json(people: Iterable[StaffMember]) -> str:
    """``cpd staff list --format json``: one object per person with their roles."""
    records = [
        {
            "id": s.id,
            "sourced_id": s.sourced_id,
            "given_name": s.given_name,
            "family_name": s.family_name,
            "email": s.email,
            "schools": list(s.schools),
            "roles": [{"role": a.role.value, "school_id": a.school_id} for a in s.roles],
        }
        for s in people
    ]
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def _active_staff(acting: Any, school: Any) -> Iterator[StaffMember]:
    after = None
    while True:
        page = acting.list_staff(school_id=school, active=True, after=after)
        yield from page.items
        if page.next_cursor is None:
            return
        after = page.next_cursor


def register(app: Any) -> None:
    """Add the ``staff`` command group to ``app``."""
    staff_app = typer.Typer(help="Staff records.", no_args_is_help=True)
    console = Console()

    @staff_app.command("list")
    def staff_list(
        db: DbOption = None,
        actor: ActorOption = None,
        school: Annotated[
            str | None, typer.Option("--school", help="Only staff with a role at this school id.")
        ] = None,
        output_format: Annotated[
            str, typer.Option("--format", help="table (default), csv or json.")
        ] = "table",
    ) -> None:
        """List active staff of the acting person's trust."""
        check_choice("--format", output_format, LIST_FORMATS)
        cpd = open_store(db)
        try:
            acting = cpd.as_actor(resolve_actor(cpd, actor))
            people = list(_active_staff(acting, known_school(acting, school)))
        finally:
            cpd.close()
        if output_format == "csv":
            write_output("-", staff_csv(people))
            return
        if output_format == "json":
            write_output("-", staff_json(people))
            return
        table = Table()
        for column in ("id", "name", "schools", "roles"):
            table.add_column(column)
        for s in people:
            table.add_row(s.id, s.display_name, ", ".join(s.schools), ", ".join(_roles(s)))
        console.print(table)

    @staff_app.command("export")
    def staff_export(
        db: DbOption = None,
        actor: ActorOption = None,
        trust: Annotated[
            str | None,
            typer.Option(
                "--trust",
                help="Instead of --as: export this trust as an operator (needed when the "
                "store holds several).",
            ),
        ] = None,
        output_format: Annotated[str, typer.Option("--format", help="Output format: csv.")] = "csv",
    ) -> None:
        """Write the staff roster as CSV: one row per person and school, MIS role names.

        Acts as --as (or CPD_ACTOR), who needs an administrator or leader role; without
        either, as an operator of --trust or of the store's only trust.
        """
        check_choice("--format", output_format, ("csv",))
        if actor and trust:
            raise UsageError.single("--trust", "give either --as or --trust, not both")
        cpd = open_store(db)
        try:
            if actor or (not trust and os.environ.get(ACTOR_ENV)):
                acting_as = resolve_actor(cpd, actor)
            else:
                acting_as = Actor.system(_only_trust(cpd, trust), "staff export")
            rows = cpd.as_actor(acting_as).staff_roster()
        finally:
            cpd.close()
        write_output("-", roster_csv(rows))

    app.add_typer(staff_app, name="staff")


def _only_trust(cpd: Any, given: str | None) -> TrustId:
    tenants = store_trusts(cpd)
    if given:
        if given not in tenants:
            raise ConfigurationError(
                f"--trust {given!r} is not in this store; it holds: {', '.join(tenants)}"
            )
        return TrustId(given)
    if len(tenants) != 1:
        raise ConfigurationError(
            f"this store holds {len(tenants)} trusts ({', '.join(tenants)}); "
            "pass --trust ID or --as TRUST:STAFF_ID"
        )
    return TrustId(tenants[0])
