"""Benchmark: ``cpd aggregate`` on 1,000,000 records in PostgreSQL vs raw SQL + suppression.

Baseline (what a careful analyst would write by hand): one ``GROUP BY CUBE`` with
``COUNT(DISTINCT person_id)`` for the 2-way table with margins, then the same suppression
step cpdcore uses (primary rule, secondary suppression, LP audit).

cpdcore's path (what ``cpd aggregate --input postgresql://...?table=... --by school,rag
--margins`` runs): the per-person GROUP BY pushed down to PostgreSQL, the cube and the
populations built in pandas, suppression and audit, the differencing check against the
query ledger, the ledger write, the CSV output and the manifest.

Second section, the store (``cpd aggregate --db postgresql://... --kind cpd_activities
--by school_id,kind --margins``): 1,000,000 CPD activities written into the
cpdcore-sqlalchemy schema (a fresh PostgreSQL schema, migrated, rows made by the adapter's
own mapping and COPied into ``cpd_cpd_activities``). cpdcore's path is the facade use case:
``SqlStorage.person_cells`` (one GROUP BY per person over the promoted columns, trust
filter included), cube, suppression and audit, the differencing check against the query
ledger kept in the store, the ledger write, the audit entry, CSV and manifest. The
baseline is the same raw ``GROUP BY CUBE`` (with the trust filter) plus the same
suppression step.

Run: ``.venv/bin/python benchmarks/aggregation.py [table|store]`` (default both; needs
PostgreSQL at ``CPD_TEST_POSTGRES_URL`` or postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from cpdcore.aggregation_io import SqliteQueryLedger, SqlTableSource, write_manifest, write_table
from cpdcore.domain.aggregation import AggregateQuery, Cube, Measure, protect
from cpdcore.domain.aggregation.policies import parse_policy
from cpdcore.domain.aggregation.tables import ALL, CellStats
from cpdcore.services.aggregation import AggregationRequest, answer_query

URL = os.environ.get("CPD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TABLE = "cpd_bench_aggregation"
RECORDS = int(os.environ.get("CPD_BENCH_RECORDS", "1000000"))
PEOPLE = 100_000
SCHOOLS = 200
REPEATS = 3


def load(conn: psycopg.Connection) -> None:
    """Create the table and COPY one million person-records into it."""
    rng = np.random.default_rng(20260901)
    # school sizes vary a lot, so some cells are small and suppression has work to do
    weights = rng.pareto(1.2, SCHOOLS) + 0.02
    school_of_person = rng.choice(SCHOOLS, size=PEOPLE, p=weights / weights.sum())
    person = rng.integers(0, PEOPLE, size=RECORDS)
    rag = rng.choice(
        np.array(["RED", "AMBER", "GREEN", "BLUE"]), size=RECORDS, p=[0.1, 0.3, 0.5, 0.1]
    )
    hours = rng.integers(0, 20, size=RECORDS)
    buffer = io.StringIO()
    for p, r, h in zip(person, rag, hours, strict=True):
        buffer.write(f"p{p}\tS{school_of_person[p]:03d}\t{r}\t{h}\n")
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cur.execute(
            f"CREATE TABLE {TABLE} (person_id text NOT NULL, school text NOT NULL, "
            "rag text NOT NULL, hours integer NOT NULL)"
        )
        with cur.copy(f"COPY {TABLE} FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        cur.execute(f"ANALYZE {TABLE}")
    conn.commit()


def baseline(conn: psycopg.Connection, query: AggregateQuery) -> tuple[float, float, int]:
    """Raw SQL GROUP BY CUBE + the suppression step; returns (sql s, suppression s, cells)."""
    start = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT school, rag, COUNT(DISTINCT person_id) FROM {TABLE} "
            "GROUP BY CUBE (school, rag)"
        )
        rows = cur.fetchall()
    sql_done = time.perf_counter()
    cells = {(s or ALL, r or ALL): CellStats(int(n), int(n)) for s, r, n in rows}
    axes = tuple(tuple(sorted({k[i] for k in cells if k[i] != ALL})) for i in range(2))
    cube = Cube(("school", "rag"), axes, cells, margins=True)
    table = protect(cube, parse_policy("ons-10-5"), Measure())
    assert table.passed
    return sql_done - start, time.perf_counter() - sql_done, len(table.cells)


def cpdcore_path(query: AggregateQuery, workdir: Path, run: int) -> tuple[float, int]:
    """Everything ``cpd aggregate`` does for a SQL table input, in process."""
    start = time.perf_counter()
    partials = SqlTableSource(f"{URL}?table={TABLE}").person_cells(query)
    ledger = SqliteQueryLedger(workdir / f"ledger-{run}.sqlite3")
    request = AggregationRequest(query, parse_policy("ons-10-5"), "benchmark")
    answer = answer_query(partials, request, ledger)
    ledger.close()
    out = workdir / f"table-{run}.csv"
    write_table(answer.dims, answer.cells, "csv", out)
    write_manifest(out.with_name(out.name + ".manifest.json"), answer.manifest)
    return time.perf_counter() - start, len(answer.cells)


def cli_once(workdir: Path) -> float:
    """The real command line in a fresh process (includes interpreter start-up)."""
    env = {**os.environ, "CPD_LEDGER": str(workdir / "cli-ledger.sqlite3")}
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable, "-c", "from cpdcore.cli import main; main()", "aggregate",
            "--input", f"{URL}?table={TABLE}", "--by", "school,rag", "--margins",
            "--out", str(workdir / "cli.csv"), "--requester", "benchmark-cli",
        ],
        check=True, env=env, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    """Run the sections asked for on the command line (default: both)."""
    sections = sys.argv[1:] or ["table", "store"]
    if "table" in sections:
        table_section()
    if "store" in sections:
        store_section()


def table_section() -> None:
    """Load, time both paths REPEATS times, print the medians and the ratio."""
    query = AggregateQuery(by=("school", "rag"), margins=True)
    with psycopg.connect(URL) as conn:
        started = time.perf_counter()
        load(conn)
        print(
            f"loaded {RECORDS:,} records ({PEOPLE:,} people, {SCHOOLS} schools) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        base_sql, base_supp, ours = [], [], []
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            for run in range(REPEATS):
                sql_s, supp_s, cells = baseline(conn, query)
                base_sql.append(sql_s)
                base_supp.append(supp_s)
                ours_s, our_cells = cpdcore_path(query, workdir, run)
                ours.append(ours_s)
                assert cells == our_cells
            cli_s = cli_once(workdir)
        with conn.cursor() as cur:
            cur.execute(f"DROP TABLE {TABLE}")
        conn.commit()
    base = [a + b for a, b in zip(base_sql, base_supp, strict=True)]
    b, o = statistics.median(base), statistics.median(ours)
    print(f"cells in the table (2-way with margins): {cells}")
    print(
        f"baseline: raw SQL GROUP BY CUBE {statistics.median(base_sql):.3f} s + suppression "
        f"{statistics.median(base_supp):.3f} s = {b:.3f} s (median of {REPEATS})"
    )
    print(
        f"cpd aggregate path (push-down, cube, suppression, ledger, CSV, manifest): "
        f"{o:.3f} s (median of {REPEATS})"
    )
    print(f"ratio cpdcore / baseline: {o / b:.2f} (target <= 1.5)")
    print(
        f"the full `cpd aggregate` command in a fresh process: {cli_s:.3f} s "
        f"(includes interpreter and import start-up)"
    )


# --------------------------------------------------------------------------- the store

STORE_TRUST = "bench-trust"
ACTIVITIES_BY = ("school_id", "kind")


def _store_url(schema_name: str) -> str:
    """The benchmark URL with its search_path on ``schema_name`` (psycopg ``options``)."""
    joiner = "&" if "?" in URL else "?"
    return f"{URL}{joiner}options=-csearch_path%3D{schema_name}"


def load_store(conn: psycopg.Connection, schema_name: str) -> None:
    """Create and migrate a schema; COPY 1,000,000 activities made by the adapter's mapping."""
    from cpdcore_sqlalchemy import schema as sql_schema
    from cpdcore_sqlalchemy.tables import KINDS

    from cpdcore.domain.cpd_activities import CpdActivity, CpdKind
    from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
    from cpdcore.domain.organisation import Trust

    with conn.cursor() as cur:
        cur.execute(f'CREATE SCHEMA "{schema_name}"')
    conn.commit()
    engine = sql_schema.make_engine(_store_url(schema_name))
    sql_schema.upgrade(engine)
    engine.dispose()
    rng = np.random.default_rng(20260902)
    weights = rng.pareto(1.2, SCHOOLS) + 0.02
    school_of_person = rng.choice(SCHOOLS, size=PEOPLE, p=weights / weights.sum())
    person = rng.integers(0, PEOPLE, size=RECORDS)
    kinds = list(CpdKind)
    kind = rng.choice(len(kinds), size=RECORDS, p=[0.25, 0.2, 0.05, 0.2, 0.15, 0.1, 0.05])
    hours = rng.integers(1, 13, size=RECORDS)
    day = rng.integers(0, 300, size=RECORDS)
    activities = KINDS.of(CpdActivity)
    columns = [c.name for c in activities.table.columns]
    trust = TrustId(STORE_TRUST)
    start = date(2026, 9, 1)
    with conn.cursor() as cur:
        cur.execute(f'SET search_path TO "{schema_name}"')
        names = ", ".join(columns)
        with cur.copy(f"COPY {activities.table.name} ({names}) FROM STDIN") as copy:
            for i in range(RECORDS):
                record = CpdActivity(
                    id=f"a{i}",
                    trust_id=trust,
                    school_id=SchoolId(f"S{school_of_person[person[i]]:03d}"),
                    staff_id=StaffId(f"p{person[i]}"),
                    kind=kinds[kind[i]],
                    title="Course",
                    started_on=start + timedelta(days=int(day[i])),
                    hours=Decimal(int(hours[i])) / 2,
                    version=1,
                )
                row = activities.to_row(record)
                copy.write_row([row[c] for c in columns])
        trust_row = KINDS.of(Trust).to_row(Trust(id=trust, name="Benchmark Trust", version=1))
        cur.execute(
            "INSERT INTO cpd_trusts (trust_id, id, school_id, version, body) "
            "VALUES (%s, %s, %s, %s, %s)",
            [trust_row[c] for c in ("trust_id", "id", "school_id", "version", "body")],
        )
        cur.execute(f"ANALYZE {activities.table.name}")
    conn.commit()


