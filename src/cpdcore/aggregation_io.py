"""Reading and writing for anonymised aggregates (needs the ``stats`` extra).

* Inputs: a CSV or Parquet file, a pandas ``DataFrame``, or a SQL table named by URL
  (``postgresql://user@host/db?table=NAME`` or ``sqlite:///file.db?table=NAME``), where the
  grouping runs in the database. Every input has one row per person-record with a
  ``person_id`` column.
* Every input is first reduced to *person-cells*: one row per person per interior group
  with that person's number of records, their total of the measured column and whether
  they have the ``pct`` value. That is what a store pushes down to SQL
  (:class:`cpdcore.ports.AggregationPushDown`); the cube of cells and margins is built
  from it here.
* The query ledger (:class:`SqliteQueryLedger`) keeps, per requester, the populations of
  every answered query as keyed hashes (no person id is stored), the answers themselves
  and the privacy budget.
* Writers for CSV, JSON and Parquet, and the manifest written next to every output.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import os
import re
import secrets
import sqlite3
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import attrs

from cpdcore.domain.aggregation.differencing import (
    check_near_match,
)
from cpdcore.domain.aggregation.suppression import ProtectedCell
from cpdcore.domain.aggregation.tables import (
    ALL,
    AggregateQuery,
    CellKey,
    CellStats,
    Cube,
    MeasureKind,
)
from cpdcore.errors import ConfigurationError, Problem, ValidationError
from cpdcore.extras import require

__all__ = [
    "PERSON_COLUMN",
    "PERSON_CELL_COLUMNS",
    "CubeBuild",
    "SqlTableSource",
    "SqliteQueryLedger",
    "build_cube",
    "default_ledger_path",
    "is_sql_url",
    "person_cells_from_frame",
    "person_cells_from_rows",
    "read_records",
    "render_table",
    "write_manifest",
    "write_table",
]

PERSON_COLUMN = "person_id"
"""The column naming the person each record belongs to."""

PERSON_CELL_COLUMNS = ("records", "total", "matched")
"""Columns after the grouping columns and ``person_id`` in a person-cells frame."""

QUERY_POPULATION = "*"
"""Ledger label of a whole query's population (cells are labelled by their keys)."""

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def _pandas() -> Any:
    return require("pandas", "anonymised aggregation")


def _numpy() -> Any:
    return require("numpy", "anonymised aggregation")


# --------------------------------------------------------------------------- inputs


def is_sql_url(text: str) -> bool:
    """True for ``postgresql://``, ``postgres://`` and ``sqlite://`` inputs."""
    return urlsplit(text).scheme.split("+")[0] in {"postgresql", "postgres", "sqlite"}


