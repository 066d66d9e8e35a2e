"""``cpd staff``: staff records of the acting person's trust."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cpdcore.cli import open_store, resolve_actor
from cpdcore.domain.identifiers import SchoolId

__all__ = ["register"]


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

    app.add_typer(staff_app, name="staff")
