"""Aggregate queries and the tables they produce: measures, cells, margins and lines.

A query groups person-records by some columns (``by``), keeps those matching every
``where`` filter and measures each group. With margins, every grouping column also gets
the value :data:`ALL`, so a 2-way table has its row totals, column totals and grand total.
A *line* is one total and the cells it adds up: the LP audit and secondary suppression
reason about lines.
"""

from __future__ import annotations

import enum
import hashlib
import itertools
import json
from collections.abc import Iterator, Mapping, Sequence

import attrs

from cpdcore.errors import Problem, ValidationError

__all__ = [
    "ALL",
    "AggregateQuery",
    "CellKey",
    "CellStats",
    "Cube",
    "Line",
    "Measure",
    "MeasureKind",
    "parse_by",
    "parse_clip",
    "parse_measure",
    "parse_where",
]

ALL = "All"
"""The value a grouping column takes in a margin (total) cell."""

CellKey = tuple[str, ...]
"""The grouping values of one cell, in the order of the query's ``by`` columns."""


class MeasureKind(enum.Enum):
    """What is measured in each group."""

    PERSONS = "persons"
    RECORDS = "records"
    SUM = "sum"
    MEAN = "mean"
    PCT = "pct"


@attrs.frozen
class Measure:
    """A measure: ``persons``, ``records``, ``sum:COL``, ``mean:COL`` or ``pct:COL=VALUE``."""

    kind: MeasureKind = MeasureKind.PERSONS
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        name = str(self.kind.value)
        if self.kind is MeasureKind.PCT:
            return f"pct:{self.column}={self.value}"
        if self.column is not None:
            return f"{name}:{self.column}"
        return name

    @property
    def is_count(self) -> bool:
        """True for counts of people or records (additive, audited by linear programming)."""
        return self.kind in (MeasureKind.PERSONS, MeasureKind.RECORDS)


_MEASURE_HELP = "persons, records, sum:COL, mean:COL or pct:COL=VALUE"


def parse_measure(text: str) -> Measure:
    """Parse the ``--measure`` option."""
    text = text.strip()
    kind_name, sep, rest = text.partition(":")
    try:
        kind = MeasureKind(kind_name)
    except ValueError:
        raise ValidationError.single(
            "--measure", f"unknown measure {text!r}; use {_MEASURE_HELP}"
        ) from None
    if kind in (MeasureKind.PERSONS, MeasureKind.RECORDS):
        if sep:
            raise ValidationError.single("--measure", f"{kind.value} takes no column; got {text!r}")
        return Measure(kind)
    if kind is MeasureKind.PCT:
        column, eq, value = rest.partition("=")
        if not column or not eq or not value:
            raise ValidationError.single(
                "--measure", f"{text!r} needs a column and a value: pct:COL=VALUE (pct:rag=red)"
            )
        return Measure(kind, column.strip(), value.strip())
    if not rest.strip():
        raise ValidationError.single("--measure", f"{text!r} needs a column: {kind.value}:COL")
    return Measure(kind, rest.strip())


def parse_by(text: str) -> tuple[str, ...]:
    """Parse ``--by a,b``: distinct, non-empty column names."""
    columns = tuple(c.strip() for c in text.split(",") if c.strip())
    if not columns:
        raise ValidationError.single("--by", "give at least one column, e.g. --by school,rag")
    if len(set(columns)) != len(columns):
        raise ValidationError.single("--by", f"a column is repeated in {text!r}")
    return columns


