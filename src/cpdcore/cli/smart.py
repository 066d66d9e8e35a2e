"""``cpd smart check FILE.csv``: SMART verdicts for every objective in a CSV file.

The file needs the columns ``id`` and ``text``; ``cycle_start``, ``cycle_end`` (YYYY-MM-DD or
DD/MM/YYYY), ``linked_sip`` and ``linked_standards`` (semicolon-separated) are optional and
other columns are ignored. Rows without cycle dates use ``--cycle-start``/``--cycle-end``;
with neither, T only checks that a time reference exists.

Exit status (the ``cpd`` convention): 0 when every row was assessed, whatever the verdicts;
1 when the file's content cannot be used (not UTF-8, a missing column, a bad date), with
the line number and nothing written; 2 when the file (or the ``--calendar`` file) does not
exist or an option's value is not accepted.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from cpdcore.cli import check_choice, option_date, read_text_file, write_output
from cpdcore.domain.calendar import SchoolCalendar, parse_uk_date
from cpdcore.domain.smart import Assessment, Letter, SmartCheck, SmartContext, assess
from cpdcore.errors import ValidationError

__all__ = ["FORMATS", "SmartRow", "assess_csv", "read_objectives", "register"]

FORMATS = ("csv", "json")
"""Output formats of ``cpd smart check``."""
REQUIRED = ("id", "text")
OPTIONAL = ("cycle_start", "cycle_end", "linked_sip", "linked_standards")
LETTERS = tuple(letter.value for letter in Letter)


class SmartRow:
    """One objective read from the CSV: its id, text, context and line number."""

    def __init__(self, line: int, objective_id: str, text: str, context: SmartContext) -> None:
        self.line = line
        self.id = objective_id
        self.text = text
        self.context = context


def _date(value: str | None, where: str) -> date | None:
    if value is None or not value.strip():
        return None
    return parse_uk_date(value, where)


def _codes(value: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (value or "").split(";") if c.strip())


def read_objectives(
    text: str,
    name: str,
    calendar: SchoolCalendar | None,
    cycle_start: date | None = None,
    cycle_end: date | None = None,
) -> list[SmartRow]:
    """Parse the CSV ``text`` (file ``name``); raise ``ValidationError`` at ``name:line``."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValidationError.single(
            f"{name}:1",
            f"missing column(s) {', '.join(missing)}; the header must include id,text "
            f"(optional: {','.join(OPTIONAL)})",
        )
    rows: list[SmartRow] = []
    for record in reader:
        line = reader.line_num
        where = f"{name}:{line}"
        if None in record or any(v is None for v in record.values()):
            raise ValidationError.single(
                where, f"the row does not have the {len(header)} fields of the header"
            )
        start = _date(record.get("cycle_start"), f"{where}: column cycle_start") or cycle_start
        end = _date(record.get("cycle_end"), f"{where}: column cycle_end") or cycle_end
        if start and end and end < start:
            raise ValidationError.single(
                where, f"cycle_end {end} is before cycle_start {start}; it must be after"
            )
        context = SmartContext(
            cycle_start=start,
            cycle_end=end,
            calendar=calendar,
            sip_priorities=_codes(record.get("linked_sip")),
            standards=_codes(record.get("linked_standards")),
        )
        rows.append(SmartRow(line, record["id"], record["text"], context))
    return rows


def assess_csv(
    rows: Sequence[SmartRow], checks: Sequence[SmartCheck] = ()
) -> list[tuple[SmartRow, Assessment]]:
    """Assess every row."""
    return [(row, assess(row.text, row.context, checks)) for row in rows]


def to_csv(results: Sequence[tuple[SmartRow, Assessment]]) -> str:
    """``id,overall,S,M,A,R,T`` then one ``reason_<letter>`` column per letter."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "overall", *LETTERS, *(f"reason_{k}" for k in LETTERS)])
    for row, result in results:
        writer.writerow(
            [
                row.id,
                result.overall.value,
                *(result[k].verdict.value for k in LETTERS),
                *(result[k].explanation for k in LETTERS),
            ]
        )
    return out.getvalue()


def to_json(results: Sequence[tuple[SmartRow, Assessment]]) -> str:
    """Every row with the full explanation of each letter."""
    payload: list[dict[str, Any]] = []
    for row, result in results:
        letters: dict[str, Any] = {}
        for k in LETTERS:
            decided = result[k]
            letters[k] = {
                "verdict": decided.verdict.value,
                "rule": decided.rule,
                "source": decided.source,
                "reason": decided.decided_by.reason,
                "span": {
                    "start": decided.span.start,
                    "end": decided.span.end,
                    "text": decided.span.text,
                },
                "suggestion": decided.suggestion,
                "explanation": decided.explanation,
            }
        payload.append(
            {"id": row.id, "line": row.line, "overall": result.overall.value, "letters": letters}
        )
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def plugin_checks() -> list[SmartCheck]:
    """Every check the installed plugins return from ``cpdcore_smart_checks``."""
    from cpdcore.plugins import make_plugin_manager

    found: list[Sequence[SmartCheck]] = make_plugin_manager().hook.cpdcore_smart_checks()
    return [check for batch in found for check in batch]


def register(app: Any) -> None:
    """Add the ``smart`` command group to ``app``."""
    smart_app = typer.Typer(help="SMART objectives.", no_args_is_help=True)

    @smart_app.command("check")
    def check(
        file: Annotated[
            Path,
            typer.Argument(
                help="CSV file with columns id,text (optional: "
                "cycle_start,cycle_end,linked_sip,linked_standards).",
                show_default=False,
            ),
        ],
        output_format: Annotated[
            str, typer.Option("--format", help="csv (verdicts and reasons) or json (full).")
        ] = "csv",
        cycle_start: Annotated[
            str | None,
            typer.Option(
                "--cycle-start", help="Cycle start for rows without one (2026-09-01, 01/09/2026)."
            ),
        ] = None,
        cycle_end: Annotated[
            str | None,
            typer.Option("--cycle-end", help="Cycle end for rows without one (same forms)."),
        ] = None,
        calendar_file: Annotated[
            Path | None,
            typer.Option("--calendar", help="School calendar JSON (default: England pattern)."),
        ] = None,
    ) -> None:
        """Check every objective in FILE and write the verdicts to stdout."""
        from cpdcore.calendars import england_default, load_calendar

        check_choice("--format", output_format, FORMATS)
        start = None if cycle_start is None else option_date(cycle_start, "--cycle-start")
        end = None if cycle_end is None else option_date(cycle_end, "--cycle-end")
        calendar = england_default()
        if calendar_file is not None:
            # read once here for a one-line error naming a missing or unreadable file
            read_text_file(calendar_file, "the calendar file (--calendar)")
            calendar = load_calendar(calendar_file)
        text = read_text_file(file, "the objectives file")
        rows = read_objectives(text, file.name, calendar, start, end)
        results = assess_csv(rows, plugin_checks())
        write_output("-", to_json(results) if output_format == "json" else to_csv(results))

    app.add_typer(smart_app, name="smart")
