"""``cpd rag report``: every objective's RAG status on a day, as CSV or JSON.

The report is identifiable (one row per person's objective), so the acting person must be
allowed to see individuals: a trust leader for the trust, a school leader with
``--school``. ``--as-of`` takes the date forms used everywhere in cpd: ``2027-03-31``,
``31/03/2027`` or ``31 March 2027``.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Annotated, Any

import typer

from cpdcore.cli import check_choice, known_school, open_store, option_date, resolve_actor
from cpdcore.domain.organisation import Role
from cpdcore.errors import PermissionDenied

__all__ = ["COLUMNS", "register", "render_report", "report_records"]

COLUMNS = (
    "school_id",
    "appraisee_id",
    "appraisee_name",
    "objective_id",
    "title",
    "colour",
    "computed",
    "override",
    "override_reason",
    "override_expires_on",
    "expected",
    "actual",
    "decided_by",
    "explanation",
)
"""The CSV columns, in order (JSON rows carry the same keys plus every rule result)."""

FORMATS = ("csv", "json")
_PLACES = Decimal("0.0001")


def _fraction(value: Any) -> str:
    return "" if value is None else str(value.quantize(_PLACES))


def report_records(report: Any) -> list[dict[str, Any]]:
    """One flat record per row of a :class:`~cpdcore.services.rag.RagReport`."""
    records = []
    for row in report.rows:
        status = row.status
        override = row.override
        records.append(
            {
                "school_id": row.school_id,
                "appraisee_id": row.appraisee_id,
                "appraisee_name": row.appraisee_name,
                "objective_id": row.objective_id,
                "title": row.title,
                "colour": row.colour.value,
                "computed": row.computed.value,
                "override": "" if override is None else override.colour.value,
                "override_reason": "" if override is None else override.reason,
                "override_expires_on": "" if override is None else override.expires_on.isoformat(),
                "expected": _fraction(status.expected),
                "actual": _fraction(status.actual),
                "decided_by": " ".join(status.decided_by),
                "explanation": " ".join(status.explanation),
            }
        )
    return records


def render_report(report: Any, output_format: str) -> str:
    """The report as CSV (``COLUMNS``) or JSON (with each rule's inputs and threshold)."""
    check_choice("--format", output_format, FORMATS)
    records = report_records(report)
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        return buffer.getvalue()
    for record, row in zip(records, report.rows, strict=True):
        record["rules"] = [
            {
                "rule": r.rule,
                "effect": r.effect.value,
                "colour": None if r.colour is None else r.colour.value,
                "changed": r.changed,
                "message": r.message,
                "inputs": dict(r.inputs),
                "threshold": r.threshold,
                "note": r.note,
            }
            for r in row.status.results
        ]
    document = {"as_of": report.as_of.isoformat(), "scope": report.scope, "rows": records}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _led_schools(actor: Any) -> list[str]:
    return sorted(
        {
            str(a.school_id)
            for a in actor.roles
            if a.role is Role.SCHOOL_LEADER and a.school_id is not None
        }
    )


def register(app: Any) -> None:
    """Add the ``rag`` command group to ``app``."""
    rag_app = typer.Typer(help="RAG (Blue/Red/Amber/Green) statuses.", no_args_is_help=True)

    @rag_app.command("report")
    def report(
        as_of: Annotated[
            str,
            typer.Option("--as-of", help="The day: YYYY-MM-DD, DD/MM/YYYY or 31 March 2027."),
        ],
        db: Annotated[str | None, typer.Option("--db", help="Store URL (or CPD_DB).")] = None,
        actor: Annotated[
            str | None, typer.Option("--as", help="Acting staff id (or CPD_ACTOR).")
        ] = None,
        school: Annotated[
            str | None,
            typer.Option(
                "--school", help="One school's id (default: the whole trust, for trust leaders)."
            ),
        ] = None,
        output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    ) -> None:
        """Every objective's status on --as-of, with the rules that decided it."""
        check_choice("--format", output_format, FORMATS)
        day = option_date(as_of, "--as-of")
        cpd = open_store(db)
        try:
            person = resolve_actor(cpd, actor)
            acting = cpd.as_actor(person)
            school_id = known_school(acting, school)
            try:
                result = acting.rag_report(as_of=day, school_id=school_id)
            except PermissionDenied as exc:
                led = _led_schools(person)
                if school_id is not None or not led:
                    raise
                raise PermissionDenied(
                    f"{exc}; for your school's report pass --school " + " or --school ".join(led)
                ) from None
        finally:
            cpd.close()
        typer.echo(render_report(result, output_format), nl=False)

    app.add_typer(rag_app, name="rag")