def store_baseline(conn: psycopg.Connection, schema_name: str) -> tuple[float, float, int]:
    """Raw GROUP BY CUBE on the store's table (trust filter) + the suppression step."""
    start = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute(f'SET search_path TO "{schema_name}"')
        cur.execute(
            "SELECT school_id, kind, COUNT(DISTINCT staff_id) FROM cpd_cpd_activities "
            "WHERE trust_id = %s GROUP BY CUBE (school_id, kind)",
            [STORE_TRUST],
        )
        rows = cur.fetchall()
    conn.rollback()
    sql_done = time.perf_counter()
    cells = {(s or ALL, k or ALL): CellStats(int(n), int(n)) for s, k, n in rows}
    axes = tuple(tuple(sorted({k[i] for k in cells if k[i] != ALL})) for i in range(2))
    cube = Cube(ACTIVITIES_BY, axes, cells, margins=True)
    table = protect(cube, parse_policy("ons-10-5"), Measure())
    assert table.passed
    return sql_done - start, time.perf_counter() - sql_done, len(table.cells)


def store_path(cpd: Any, query: AggregateQuery, workdir: Path, run: int) -> tuple[float, int]:
    """What ``cpd aggregate --db URL --kind cpd_activities`` does, in process."""
    from cpdcore import Actor, Role, RoleAssignment
    from cpdcore.domain.identifiers import StaffId, TrustId

    # a new researcher each run, so every run answers afresh instead of replaying
    researcher = Actor(
        trust_id=TrustId(STORE_TRUST),
        staff_id=StaffId(f"researcher-{run}"),
        roles=(RoleAssignment(Role.RESEARCHER),),
    )
    start = time.perf_counter()
    request = AggregationRequest(query, parse_policy("ons-10-5"), "benchmark")
    answer = cpd.as_actor(researcher).aggregate("cpd_activities", request)
    out = workdir / f"store-{run}.csv"
    write_table(answer.dims, answer.cells, "csv", out)
    write_manifest(out.with_name(out.name + ".manifest.json"), answer.manifest)
    return time.perf_counter() - start, len(answer.cells)