def parse_where(items: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Parse repeated ``--where key=value`` filters (sorted, so order does not matter)."""
    problems: list[Problem] = []
    pairs: dict[str, str] = {}
    for index, item in enumerate(items):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            problems.append(Problem(f"--where[{index}]", f"{item!r} is not key=value"))
        elif key.strip() in pairs:
            problems.append(Problem(f"--where[{index}]", f"{key.strip()!r} is filtered twice"))
        else:
            pairs[key.strip()] = value.strip()
    if problems:
        raise ValidationError(problems)
    return tuple(sorted(pairs.items()))


def parse_clip(text: str | None) -> tuple[float, float] | None:
    """Parse ``--clip LOW:HIGH``, the range each person's contribution is clipped to."""
    if text is None or not text.strip():
        return None
    low, sep, high = text.partition(":")
    try:
        bounds = (float(low), float(high))
    except ValueError:
        bounds = (1.0, 0.0)
    if not sep or bounds[0] > bounds[1]:
        raise ValidationError.single("--clip", f"{text!r} is not LOW:HIGH with LOW <= HIGH")
    return bounds


@attrs.frozen
class AggregateQuery:
    """What was asked: grouping, filters, measure, margins and contribution bounds."""

    by: tuple[str, ...]
    where: tuple[tuple[str, str], ...] = ()
    measure: Measure = Measure()
    margins: bool = False
    clip: tuple[float, float] | None = None

    def __attrs_post_init__(self) -> None:
        if not self.by:
            raise ValidationError.single("by", "an aggregate needs at least one grouping column")
        if self.measure.kind in (MeasureKind.SUM, MeasureKind.MEAN) and self.measure.column in (
            *self.by,
            *dict(self.where),
        ):
            raise ValidationError.single(
                "--measure", f"cannot sum or average the grouping column {self.measure.column!r}"
            )

    def describe(self) -> dict[str, object]:
        """JSON-safe description (for manifests and fingerprints)."""
        return {
            "by": list(self.by),
            "where": dict(self.where),
            "measure": str(self.measure),
            "margins": self.margins,
            "clip": list(self.clip) if self.clip is not None else None,
        }

    def fingerprint(self, *extra: str) -> str:
        """A stable digest of the query (and any extra strings such as the policy name)."""
        text = json.dumps([self.describe(), *extra], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


@attrs.frozen
class CellStats:
    """The true, unrounded figures of one cell (never published as such)."""

    persons: int
    """Distinct people in the cell."""
    records: int = 0
    """Person-records in the cell."""
    total: float = 0.0
    """Sum of the measured column, each person's part clipped to the declared range."""
    matched: int = 0
    """People in the cell with the ``pct`` value."""


@attrs.frozen
class Line:
    """A total cell and the cells that make it up along one grouping column."""

    total: CellKey
    parts: tuple[CellKey, ...]

    @property
    def members(self) -> tuple[CellKey, ...]:
        """The parts, then the total."""
        return (*self.parts, self.total)


@attrs.frozen
class Cube:
    """Every cell of one query: interior cells and, with margins, every total."""

    dims: tuple[str, ...]
    categories: tuple[tuple[str, ...], ...]
    cells: Mapping[CellKey, CellStats]
    margins: bool = False

    def __attrs_post_init__(self) -> None:
        if len(self.dims) != len(self.categories):
            raise ValidationError.single("categories", "one category list per grouping column")
        if self.margins:
            problems = [
                Problem(
                    f"{dim}",
                    f"the value {ALL!r} is reserved for totals when margins are asked for; "
                    "rename it in the input",
                )
                for dim, values in zip(self.dims, self.categories, strict=True)
                if ALL in values
            ]
            if problems:
                raise ValidationError(problems)

    def cell_keys(self) -> Iterator[CellKey]:
        """Every cell key in publication order (categories sorted, ``All`` last)."""
        axes = [(*values, ALL) if self.margins else values for values in self.categories]
        return iter(itertools.product(*axes))

    def stats(self, key: CellKey) -> CellStats:
        """The cell's figures (an empty cell when nobody is in it)."""
        return self.cells.get(key, _EMPTY)

    def lines(self) -> list[Line]:
        """Every total with its parts (no lines without margins)."""
        if not self.margins:
            return []
        lines: list[Line] = []
        for key in self.cell_keys():
            for axis, value in enumerate(key):
                if value != ALL:
                    continue
                parts = tuple(
                    (*key[:axis], category, *key[axis + 1 :]) for category in self.categories[axis]
                )
                lines.append(Line(key, parts))
        return lines

    @classmethod
    def from_counts(
        cls,
        dims: Sequence[str],
        counts: Mapping[CellKey, int],
        *,
        margins: bool = True,
    ) -> Cube:
        """A cube of people counts where every person is in exactly one interior cell.

        Margins are the sums of the interior counts; handy for tests and worked examples.
        """
        categories = tuple(
            tuple(sorted({key[axis] for key in counts})) for axis in range(len(dims))
        )
        cells: dict[CellKey, CellStats] = {}
        shell = cls(tuple(dims), categories, {}, margins)
        for key in shell.cell_keys():
            total = sum(
                n
                for inner, n in counts.items()
                if all(v in (ALL, w) for v, w in zip(key, inner, strict=True))
            )
            cells[key] = CellStats(persons=total, records=total)
        return cls(tuple(dims), categories, cells, margins)


_EMPTY = CellStats(persons=0)
