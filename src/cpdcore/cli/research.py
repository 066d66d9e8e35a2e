"""``cpd export research``: a pseudonymised, k-anonymous record-level extract."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

__all__ = ["register"]


def register(app: Any) -> None:
    """Add the ``export research`` command to ``app``."""
    export_app = typer.Typer(help="Exports for people outside the school.", no_args_is_help=True)
    err = Console(stderr=True)

    @export_app.command("research")
    def research(  # noqa: PLR0917
        input_: Annotated[Path, typer.Option("--input", help="CSV/Parquet of person-records.")],
        out: Annotated[Path, typer.Option("--out", help="Output file (.csv or .parquet).")],
        quasi: Annotated[
            str, typer.Option("--quasi", help="Declared quasi-identifiers, e.g. school,role,date.")
        ],
        k: Annotated[
            int, typer.Option("--k", help="Every combination covers at least k people.")
        ] = 10,
        school_column: Annotated[
            str,
            typer.Option(
                "--school-column",
                help="Column naming each record's school; small schools are merged to reach k.",
            ),
        ] = "school",
        dates: Annotated[
            str, typer.Option("--dates", help="Date columns coarsened to the term.")
        ] = "",
        drop: Annotated[
            str,
            typer.Option(
                "--drop", help="More direct identifiers to drop (names, emails are dropped)."
            ),
        ] = "",
        hash_columns: Annotated[
            str, typer.Option("--hash", help="More id columns to replace by salted hashes.")
        ] = "",
    ) -> None:
        """Write a research extract; report how many rows had to be removed."""
        from cpdcore.aggregation_io import write_manifest
        from cpdcore.cli.aggregate import progress_steps
        from cpdcore.research_extract import ExtractSpec, make_extract

        spec = ExtractSpec(
            quasi_identifiers=_names(quasi),
            k=k,
            school_column=school_column,
            date_columns=_names(dates),
            drop=_names(drop),
            hash_columns=_names(hash_columns),
        )
        with progress_steps(err, total=4) as step:
            result = make_extract(input_, out, spec, progress=step)
            write_manifest(out.with_name(out.name + ".manifest.json"), result.manifest)
        err.print(
            f"wrote {out}: {result.rows_written} rows; {result.rows_suppressed} rows removed "
            f"to reach k={k}; {result.schools_merged} schools merged"
        )

    app.add_typer(export_app, name="export")


def _names(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(",") if c.strip())
