"""``cpd aggregate``: an anonymised table from a file, a SQL table or the store.

Exit status: 0 when answered, 1 on bad input, 2 when cpdcore is misconfigured, 3 when the
query is refused (it could single someone out, or the privacy budget is spent).
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from cpdcore.domain.aggregation.differencing import DisclosureRefused

__all__ = ["EXIT_REFUSED", "progress_steps", "register"]

EXIT_REFUSED = 3

_STEPS = ("reading", "grouping", "protecting", "adding noise", "checking the ledger", "writing")


@contextmanager
def progress_steps(console: Console, total: int = len(_STEPS)) -> Iterator[Any]:
    """A rich progress bar advanced once per named step; yields the step callback."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=total)

        def step(name: str) -> None:
            bar.update(task, description=name, advance=1)

        yield step


def register(app: Any) -> None:
    """Add the ``aggregate`` command to ``app``."""
    err = Console(stderr=True)
    typed_app: typer.Typer = app

    @typed_app.command("aggregate")
    def aggregate(  # noqa: PLR0917
        by: Annotated[str, typer.Option("--by", help="Grouping columns, e.g. school,rag.")],
        input_: Annotated[
            str | None,
            typer.Option(
                "--input",
                help="CSV/Parquet file of person-records, or a SQL table URL "
                "(postgresql://u@h/db?table=NAME, sqlite:///f.db?table=NAME).",
            ),
        ] = None,
        db: Annotated[
            str | None, typer.Option("--db", help="Store URL (instead of --input).")
        ] = None,
        actor: Annotated[
            str | None, typer.Option("--as", help="Acting staff id for --db (or CPD_ACTOR).")
        ] = None,
        kind: Annotated[
            str,
            typer.Option(
                "--kind",
                help="Record kind to aggregate with --db (staff, objectives, cpd_activities, "
                "evidence, observations, alignment_facts), or rag: RAG statuses on --as-of.",
            ),
        ] = "staff",
        as_of: Annotated[
            str | None,
            typer.Option("--as-of", help="Day of the RAG statuses for --kind rag (YYYY-MM-DD)."),
        ] = None,
        where: Annotated[
            list[str] | None, typer.Option("--where", help="Filter key=value (repeatable).")
        ] = None,
        measure: Annotated[
            str, typer.Option("--measure", help="persons|records|sum:COL|mean:COL|pct:COL=VALUE.")
        ] = "persons",
        margins: Annotated[bool, typer.Option("--margins", help="Add totals (value All).")] = False,
        policy: Annotated[
            str, typer.Option("--policy", help="ons-10-5|hesa|ofqual|dfe[:N]|k[:N].")
        ] = "ons-10-5",
        fmt: Annotated[str, typer.Option("--format", help="csv|json|parquet.")] = "csv",
        out: Annotated[
            Path | None, typer.Option("--out", help="Output file (default stdout).")
        ] = None,
        requester: Annotated[
            str | None,
            typer.Option("--requester", help="Who asks, for the ledger (default the OS user)."),
        ] = None,
        ledger: Annotated[
            Path | None, typer.Option("--ledger", help="Query ledger (SQLite file).")
        ] = None,
        dp: Annotated[
            str | None, typer.Option("--dp", help="Differential privacy: epsilon=1.0[,budget=3].")
        ] = None,
        keys: Annotated[
            list[str] | None,
            typer.Option(
                "--keys", help="Public group keys for --dp: COL=V1,V2 (one per --by column)."
            ),
        ] = None,
        clip: Annotated[
            str | None,
            typer.Option("--clip", help="Clip each person's contribution to LOW:HIGH (sum/mean)."),
        ] = None,
        manifest: Annotated[Path | None, typer.Option("--manifest", help="Manifest path.")] = None,
    ) -> None:
        """Publish an anonymised aggregate: suppressed, rounded, audited and ledgered."""
        from cpdcore.aggregation_io import (
            SqliteQueryLedger,
            SqlTableSource,
            default_ledger_path,
            is_sql_url,
            manifest_path,
            person_cells_from_frame,
            read_records,
            write_manifest,
            write_table,
        )
        from cpdcore.domain.aggregation.policies import parse_policy
        from cpdcore.domain.aggregation.privacy import parse_dp, parse_keys
        from cpdcore.domain.aggregation.tables import (
            AggregateQuery,
            parse_by,
            parse_clip,
            parse_measure,
            parse_where,
        )
        from cpdcore.errors import ValidationError
        from cpdcore.services.aggregation import AggregationRequest, answer_query

        if fmt not in {"csv", "json", "parquet"}:
            raise ValidationError.single("--format", f"{fmt!r}; use csv, json or parquet")
        if (input_ is None) == (db is None):
            raise ValidationError.single("--input", "give exactly one of --input FILE or --db URL")
        day = None
        if as_of is not None:
            from datetime import date

            if kind != "rag" or db is None:
                raise ValidationError.single("--as-of", "is for --db URL --kind rag only")
            try:
                day = date.fromisoformat(as_of)
            except ValueError:
                raise ValidationError.single(
                    "--as-of", f"{as_of!r} is not a date; use YYYY-MM-DD"
                ) from None
        query = AggregateQuery(
            by=parse_by(by),
            where=parse_where(where or []),
            measure=parse_measure(measure),
            margins=margins,
            clip=parse_clip(clip),
        )
        dp_request = parse_dp(dp) if dp else None
        declared = parse_keys(keys or [], query.by) if dp_request else None
        request = AggregationRequest(
            query=query,
            policy=parse_policy(policy),
            requester=requester or getpass.getuser(),
            dp=dp_request,
            keys=declared,
        )
        try:
            with progress_steps(err) as step:
                if db is not None:
                    from cpdcore.cli import open_store, resolve_actor

                    cpd = open_store(db)
                    acting = cpd.as_actor(resolve_actor(cpd, actor))
                    opened = SqliteQueryLedger(ledger) if ledger else None
                    try:
                        if kind == "rag":
                            answer = acting.aggregate_rag(
                                request, as_of=day, ledger=opened, progress=step
                            )
                        else:
                            answer = acting.aggregate(kind, request, ledger=opened, progress=step)
                    finally:
                        if opened is not None:
                            opened.close()
                else:
                    assert input_ is not None
                    step("reading")
                    if is_sql_url(input_):
                        partials = SqlTableSource(input_).person_cells(query)
                    else:
                        frame = read_records(input_)
                        partials = person_cells_from_frame(frame, query, input_)
                    if dp_request is not None:
                        from cpdcore.services.aggregation import limit_groups_per_person

                        partials = limit_groups_per_person(
                            partials, query.by, dp_request.groups_per_person
                        )
                    book = SqliteQueryLedger(ledger or default_ledger_path())
                    try:
                        answer = answer_query(partials, request, book, progress=step)
                    finally:
                        book.close()
                step("writing")
                data = write_table(answer.dims, answer.cells, fmt, out)
                write_manifest(manifest_path(out, manifest), answer.manifest)
        except DisclosureRefused as exc:
            print(f"cpd: {exc}", file=sys.stderr)
            raise SystemExit(EXIT_REFUSED) from None
        if data is not None:
            sys.stdout.write(data.decode())
            sys.stdout.flush()
