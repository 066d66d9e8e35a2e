"""``cpd import oneroster DIR``: bring a OneRoster export into a store, all or nothing.

Exit status (the ``cpd`` convention): 0 when imported; 1 when the export (or its fit with
the store) has problems: then every problem is listed as ``file:line: message`` and nothing
is written; 2 when the folder does not exist or the store cannot be used.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from cpdcore import Actor, Cpd, ValidationError
from cpdcore.domain.identifiers import TrustId
from cpdcore.domain.roster import FeedMode, MisDataset, MisOrgKind, RosterImportSummary
from cpdcore.errors import ConfigurationError
from cpdcore_oneroster.bundle import OneRosterBundle
from cpdcore_oneroster.folder import OneRosterFolder

__all__ = ["DATASET_FILES", "register"]

EXIT_PROBLEMS = 1
DB_ENV = "CPD_DB"

DATASET_FILES: dict[MisDataset, str] = {
    MisDataset.ORGS: "orgs.csv",
    MisDataset.STAFF: "users.csv + roles.csv",
    MisDataset.CLASSES: "classes.csv (+ sizes, media consent)",
    MisDataset.TEACHER_CLASSES: "enrollments.csv (teachers)",
    MisDataset.LINE_MANAGEMENT: "line_management.csv",
    MisDataset.OUTCOMES: "outcomes.csv",
}
"""The files behind each dataset, as the summary table names them."""


def _trust_of(bundle: OneRosterBundle, cpd: Cpd, given: str | None) -> TrustId:
    if given:
        return TrustId(given)
    districts = [o.sourced_id for o in bundle.orgs if o.kind is MisOrgKind.TRUST]
    if districts:
        return TrustId(districts[0])
    tenants = list(cpd.storage.tenants())
    if len(tenants) == 1:
        return tenants[0]
    raise ConfigurationError(
        "this export has no district org to name the trust and the store holds "
        f"{len(tenants)} trusts; pass --trust ID"
    )


def _report_problems(error: ValidationError) -> None:
    count = len(error.problems)
    print(
        f"cpd: the export was not imported: {count} problem{'s' if count != 1 else ''}",
        file=sys.stderr,
    )
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)


def summary_rows(summary: RosterImportSummary) -> list[tuple[str, str, int, int, int, int]]:
    """``(files, mode, created, updated, deactivated, unchanged)`` per delivered dataset."""
    rows = []
    for dataset, files in DATASET_FILES.items():
        mode = summary.mode(dataset)
        if mode is FeedMode.ABSENT:
            continue
        c = summary.of(dataset)
        rows.append((files, mode.value, c.created, c.updated, c.deactivated, c.unchanged))
    return rows


def register(app: Any) -> None:
    """Add the ``import`` group with its ``oneroster`` command to ``app``."""
    import_app = typer.Typer(help="Import data from a school MIS.", no_args_is_help=True)

    @import_app.command("oneroster")
    def import_oneroster(
        folder: Annotated[
            Path, typer.Argument(help="Folder holding manifest.csv and the CSV files.")
        ],
        db: str = typer.Option(
            None, "--db", help=f"Store URL (or {DB_ENV}); a new SQLite file is created."
        ),
        trust: str = typer.Option(
            None, "--trust", help="Trust id (default: the district's sourcedId)."
        ),
    ) -> None:
        """Import a OneRoster 1.2 CSV export: all of it or, on any problem, nothing.

        A new SQLite store is created when the file does not exist yet.
        """
        url = db or os.environ.get(DB_ENV)
        if not url:
            raise ConfigurationError(
                f"no store given: pass --db URL or set {DB_ENV} (e.g. sqlite:///cpd.db)"
            )
        if not folder.is_dir():
            state = "does not exist" if not folder.exists() else "is not a folder"
            raise ConfigurationError(
                f"{folder}: {state}; give the folder holding manifest.csv and the CSV files "
                "of the OneRoster export"
            )
        cpd = Cpd.open(url)
        try:
            # touch the store before the progress bar: an unusable one is then one clean line
            cpd.storage.tenants()
        except BaseException:
            cpd.close()
            raise
        source = OneRosterFolder(folder)
        err = Console(stderr=True)
        columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn())
        try:
            with Progress(*columns, console=err, transient=True) as bar:
                reading = bar.add_task("reading files", total=None)

                def read_step(name: str, done: int, total: int) -> None:
                    bar.update(reading, completed=done, total=total, description=f"reading {name}")

                bundle = source.load(read_step)
                importing = bar.add_task("importing", total=None)

                def import_step(step: str, done: int, total: int) -> None:
                    bar.update(importing, completed=done, total=max(total, 1), description=step)

                acting = cpd.as_actor(Actor.system(_trust_of(bundle, cpd, trust), "MIS import"))
                summary = acting.import_roster(source, progress=import_step)
        except ValidationError as exc:
            _report_problems(exc)
            raise SystemExit(EXIT_PROBLEMS) from None
        finally:
            cpd.close()
        table = Table(title=f"Imported {folder}")
        for column in ("files", "mode", "created", "updated", "deactivated", "unchanged"):
            table.add_column(column, justify="left" if column in ("files", "mode") else "right")
        for row in summary_rows(summary):
            table.add_row(*(str(v) for v in row))
        Console().print(table)
        if not summary.changed:
            Console().print("Nothing changed: the store already matched this export.")

    app.add_typer(import_app, name="import")
