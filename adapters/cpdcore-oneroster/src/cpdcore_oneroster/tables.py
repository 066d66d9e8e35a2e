"""Reading one CSV file of an export: encoding, quoting, header check, rows with line numbers.

Files are UTF-8, with or without a byte-order mark, with CRLF or LF line ends and RFC 4180
quoting (fields holding commas, quotes or line breaks are quoted; a quote inside is
doubled). Columns are found by header name, so their order does not matter.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterator, Mapping
from pathlib import Path

import attrs

from cpdcore.errors import Problem
from cpdcore_oneroster.spec import FileSpec

__all__ = ["Row", "Table", "read_table"]


class Row:
    """One data row: where it starts in the file and its values by column name.

    Every column the spec names has a value, stripped of surrounding spaces (empty when
    the file leaves the column out); other columns are not reachable by name. Rows are
    read-only. They are a plain slotted class rather than an attrs one because an export
    has hundreds of thousands of them and creating them is on the hot path.
    """

    __slots__ = ("_positions", "cells", "file", "line")

    def __init__(
        self, file: str, line: int, cells: tuple[str, ...], positions: Mapping[str, int]
    ) -> None:
        self.file = file
        self.line = line
        self.cells = cells
        """The row's values in header order, then one empty value for absent columns."""
        self._positions = positions

    def __repr__(self) -> str:
        return f"Row({self.file!r}, {self.line}, {self.values!r})"

    @property
    def values(self) -> dict[str, str]:
        """The value of every column the spec names, by column name."""
        return {column: self.cells[i] for column, i in self._positions.items()}

    @property
    def where(self) -> str:
        """``file:line`` of the row, for messages."""
        return f"{self.file}:{self.line}"

    def get(self, column: str) -> str:
        """The value of ``column`` (empty when the column is not in the file)."""
        return self.cells[self._positions[column]]

    def problem(self, column: str, message: str) -> Problem:
        """A problem with one field of this row."""
        return Problem(self.where, f"field {column!r}: {message}")


@attrs.frozen
class Table:
    """The rows of one file; ``complete`` is false when reading stopped at an error.

    ``positions`` gives, for every column the spec names, where its value is in
    :attr:`Row.cells`; a column absent from the file points at the empty value every row
    ends with. Loops over many rows use it to read cells without looking names up.
    """

    spec: FileSpec
    columns: frozenset[str]
    rows: tuple[Row, ...]
    complete: bool = True
    positions: Mapping[str, int] = attrs.field(factory=dict)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def position(self, column: str) -> int:
        """Where ``column``'s value is in every row's :attr:`Row.cells`."""
        return self.positions[column]


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
    # Each row's cells are its stripped values in header order plus one empty value that
    # every spec column missing from the header points at.
    positions = {h: i for i, h in enumerate(header) if h in spec.columns}
    positions.update(dict.fromkeys((c for c in spec.columns if c not in positions), len(header)))
    rows: list[Row] = []
    append = rows.append
    name = spec.name
    width = len(header)
    strip = str.strip
    last_line = reader.line_num
    complete = True
    try:
        for record in reader:
            start = last_line + 1
            last_line = reader.line_num
            count = len(record)
            if count != width or count <= 1:
                if not record or (count == 1 and not record[0].strip()):
                    continue  # blank lines carry nothing
                if count != width:
                    problems.append(
                        Problem(
                            f"{name}:{start}",
                            f"the row has {count} fields but the header has {width}; "
                            "quote values that contain commas",
                        )
                    )
                    continue
            record.append("")
            append(Row(name, start, tuple(map(strip, record)), positions))
    except csv.Error as exc:
        problems.append(
            Problem(
                f"{name}:{last_line + 1}",
                f"not valid CSV ({exc}); quote fields that hold commas, quotes or line "
                'breaks, and double quotes inside them ("")',
            )
        )
        complete = False
    return Table(spec, frozenset(header), tuple(rows), complete, positions)