def read_records(path: str | Path, columns: Sequence[str] | None = None) -> Any:
    """Read a CSV or Parquet file of person-records into a pandas ``DataFrame``.

    CSV cells are read as text (so ``007`` stays ``007``); numbers are converted only for
    the measured column.
    """
    pd = _pandas()
    path = Path(path)
    if not path.exists():
        raise ValidationError.single("--input", f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        require("pyarrow", "reading Parquet")
        frame = pd.read_parquet(path, columns=list(columns) if columns else None)
        return frame
    if suffix in {".csv", ".txt", ""}:
        try:
            return pd.read_csv(
                path, dtype=str, keep_default_na=False, usecols=list(columns) if columns else None
            )
        except ValueError as exc:
            raise ValidationError.single(
                str(path), f"cannot read the columns asked for: {exc}"
            ) from None
    raise ValidationError.single("--input", f"{path}: use a .csv or .parquet file")


def _check_columns(available: Iterable[str], query: AggregateQuery, source: str) -> None:
    available = set(available)
    needed = {PERSON_COLUMN: "the person column", **dict.fromkeys(query.by, "--by")}
    needed.update({k: "--where" for k, _v in query.where})
    if query.measure.column:
        needed[query.measure.column] = "--measure"
    problems = [
        Problem(
            f"{source}",
            f"column {column!r} (from {origin}) is not in the input; "
            f"it has: {', '.join(sorted(available))}",
        )
        for column, origin in needed.items()
        if column not in available
    ]
    if problems:
        raise ValidationError(problems)


def person_cells_from_frame(frame: Any, query: AggregateQuery, source: str = "input") -> Any:
    """Filter person-records and reduce them to one row per person per interior group."""
    pd = _pandas()
    _check_columns(frame.columns, query, source)
    for column, value in query.where:
        frame = frame[frame[column].astype(str) == value]
    by = list(query.by)
    data = {c: frame[c].astype(str) for c in by}
    data[PERSON_COLUMN] = frame[PERSON_COLUMN].astype(str)
    measure = query.measure
    if measure.kind in (MeasureKind.SUM, MeasureKind.MEAN):
        assert measure.column is not None
        numbers = pd.to_numeric(frame[measure.column], errors="coerce")
        bad = numbers.isna() & (frame[measure.column].astype(str).str.strip() != "")
        if bad.any():
            lines = [int(i) + 2 for i in list(frame.index[bad])[:5]]
            raise ValidationError(
                Problem(
                    f"{source}:{line}",
                    f"column {measure.column!r} must be a number; got "
                    f"{frame[measure.column].loc[line - 2]!r}",
                )
                for line in lines
            )
        data["total"] = numbers.fillna(0.0).astype(float)
    else:
        data["total"] = pd.Series(0.0, index=frame.index)
    if measure.kind is MeasureKind.PCT:
        assert measure.column is not None
        data["matched"] = frame[measure.column].astype(str) == str(measure.value)
    else:
        data["matched"] = pd.Series(False, index=frame.index)
    slim = pd.DataFrame(data)
    grouped = slim.groupby([*by, PERSON_COLUMN], sort=False, observed=True)
    result = grouped.agg(
        records=("total", "size"), total=("total", "sum"), matched=("matched", "max")
    ).reset_index()
    return result


def person_cells_from_rows(rows: Iterable[Sequence[Any]], by: Sequence[str]) -> Any:
    """A person-cells frame from rows ``(by values..., person_id, records, total, matched)``."""
    pd = _pandas()
    columns = [*by, PERSON_COLUMN, *PERSON_CELL_COLUMNS]
    frame = pd.DataFrame.from_records(list(rows), columns=columns)
    for column in (*by, PERSON_COLUMN):
        frame[column] = frame[column].astype(str)
    frame["records"] = frame["records"].astype("int64")
    frame["total"] = frame["total"].fillna(0.0).astype(float)
    frame["matched"] = frame["matched"].fillna(False).astype(bool)
    return frame


@attrs.frozen
class SqlTableSource:
    """A table in PostgreSQL or SQLite, grouped in the database (push-down).

    The URL names the table in its query string: ``postgresql://u@h/db?table=records``.
    Only the per-person GROUP BY runs in SQL; margins and protection run here.
    """

    url: str

    @property
    def table(self) -> str:
        """The table name from the URL's ``table`` parameter (validated identifier)."""
        names = parse_qs(urlsplit(self.url).query).get("table", [])
        if len(names) != 1 or not _IDENTIFIER.match(names[0]):
            raise ValidationError.single(
                "--input", "a SQL input names one table: ...?table=NAME (letters, digits, _)"
            )
        return names[0]

    def _connection_url(self) -> str:
        parts = urlsplit(self.url)
        query = "&".join(
            f"{k}={v}"
            for k, values in parse_qs(parts.query).items()
            if k != "table"
            for v in values
        )
        return urlunsplit((parts.scheme.split("+")[0], parts.netloc, parts.path, query, ""))

    def person_cells(self, query: AggregateQuery) -> Any:
        """Run the per-person GROUP BY in the database; return a person-cells frame."""
        scheme = urlsplit(self.url).scheme.split("+")[0]
        if scheme == "sqlite":
            return self._sqlite(query)
        return self._postgres(query)

    def _select(
        self, query: AggregateQuery, as_text: str, quote: Any, literal: Any, *, sqlite: bool
    ) -> str:
        """The per-person GROUP BY; ``as_text`` casts a column to text (``{}::text``)."""

        def text(column: str | None) -> str:
            return as_text.format(quote(column))

        measure = query.measure
        total = "0.0"
        matched = "0" if sqlite else "false"
        if measure.kind in (MeasureKind.SUM, MeasureKind.MEAN):
            total = f"COALESCE(SUM({quote(measure.column)}), 0.0)"
        if measure.kind is MeasureKind.PCT:
            compare = f"{text(measure.column)} = {literal(measure.value)}"
            matched = f"MAX({compare})" if sqlite else f"BOOL_OR({compare})"
        where = " AND ".join(f"{text(k)} = {literal(v)}" for k, v in query.where)
        columns = ", ".join(text(c) for c in (*query.by, PERSON_COLUMN))
        groups = ", ".join(str(i + 1) for i in range(len(query.by) + 1))
        return (
            f"SELECT {columns}, COUNT(*), {total}, {matched} FROM {quote(self.table)}"
            + (f" WHERE {where}" if where else "")
            + f" GROUP BY {groups}"
        )

    def _postgres(self, query: AggregateQuery) -> Any:
        psycopg = require("psycopg", "reading a PostgreSQL table")
        from psycopg import sql

        with psycopg.connect(self._connection_url()) as conn:
            columns = self._columns_pg(conn)
            _check_columns(columns, query, self.table)

            def quote(name: str | None) -> str:
                return str(sql.Identifier(*(name or "").split(".")).as_string(conn))

            def literal(value: str | None) -> str:
                return str(sql.Literal(value).as_string(conn))

            statement = self._select(query, "{}::text", quote, literal, sqlite=False)
            buffer = io.BytesIO()
            with conn.cursor() as cur, cur.copy(f"COPY ({statement}) TO STDOUT") as copy:
                for chunk in copy:
                    buffer.write(chunk)
        buffer.seek(0)
        pd = _pandas()
        names = [*query.by, PERSON_COLUMN, *PERSON_CELL_COLUMNS]
        frame = pd.read_csv(
            buffer,
            sep="\t",
            header=None,
            names=names,
            dtype=dict.fromkeys((*query.by, PERSON_COLUMN), str),
            keep_default_na=False,
            na_values={"total": ["\\N"], "matched": ["\\N"]},
        )
        frame["matched"] = frame["matched"].astype(str) == "t"
        frame["total"] = frame["total"].astype(float)
        return frame

    def _columns_pg(self, conn: Any) -> list[str]:
        from psycopg import sql

        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("SELECT * FROM {} LIMIT 0").format(sql.Identifier(*self.table.split(".")))
            )
            return [d.name for d in cur.description]

    def _sqlite(self, query: AggregateQuery) -> Any:
        path = urlsplit(self.url).path
        path = path[1:] if path.startswith("//") else path
        path = path[1:] if path.startswith("/") and not os.path.exists(path) else path
        conn = sqlite3.connect(path)
        try:
            cursor = conn.execute(f'SELECT * FROM "{self.table}" LIMIT 0')
            _check_columns([d[0] for d in cursor.description], query, self.table)

            def quote(name: str | None) -> str:
                return '"' + (name or "").replace('"', '""') + '"'

            def literal(value: str | None) -> str:
                return "'" + (value or "").replace("'", "''") + "'"

            statement = self._select(query, "CAST({} AS TEXT)", quote, literal, sqlite=True)
            rows = conn.execute(statement).fetchall()
        finally:
            conn.close()
        return person_cells_from_rows(rows, query.by)


