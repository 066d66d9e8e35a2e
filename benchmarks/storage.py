"""Benchmark: cpdcore-sqlalchemy on SQLite and PostgreSQL.

1. **Bulk insert**: 100,000 progress updates through ``SqlRepository.add_many`` (records
   serialised to JSON, promoted columns derived, one ``executemany``/insertmanyvalues) in
   one unit of work. Baseline, measured in the same run on the same table: the same rows,
   already serialised, inserted with the raw driver's ``executemany`` (``sqlite3`` /
   ``psycopg``) — the database's own cost, without cpdcore. Reported as inserts/s and the
   ratio adapter / raw.
2. **Review pack latency**: the demo's trust (examples/demo.py) taken to the mid-year
   review, plus 10,000 more staff with two objectives each and the 100,000 progress
   updates above; then ``review_pack_json`` for one appraisee (Amira), median and 95th
   percentile of 30 runs.

Run: ``.venv/bin/python benchmarks/storage.py``. PostgreSQL comes from
``CPD_TEST_POSTGRES_URL`` (default postgresql://postgres@127.0.0.1:5432/test; a scratch
schema is created and dropped); it is skipped with a note when unreachable.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from cpdcore_sqlalchemy import KINDS, SqlStorage
from cpdcore_sqlalchemy.urls import engine_url

from cpdcore import Actor, Cpd
from cpdcore.clocks import FixedClock
from cpdcore.domain.identifiers import CycleId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import Objective, ObjectiveCategory, ObjectiveTerms
from cpdcore.domain.organisation import Role, RoleAssignment, StaffMember
from cpdcore.domain.progress import ProgressUpdate
from cpdcore.testing.plugin import database_available

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("CPD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
UPDATES = 100_000
EXTRA_STAFF = 10_000
PACK_RUNS = 30


def load_demo() -> ModuleType:
    """examples/demo.py as a module (its trust and cycle are the benchmark's base)."""
    spec = importlib.util.spec_from_file_location("cpd_demo", ROOT / "examples" / "demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def extra_staff(trust: TrustId, school: SchoolId) -> list[StaffMember]:
    """10,000 appraisees at one school."""
    return [
        StaffMember(
            id=StaffId(f"bench-{n:05d}"),
            trust_id=trust,
            given_name="Teacher",
            family_name=f"Number {n}",
            roles=(RoleAssignment(Role.APPRAISEE, school),),
        )
        for n in range(EXTRA_STAFF)
    ]


def objectives(trust: TrustId, school: SchoolId, cycle: CycleId) -> list[Objective]:
    """Two draft objectives for each extra member of staff."""
    terms = ObjectiveTerms(
        "Hinge questions in every lesson",
        ObjectiveCategory.TEACHING_PRACTICE,
        date(2026, 9, 1),
        date(2027, 7, 16),
    )
    return [
        Objective(
            id=ObjectiveId(f"bench-obj-{n:05d}-{k}"),
            trust_id=trust,
            school_id=school,
            cycle_id=cycle,
            appraisee_id=StaffId(f"bench-{n:05d}"),
            terms=terms,
        )
        for n in range(EXTRA_STAFF)
        for k in (1, 2)
    ]


def progress_updates(trust: TrustId, school: SchoolId, cycle: CycleId) -> list[ProgressUpdate]:
    """100,000 measurements spread over the extra staff's objectives."""
    at = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    return [
        ProgressUpdate(
            id=f"bench-pu-{n:06d}",
            trust_id=trust,
            school_id=school,
            cycle_id=cycle,
            objective_id=ObjectiveId(f"bench-obj-{n % EXTRA_STAFF:05d}-{1 + n % 2}"),
            appraisee_id=StaffId(f"bench-{n % EXTRA_STAFF:05d}"),
            criterion="c1",
            measured_on=date(2026, 10, 1) + timedelta(days=n % 60),
            value=Decimal(n % 100),
            recorded_by="bench",
            recorded_at=at,
            note="checked with mini whiteboards",
        )
        for n in range(UPDATES)
    ]


def raw_insert(store: SqlStorage, rows: list[dict[str, Any]]) -> float:
    """Seconds for the raw driver to executemany ``rows`` into the progress-update table."""
    table = KINDS.of(ProgressUpdate).table
    columns = list(rows[0])
    sqlite = store.engine.dialect.name == "sqlite"
    marks = ", ".join("?" if sqlite else "%s" for _ in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    values = [tuple(row[c] for c in columns) for row in rows]
    connection = store.engine.raw_connection()
    try:
        cursor = connection.cursor()
        started = time.perf_counter()
        cursor.executemany(sql, values)
        connection.commit()
        return time.perf_counter() - started
    finally:
        connection.close()


def run(label: str, url: str) -> None:
    """Both measurements on one store."""
    demo = load_demo()
    clock = FixedClock(datetime(2026, 9, 1, 8, 30, tzinfo=UTC))
    with Cpd.open(url, clock=clock) as app:
        store = app.storage
        assert isinstance(store, SqlStorage)
        admin = app.as_actor(Actor.system(demo.TRUST, "bench"))
        admin.set_up_trust("Riverside Learning Trust")
        admin.add_school("Northgate Academy", school_id=demo.NORTH)
        admin.add_school("Southbank Primary", school_id=demo.SOUTH)
        people = demo.build_people(admin)
        cycle = demo.run_cycle(app, clock, people)
        demo.monitor(app, clock, people, cycle)

        with store.unit_of_work() as uow:
            uow.repository(StaffMember).add_many(extra_staff(demo.TRUST, demo.NORTH))
            uow.repository(Objective).add_many(objectives(demo.TRUST, demo.NORTH, cycle))
            uow.commit()

        updates = progress_updates(demo.TRUST, demo.NORTH, cycle)
        started = time.perf_counter()
        with store.unit_of_work() as uow:
            uow.repository(ProgressUpdate).add_many(updates)
            uow.commit()
        adapter_seconds = time.perf_counter() - started

        kind = KINDS.of(ProgressUpdate)
        rows = [kind.to_row(u) for u in updates]
        with store.engine.begin() as connection:
            connection.execute(sa.delete(kind.table).where(kind.table.c.id.like("bench-pu-%")))
        raw_seconds = raw_insert(store, rows)

        adapter_rate = UPDATES / adapter_seconds
        raw_rate = UPDATES / raw_seconds
        print(f"[{label}] bulk insert of {UPDATES:,} progress updates")
        print(f"  cpdcore add_many:     {adapter_rate:>10,.0f} inserts/s ({adapter_seconds:.2f} s)")
        print(f"  raw executemany:      {raw_rate:>10,.0f} inserts/s ({raw_seconds:.2f} s)")
        print(f"  ratio adapter / raw:  {adapter_rate / raw_rate:.2f}")

        head = app.as_actor(Actor.for_staff(people["nhead"]))
        head.review_pack_json(StaffId("amira"), stage="mid_year")  # warm caches
        timings = []
        for _ in range(PACK_RUNS):
            started = time.perf_counter()
            pack = head.review_pack_json(StaffId("amira"), stage="mid_year")
            timings.append(time.perf_counter() - started)
        staff_total = store.count_by(demo.TRUST, "staff", [])[()]
        timings.sort()
        p95 = timings[int(0.95 * (len(timings) - 1))]
        print(
            f"[{label}] review pack of one appraisee ({len(pack['objectives'])} objectives) "
            f"from a store of {staff_total:,} staff, {2 * EXTRA_STAFF:,}+ objectives, "
            f"{UPDATES:,} progress updates"
        )
        print(
            f"  latency over {PACK_RUNS} runs: median {statistics.median(timings) * 1000:.1f} ms,"
            f" p95 {p95 * 1000:.1f} ms"
        )


def main() -> None:
    """SQLite in a temporary file, then PostgreSQL in a scratch schema."""
    with tempfile.TemporaryDirectory() as folder:
        run("sqlite", f"sqlite:///{Path(folder) / 'bench.db'}")
    if not database_available(POSTGRES):
        print(f"[postgresql] skipped: no server at {POSTGRES}")
        return
    name = f"cpd_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(engine_url(POSTGRES))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    try:
        url = sa.make_url(POSTGRES).update_query_dict({"options": f"-csearch_path={name}"})
        target = url.render_as_string(hide_password=False)
        # A server store is upgraded by the operator; here the benchmark is the operator.
        from cpdcore_sqlalchemy import schema

        engine = schema.make_engine(target)
        schema.upgrade(engine)
        engine.dispose()
        run("postgresql", target)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
