"""``cpd staff``: staff records of the acting person's trust."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cpdcore.cli import open_store, resolve_actor
from cpdcore.domain.actors import Actor
from cpdcore.domain.identifiers import SchoolId, TrustId
from cpdcore.domain.roster import StaffRosterRow
from cpdcore.errors import ConfigurationError, ValidationError

__all__ = ["EXPORT_HEADER", "register", "roster_csv"]


def register(app: Any) -> None:
    """Add the ``staff`` command group to ``app``."""
    staff_app = typer.Typer(help="Staff records.", no_args_is_help=True)
    console = Console()

    @staff_app.command("list")
    def staff_list(
        db: str = typer.Option(None, "--db", help="Store URL (or CPD_DB)."),
        actor: str = typer.Option(None, "--as", help="Acting staff id (or CPD_ACTOR)."),
        school: str = typer.Option(None, "--school", help="Only staff with a role here."),
    ) -> None:
        """List active staff of the acting person's trust."""
        cpd = open_store(db)
        acting = cpd.as_actor(resolve_actor(cpd, actor))
        after = None
        table = Table()
        for column in ("id", "name", "schools", "roles"):
            table.add_column(column)
        while True:
            page = acting.list_staff(
                school_id=SchoolId(school) if school else None, active=True, after=after
            )
            for s in page.items:
                roles = ", ".join(f"{a.role.value}@{a.school_id or 'trust'}" for a in s.roles)
                table.add_row(s.id, s.display_name, ", ".join(s.schools), roles)
            if page.next_cursor is None:
                break
            after = page.next_cursor
        console.print(table)

    @staff_app.command("export")
    def staff_export(
        db: str = typer.Option(None, "--db", help="Store URL (or CPD_DB)."),
        output_format: str = typer.Option("csv", "--format", help="Output format: csv."),
        trust: str = typer.Option(
            None, "--trust", help="Trust id (needed when the store holds several)."
        ),
    ) -> None:
        """Write the staff roster as CSV: one row per person and school, MIS role names."""
        if output_format != "csv":
            raise ValidationError.single("--format", f"{output_format!r} is not one of csv")
        cpd = open_store(db)
        acting = cpd.as_actor(Actor.system(_only_trust(cpd, trust), "staff export"))
        text = roster_csv(acting.staff_roster())
        binary = getattr(sys.stdout, "buffer", None)
        if binary is None:
            sys.stdout.write(text)
        else:
            # bytes, so that neither the locale's encoding nor its line ends leak in
            sys.stdout.flush()
            binary.write(text.encode("utf-8"))
            binary.flush()

    app.add_typer(staff_app, name="staff")


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


def roster_csv(rows: Iterable[StaffRosterRow]) -> str:
    """The roster as CSV text: UTF-8-safe, LF line ends, RFC 4180 quoting where needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_HEADER)
    for row in rows:
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


def _only_trust(cpd: Any, given: str | None) -> TrustId:
    tenants = list(cpd.storage.tenants())
    if given:
        if given not in tenants:
            raise ConfigurationError(
                f"--trust {given!r} is not in this store; it holds: "
                + (", ".join(tenants) or "none")
            )
        return TrustId(given)
    if len(tenants) != 1:
        raise ConfigurationError(
            f"this store holds {len(tenants)} trusts ({', '.join(tenants) or 'none'}); "
            "pass --trust ID"
        )
    return TrustId(tenants[0])