# --------------------------------------------------------------------------- the cube


@attrs.frozen
class CubeBuild:
    """A cube plus, for every cell, its population as sorted keyed person hashes."""

    cube: Cube
    populations: Mapping[CellKey, Any]
    """Sorted unique ``uint64`` numpy arrays, one per cell key."""
    query_population: Any
    digest: str
    """A digest of every cell's figures and population (identical data, identical digest)."""


def person_hashes(persons: Any, key: bytes) -> Any:
    """Keyed 64-bit hashes of person ids (the ledger never stores the ids themselves)."""
    pd = _pandas()
    np = _numpy()
    codes, uniques = pd.factorize(persons, sort=False)
    hashed = np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(str(u).encode(), key=key, digest_size=8).digest())
            for u in uniques
        ),
        dtype=np.uint64,
        count=len(uniques),
    )
    return hashed[codes]


def build_cube(
    partials: Any,
    query: AggregateQuery,
    person_key: bytes,
    *,
    categories: Mapping[str, Sequence[str]] | None = None,
) -> CubeBuild:
    """Build every cell (and margins) from a person-cells frame.

    ``categories`` fixes the values of each grouping column (declared keys for
    differential privacy); otherwise the values seen in the data are used.
    """
    np = _numpy()
    by = list(query.by)
    frame = partials.copy()
    frame["_hash"] = person_hashes(frame[PERSON_COLUMN], person_key)
    if categories is not None:
        for column in by:
            frame = frame[frame[column].isin(list(categories[column]))]
        axes = tuple(tuple(categories[c]) for c in by)
    else:
        axes = tuple(tuple(sorted(frame[c].unique().tolist())) for c in by)
    clip = query.clip
    cells: dict[CellKey, CellStats] = {}
    populations: dict[CellKey, Any] = {}
    masks = (
        itertools.product((True, False), repeat=len(by)) if query.margins else [(True,) * len(by)]
    )
    for mask in masks:
        kept = [c for c, keep in zip(by, mask, strict=True) if keep]
        per_person = (
            frame
            if len(kept) == len(by)
            else frame.groupby([*kept, "_hash"], sort=False, observed=True)
            .agg(records=("records", "sum"), total=("total", "sum"), matched=("matched", "max"))
            .reset_index()
        )
        totals = per_person["total"]
        if clip is not None:
            totals = totals.clip(lower=clip[0], upper=clip[1])
        work = per_person.assign(_clipped=totals, _one=1)
        if kept:
            grouped = work.groupby(kept, sort=False, observed=True)
            summary = grouped.agg(
                persons=("_one", "sum"),
                records=("records", "sum"),
                total=("_clipped", "sum"),
                matched=("matched", "sum"),
            )
            indices = grouped.indices
            hashes = work["_hash"].to_numpy()
            for group, row in summary.iterrows():
                values = group if isinstance(group, tuple) else (group,)
                lookup = dict(zip(kept, values, strict=True))
                key = tuple(lookup.get(c, ALL) for c in by)
                cells[key] = CellStats(
                    int(row["persons"]),
                    int(row["records"]),
                    float(row["total"]),
                    int(row["matched"]),
                )
                populations[key] = np.unique(hashes[indices[group]])
        else:
            key = (ALL,) * len(by)
            cells[key] = CellStats(
                len(work),
                int(work["records"].sum()),
                float(work["_clipped"].sum()),
                int(work["matched"].sum()),
            )
            populations[key] = np.unique(work["_hash"].to_numpy())
    query_population = np.unique(frame["_hash"].to_numpy())
    cube = Cube(tuple(by), axes, cells, query.margins)
    digest = hashlib.sha256()
    for key in sorted(cells):
        digest.update(json.dumps([key, attrs.astuple(cells[key])]).encode())
        digest.update(populations[key].tobytes())
    digest.update(query_population.tobytes())
    return CubeBuild(cube, populations, query_population, digest.hexdigest())