def store_section() -> None:
    """Load the store, time both paths REPEATS times, print the medians and the ratio."""
    from cpdcore import Cpd

    schema_name = f"cpd_bench_{os.getpid()}"
    query = AggregateQuery(by=ACTIVITIES_BY, margins=True)
    with psycopg.connect(URL) as conn:
        started = time.perf_counter()
        load_store(conn, schema_name)
        print(
            f"store: {RECORDS:,} CPD activities ({PEOPLE:,} people, {SCHOOLS} schools) "
            f"written into the cpdcore-sqlalchemy schema in {time.perf_counter() - started:.1f} s"
        )
        try:
            base_sql, base_supp, ours = [], [], []
            with tempfile.TemporaryDirectory() as tmp, Cpd.open(_store_url(schema_name)) as cpd:
                workdir = Path(tmp)
                for run in range(REPEATS):
                    sql_s, supp_s, cells = store_baseline(conn, schema_name)
                    base_sql.append(sql_s)
                    base_supp.append(supp_s)
                    ours_s, our_cells = store_path(cpd, query, workdir, run)
                    ours.append(ours_s)
                    assert cells == our_cells
        finally:
            with conn.cursor() as cur:
                cur.execute(f'DROP SCHEMA "{schema_name}" CASCADE')
            conn.commit()
    base = [a + b for a, b in zip(base_sql, base_supp, strict=True)]
    b, o = statistics.median(base), statistics.median(ours)
    print(f"store: cells in the table (school x kind with margins): {cells}")
    print(
        f"store baseline: raw SQL GROUP BY CUBE {statistics.median(base_sql):.3f} s + "
        f"suppression {statistics.median(base_supp):.3f} s = {b:.3f} s (median of {REPEATS})"
    )
    print(
        "store: cpd aggregate --db path (person_cells push-down, cube, suppression, ledger "
        f"in the store, audit, CSV, manifest): {o:.3f} s (median of {REPEATS})"
    )
    print(f"store: ratio cpdcore / baseline: {o / b:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
