"""Reading one CSV file of an export: encoding, quoting, header check, rows with line numbers.

Files are UTF-8, with or without a byte-order mark, with CRLF or LF line ends and RFC 4180
quoting (fields holding commas, quotes or line breaks are quoted; a quote inside is
doubled). Columns are found by header name, so their order does not matter.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterator
from pathlib import Path

import attrs

from cpdcore.errors import Problem
from cpdcore_oneroster.spec import FileSpec

__all__ = ["Row", "Table", "read_table"]


@attrs.frozen
class Row:
    """One data row: where it starts in the file and its values by column name.

    Only the columns the spec names are kept; values are stripped of surrounding spaces.
    """

    file: str
    line: int
    values: dict[str, str]

    @property
    def where(self) -> str:
        """``file:line`` of the row, for messages."""
        return f"{self.file}:{self.line}"

    def get(self, column: str) -> str:
        """The value of ``column`` (empty when the column is not in the file)."""
        return self.values[column]

    def problem(self, column: str, message: str) -> Problem:
        """A problem with one field of this row."""
        return Problem(self.where, f"field {column!r}: {message}")


@attrs.frozen
class Table:
    """The rows of one file; ``complete`` is false when reading stopped at an error."""

    spec: FileSpec
    columns: frozenset[str]
    rows: tuple[Row, ...]
    complete: bool = True

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _decode(spec: FileSpec, data: bytes, problems: list[Problem]) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.append(
            Problem(
                f"{spec.name}:{line}",
                f"byte 0x{data[exc.start]:02x} is not UTF-8 text; save the file as UTF-8 "
                "(with or without a byte-order mark)",
            )
        )
        return None


def _near_miss(column: str, unknown: list[str]) -> str:
    """A hint naming the header that was probably meant as ``column``."""
    near = difflib.get_close_matches(column, unknown, n=1, cutoff=0.75)
    if not near:
        return ""
    if near[0].lower() == column.lower():
        return f" (the header has {near[0]!r}; column names are case-sensitive)"
    return f" (the header has {near[0]!r}, perhaps a misspelling)"


def _check_header(spec: FileSpec, header: list[str], problems: list[Problem]) -> bool:
    where = f"{spec.name}:1"
    before = len(problems)
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append(Problem(where, f"column {name!r} appears twice in the header"))
        seen.add(name)
    unknown = [h for h in header if h not in spec.columns]
    problems.extend(
        Problem(
            where,
            f"required column {column!r} is missing{_near_miss(column, unknown)}; "
            f"accepted columns: {spec.accepted}",
        )
        for column in spec.columns
        if column in spec.required and column not in seen
    )
    return len(problems) == before


def read_table(spec: FileSpec, path: Path, problems: list[Problem]) -> Table | None:
    """Read ``path`` as ``spec`` describes it, appending every problem found.

    Returns ``None`` when the file cannot be interpreted at all (not UTF-8, no header, a
    required column missing); otherwise the rows, stopping early only at broken quoting.
    """
    text = _decode(spec, path.read_bytes(), problems)
    if text is None:
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.append(Problem(f"{spec.name}:1", f"the header is not valid CSV: {exc}"))
        return None
    if header is None or not any(h.strip() for h in header):
        problems.append(
            Problem(f"{spec.name}:1", f"the file is empty; it needs a header: {spec.accepted}")
        )
        return None
    header = [h.strip() for h in header]
    if not _check_header(spec, header, problems):
        return None
    wanted = [(i, h) for i, h in enumerate(header) if h in spec.columns]
    # every spec column has a value (empty when the file leaves the column out)
    missing = [c for c in spec.columns if c not in header]
    rows: list[Row] = []
    width = len(header)
    last_line = reader.line_num
    complete = True
    while True:
        start = last_line + 1
        try:
            record = next(reader, None)
        except csv.Error as exc:
            problems.append(
                Problem(
                    f"{spec.name}:{start}",
                    f"not valid CSV ({exc}); quote fields that hold commas, quotes or line "
                    'breaks, and double quotes inside them ("")',
                )
            )
            complete = False
            break
        if record is None:
            break
        last_line = reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank lines carry nothing
        if len(record) != width:
            problems.append(
                Problem(
                    f"{spec.name}:{start}",
                    f"the row has {len(record)} fields but the header has {width}; "
                    "quote values that contain commas",
                )
            )
            continue
        values = dict.fromkeys(missing, "")
        values.update({h: record[i].strip() for i, h in wanted})
        rows.append(Row(spec.name, start, values))
    return Table(spec, frozenset(header), tuple(rows), complete)