# --------------------------------------------------------------------------- the ledger


def default_ledger_path() -> Path:
    """``$CPD_LEDGER``, else ``$XDG_DATA_HOME/cpdcore/ledger.sqlite3`` (``~/.local/share``)."""
    if os.environ.get("CPD_LEDGER"):
        return Path(os.environ["CPD_LEDGER"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cpdcore" / "ledger.sqlite3"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY,
    requester TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    answered_at REAL NOT NULL,
    answer TEXT NOT NULL,
    epsilon REAL NOT NULL DEFAULT 0,
    UNIQUE (requester, fingerprint)
);
CREATE TABLE IF NOT EXISTS populations (
    answer_id INTEGER NOT NULL REFERENCES answers(id),
    requester TEXT NOT NULL,
    size INTEGER NOT NULL,
    members BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS populations_by_size ON populations (requester, size);
CREATE TABLE IF NOT EXISTS budgets (
    requester TEXT PRIMARY KEY,
    total REAL NOT NULL,
    spent REAL NOT NULL DEFAULT 0
);
"""


class SqliteQueryLedger:
    """The query ledger in a SQLite file: answers, populations and privacy budgets.

    Populations are stored as sorted keyed 64-bit hashes of person ids; the key lives in
    the same file, so the ledger can compare populations but holds no person id.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path)
        self._conn.executescript(_SCHEMA)
        self._conn.commit()

    def close(self) -> None:
        """Close the file."""
        self._conn.close()

    def person_key(self) -> bytes:
        """The secret key person ids are hashed with (created on first use)."""
        row = self._conn.execute("SELECT value FROM meta WHERE name = 'person_key'").fetchone()
        if row is not None:
            return bytes(row[0])
        key = secrets.token_bytes(32)
        self._conn.execute("INSERT INTO meta (name, value) VALUES ('person_key', ?)", (key,))
        self._conn.commit()
        return key

    def find_answer(self, requester: str, fingerprint: str) -> dict[str, Any] | None:
        """The stored answer to an identical earlier query, if there is one."""
        row = self._conn.execute(
            "SELECT answer FROM answers WHERE requester = ? AND fingerprint = ?",
            (requester, fingerprint),
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def check_populations(self, requester: str, populations: Iterable[Any], k: int) -> None:
        """Raise ``DisclosureRefused`` if a population nearly matches an earlier one."""
        np = _numpy()

        def symmetric_difference(population: Any, earlier: Any) -> int:
            return len(np.setxor1d(population, earlier, assume_unique=True))

        for population in populations:
            size = len(population)
            if size == 0:
                continue
            rows = self._conn.execute(
                "SELECT members FROM populations WHERE requester = ? AND size BETWEEN ? AND ?",
                (requester, size - k + 1, size + k - 1),
            )
            for (blob,) in rows:
                earlier = np.frombuffer(zlib.decompress(blob), dtype=np.uint64)
                check_near_match(population, earlier, k, symmetric_difference)

    def record(
        self,
        requester: str,
        fingerprint: str,
        answer: Mapping[str, Any],
        populations: Iterable[Any],
        *,
        epsilon: float = 0.0,
    ) -> None:
        """Store an answer and the populations it revealed, in one transaction."""
        with self._conn:
            cursor = self._conn.execute(
                "INSERT INTO answers (requester, fingerprint, answered_at, answer, epsilon) "
                "VALUES (?, ?, ?, ?, ?)",
                (requester, fingerprint, time.time(), json.dumps(answer), epsilon),
            )
            answer_id = cursor.lastrowid
            seen: set[bytes] = set()
            for population in populations:
                raw = population.astype("uint64").tobytes()
                if not len(population) or raw in seen:
                    continue
                seen.add(raw)
                self._conn.execute(
                    "INSERT INTO populations (answer_id, requester, size, members) "
                    "VALUES (?, ?, ?, ?)",
                    (answer_id, requester, len(population), zlib.compress(raw)),
                )
            if epsilon:
                self._conn.execute(
                    "UPDATE budgets SET spent = spent + ? WHERE requester = ?",
                    (epsilon, requester),
                )

    def budget(self, requester: str, default_total: float) -> tuple[float, float]:
        """``(spent, total)`` epsilon of the requester (created with ``default_total``)."""
        with self._conn:
            self._conn.execute(
                "INSERT OR IGNORE INTO budgets (requester, total, spent) VALUES (?, ?, 0)",
                (requester, default_total),
            )
        row = self._conn.execute(
            "SELECT spent, total FROM budgets WHERE requester = ?", (requester,)
        ).fetchone()
        return (float(row[0]), float(row[1]))

    def set_budget(self, requester: str, total: float) -> None:
        """Set the requester's total budget (an operator decision)."""
        with self._conn:
            self._conn.execute(
                "INSERT INTO budgets (requester, total, spent) VALUES (?, ?, 0) "
                "ON CONFLICT(requester) DO UPDATE SET total = excluded.total",
                (requester, total),
            )


# --------------------------------------------------------------------------- outputs


def _format_value(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and not math.isinf(value):
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def render_table(dims: Sequence[str], cells: Sequence[ProtectedCell], fmt: str) -> bytes:
    """The table as CSV (header: the grouping columns, ``value``, ``flag``) or JSON bytes."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([*dims, "value", "flag"])
        for cell in cells:
            writer.writerow([*cell.key, _format_value(cell.value), cell.flag])
        return buffer.getvalue().encode()
    if fmt == "json":
        rows = [
            {**dict(zip(dims, cell.key, strict=True)), "value": cell.value, "flag": cell.flag}
            for cell in cells
        ]
        return (
            json.dumps({"columns": [*dims, "value", "flag"], "rows": rows}, indent=1) + "\n"
        ).encode()
    raise ValidationError.single("--format", f"unknown format {fmt!r}; use csv, json or parquet")


def write_table(
    dims: Sequence[str], cells: Sequence[ProtectedCell], fmt: str, out: Path | None
) -> bytes | None:
    """Write the table to ``out`` (or return the bytes for stdout; Parquet needs a file)."""
    if fmt == "parquet":
        if out is None:
            raise ValidationError.single("--out", "Parquet output needs --out FILE")
        pa = require("pyarrow", "Parquet output")
        parquet = require("pyarrow.parquet", "Parquet output")
        columns: dict[str, Any] = {d: [c.key[i] for c in cells] for i, d in enumerate(dims)}
        columns["value"] = [None if c.value is None else float(c.value) for c in cells]
        columns["flag"] = [c.flag for c in cells]
        parquet.write_table(pa.table(columns), out)
        return None
    data = render_table(dims, cells, fmt)
    if out is None:
        return data
    out.write_bytes(data)
    return None


def manifest_path(out: Path | None, explicit: Path | None) -> Path:
    """Where the manifest goes: ``--manifest``, else ``OUT.manifest.json``, else the cwd."""
    if explicit is not None:
        return explicit
    if out is not None:
        return out.with_name(out.name + ".manifest.json")
    return Path("cpd-output.manifest.json")


def write_manifest(path: Path, manifest: Mapping[str, Any]) -> None:
    """Write the manifest (policy, parameters, suppression counts, software version)."""
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")


def check_readable_ledger(path: Path) -> None:
    """Fail early, with the path, when the ledger cannot be opened."""
    try:
        SqliteQueryLedger(path).close()
    except (OSError, sqlite3.Error) as exc:
        raise ConfigurationError(f"cannot open the query ledger {path}: {exc}") from None
