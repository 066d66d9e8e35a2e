"""``cpd clubs``: video-club sessions and their playlist manifests.

The store is opened without a live MIS, so pupils' media consent comes from the roster
last imported (``ClassGroup`` records); a clip whose class is unknown there is withheld.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from cpdcore.cli import open_store, resolve_actor

__all__ = ["register"]


def register(app: Any) -> None:
    """Add the ``clubs`` command group to ``app``."""
    clubs_app = typer.Typer(help="Video clubs: sessions and playlists.", no_args_is_help=True)
    console = Console()

    @clubs_app.command("sessions")
    def sessions(
        db: str = typer.Option(None, "--db", help="Store URL (or CPD_DB)."),
        actor: str = typer.Option(None, "--as", help="Acting staff id (or CPD_ACTOR)."),
        club: str = typer.Option(None, "--club", help="Only this club's sessions."),
    ) -> None:
        """List the sessions of the clubs you take part in (or lead), soonest first."""
        cpd = open_store(db)
        try:
            acting = cpd.as_actor(resolve_actor(cpd, actor))
            names = {c.id: c.name for c in acting.clubs()}
            table = Table()
            for column in ("session", "club", "title", "when", "status", "clips"):
                table.add_column(column)
            for s in acting.club_sessions(club):
                table.add_row(
                    s.id,
                    names.get(s.club_id, s.club_id),
                    s.title,
                    s.scheduled_for.strftime("%Y-%m-%d %H:%M"),
                    s.status.value,
                    str(len(s.playlist)),
                )
            console.print(table)
        finally:
            cpd.close()

    @clubs_app.command("playlist")
    def playlist(
        session: str = typer.Argument(..., help="Session id."),
        out: str = typer.Option(..., "--out", help="Where to write the JSON manifest."),
        db: str = typer.Option(None, "--db", help="Store URL (or CPD_DB)."),
        actor: str = typer.Option(None, "--as", help="Acting staff id (or CPD_ACTOR)."),
    ) -> None:
        """Write the session's playlist manifest as you may watch it now (checked again)."""
        cpd = open_store(db)
        try:
            acting = cpd.as_actor(resolve_actor(cpd, actor))
            manifest = acting.playlist_manifest(session)
        finally:
            cpd.close()
        Path(out).write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        console.print(
            f"{len(manifest['clips'])} clip(s), {len(manifest['withheld'])} withheld: {out}"
        )

    app.add_typer(clubs_app, name="clubs")
