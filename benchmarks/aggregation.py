"""Benchmark: ``cpd aggregate`` on 1,000,000 records in PostgreSQL vs raw SQL + suppression.

Baseline (what a careful analyst would write by hand): one ``GROUP BY CUBE`` with
``COUNT(DISTINCT person_id)`` for the 2-way table with margins, then the same suppression
step cpdcore uses (primary rule, secondary suppression, LP audit).

cpdcore's path (what ``cpd aggregate --input postgresql://...?table=... --by school,rag
--margins`` runs): the per-person GROUP BY pushed down to PostgreSQL, the cube and the
populations built in pandas, suppression and audit, the differencing check against the
query ledger, the ledger write, the CSV output and the manifest.

Run: ``.venv/bin/python benchmarks/aggregation.py`` (needs PostgreSQL at
``CPD_TEST_POSTGRES_URL`` or postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psycopg

from cpdcore.aggregation_io import SqliteQueryLedger, SqlTableSource, write_manifest, write_table
from cpdcore.domain.aggregation import AggregateQuery, Cube, Measure, protect
from cpdcore.domain.aggregation.policies import parse_policy
from cpdcore.domain.aggregation.tables import ALL, CellStats
from cpdcore.services.aggregation import AggregationRequest, answer_query

URL = os.environ.get("CPD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TABLE = "cpd_bench_aggregation"
RECORDS = 1_000_000
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


if __name__ == "__main__":
    main()
