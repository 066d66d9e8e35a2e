"""``cpd clubs``: video-club sessions and their playlist manifests.

Pupils' media consent is checked again when a playlist is written. With ``--mis URL``
(e.g. ``oneroster+file:///srv/mis-export``) the live MIS answers; without it, the roster
last imported into the store (``cpd import oneroster``) does, and a clip whose class that
roster does not list is withheld, because nobody could check its pupils. The command says
which classes could not be checked and how to connect the MIS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cpdcore.cli import check_output, open_store, resolve_actor, shown_url, write_output
from cpdcore.domain.clips import Clip
from cpdcore.domain.roster import ClassGroup
from cpdcore.services.context import all_pages

__all__ = ["register", "withheld_notes"]

DbOption = Annotated[str | None, typer.Option("--db", help="Store URL (or CPD_DB).")]
ActorOption = Annotated[
    str | None, typer.Option("--as", help="Acting staff id or MIS sourced id (or CPD_ACTOR).")
]


def withheld_notes(cpd: Any, actor: Any, withheld: Sequence[Mapping[str, str]]) -> list[str]:
    """One plain line per withheld clip: why, and what to do when it is only because no
    MIS could vouch for the pupils of its class.

    Reads the clip's class label and the imported classes (never the clip itself), so the
    viewer learns which class was in question but nothing of what was filmed.
    """
    if not withheld:
        return []
    with cpd.storage.unit_of_work() as uow:
        clips = uow.repository(Clip)
        found = {item["clip_id"]: clips.find(actor.trust_id, item["clip_id"]) for item in withheld}
        classes = all_pages(uow.repository(ClassGroup), actor.trust_id)
    listed = {(c.school_id, name) for c in classes for name in (c.id, c.title)}
    notes = []
    for item in withheld:
        clip = found[item["clip_id"]]
        label = None if clip is None else clip.class_label
        unchecked = (
            cpd.mis is None
            and clip is not None
            and label is not None
            and (clip.school_id, label) not in listed
        )
        if unchecked:
            notes.append(
                f"withheld {item['clip_id']}: pupil media consent for class {label} could not "
                "be checked (no MIS connected and no imported roster lists the class; run "
                "`cpd import oneroster FOLDER` or pass --mis URL)"
            )
        else:
            notes.append(f"withheld {item['clip_id']}: {item['because']}")
    return notes


def register(app: Any) -> None:
    """Add the ``clubs`` command group to ``app``."""
    clubs_app = typer.Typer(help="Video clubs: sessions and playlists.", no_args_is_help=True)
    console = Console()

    @clubs_app.command("sessions")
    def sessions(
        db: DbOption = None,
        actor: ActorOption = None,
        club: Annotated[
            str | None, typer.Option("--club", help="Only this club's sessions (club id).")
        ] = None,
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
        session: Annotated[
            str,
            typer.Argument(help="Session id (see cpd clubs sessions).", show_default=False),
        ],
        out: Annotated[
            str, typer.Option("--out", help="File for the JSON manifest; - for stdout.")
        ] = "-",
        db: DbOption = None,
        actor: ActorOption = None,
        mis: Annotated[
            str | None,
            typer.Option(
                "--mis",
                help="Live MIS to check pupils' media consent, e.g. "
                "oneroster+file:///srv/mis-export (default: the roster last imported).",
            ),
        ] = None,
    ) -> None:
        """Write the session's playlist manifest as you may watch it now (checked again)."""
        check_output(out)
        cpd = open_store(db, mis=mis)
        try:
            person = resolve_actor(cpd, actor)
            manifest = cpd.as_actor(person).playlist_manifest(session)
            notes = withheld_notes(cpd, person, manifest["withheld"])
        finally:
            cpd.close()
        write_output(out, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        where = "stdout" if out == "-" else out
        # messages on stderr, unwrapped, so that --out - leaves stdout to the manifest
        typer.echo(
            f"{len(manifest['clips'])} clip(s), {len(manifest['withheld'])} withheld: {where}",
            err=True,
        )
        for note in notes:
            typer.echo(note, err=True)
        if mis is not None:
            typer.echo(f"pupils' media consent checked with {shown_url(mis)}", err=True)

    app.add_typer(clubs_app, name="clubs")
