"""Benchmark: importing a OneRoster export of 200 schools and 100,000 staff.

Baseline (measured in the same run): one bare ``csv.DictReader`` pass over the same files,
reading every row and doing nothing with it. cpdcore's path is what ``cpd import oneroster``
runs: read and check every file (header, every field, every reference), then the import
use case (read the store once, compare in memory, write the differences in one unit of
work). A second import of the same export (a no-op) is timed too.

Targets (issue 10): at most 30 s and at most 20x the bare pass on SQLite.

Stores: ``memory://`` always; SQLite when cpdcore-sqlalchemy is installed; PostgreSQL when
it is installed and the server at ``CPD_TEST_POSTGRES_URL`` (default
postgresql://postgres@127.0.0.1:5432/test) answers. Each run imports into a fresh trust.

Run: ``.venv/bin/python benchmarks/oneroster_import.py [--staff N] [--schools N]``.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from cpdcore_oneroster.folder import OneRosterFolder

from cpdcore import Actor, Cpd, PluginNotFound
from cpdcore.domain.identifiers import TrustId

POSTGRES_URL = os.environ.get("CPD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
GIVEN = ["Siobhán", "Zoë", "José", "Ama", "Gareth", "Harriet", "Ngozi", "Priya", "Tom", "Émile"]
FAMILY = ["O'Neill", "Brontë", "Núñez", "Mensah", "Price", "D'Arcy", "Adeyemi", "Shah", "Bell"]
ROLES = ["teacher"] * 8 + ["aide", "counselor"]


def generate(folder: Path, schools: int, staff: int, trust: str) -> None:
    """Write a bulk export: a district, its schools, staff with one or two school roles."""
    rng = random.Random(20260901)
    files: dict[str, Sequence[tuple[str, ...]]] = {
        "manifest.csv": [
            ("propertyName", "value"),
            ("manifest.version", "1.0"),
            ("oneroster.version", "1.2"),
            ("file.orgs", "bulk"),
            ("file.users", "bulk"),
            ("file.roles", "bulk"),
            ("file.academicSessions", "absent"),
            ("file.classes", "absent"),
            ("file.courses", "absent"),
            ("file.enrollments", "absent"),
        ],
    }
    orgs = [
        (
            "sourcedId",
            "status",
            "dateLastModified",
            "name",
            "type",
            "identifier",
            "parentSourcedId",
        ),
        (trust, "", "", "Benchmark Learning Trust", "district", "", ""),
    ]
    orgs += [
        (f"sch-{i:03d}", "", "", f"School {i}, Town {i % 17}", "school", f"URN{i}", trust)
        for i in range(schools)
    ]
    files["orgs.csv"] = orgs
    users = [
        (
            "sourcedId",
            "status",
            "dateLastModified",
            "enabledUser",
            "username",
            "givenName",
            "familyName",
            "email",
            "metadata.uk.upn",
        )
    ]
    roles = [
        (
            "sourcedId",
            "status",
            "dateLastModified",
            "userSourcedId",
            "roleType",
            "role",
            "beginDate",
            "endDate",
            "orgSourcedId",
        )
    ]
    for n in range(staff):
        sid = f"u{n:06d}"
        enabled = "false" if n % 97 == 0 else "true"
        users.append(
            (
                sid,
                "",
                "",
                enabled,
                f"user{n}",
                rng.choice(GIVEN),
                rng.choice(FAMILY),
                f"{sid}@bench.example",
                "",
            )
        )
        school = rng.randrange(schools)
        role = "principal" if n < schools else rng.choice(ROLES)
        school = n if n < schools else school
        roles.append((f"r{n}a", "", "", sid, "primary", role, "", "", f"sch-{school:03d}"))
        if n % 20 == 0:  # one in twenty works at a second school
            other = (school + 1) % schools
            roles.append(
                (f"r{n}b", "", "", sid, "secondary", "teacher", "", "", f"sch-{other:03d}")
            )
    files["users.csv"] = users
    files["roles.csv"] = roles
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\r\n").writerows(rows)


def bare_pass(folder: Path) -> float:
    """Seconds for one csv.DictReader pass over every file (the baseline)."""
    start = time.perf_counter()
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for _row in csv.DictReader(handle):
                pass
    return time.perf_counter() - start


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (the CPUs may be shared), where Linux tells."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            return True
    except OSError:
        return False


def ensure_schema(url: str) -> None:
    """Create or migrate cpdcore's tables in a server database (``cpd db upgrade``)."""
    result = subprocess.run(
        [sys.executable, "-m", "cpdcore.cli", "db", "upgrade", "--db", url],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        raise SystemExit(f"cpd db upgrade failed for {url}: {result.stderr.strip()}")


def remove_trust(url: str, trust: str) -> None:
    """Delete the benchmark's trust from a shared PostgreSQL test database afterwards."""
    import psycopg

    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE column_name = 'trust_id' "
            "AND table_schema = current_schema() AND table_name LIKE 'cpd%%'"
        ).fetchall()
        for (table,) in tables:
            conn.execute(f'DELETE FROM "{table}" WHERE trust_id = %s', (trust,))


def timed_import(url: str, folder: Path, trust: str) -> tuple[float, float, float, int]:
    """(check seconds, import seconds, re-import seconds, staff created) into ``url``."""
    if url.startswith("postgresql"):
        ensure_schema(url)
    with Cpd.open(url) as cpd:
        admin = cpd.as_actor(Actor.system(TrustId(trust), "MIS import"))
        source = OneRosterFolder(folder)
        start = time.perf_counter()
        source.load()
        checked = time.perf_counter()
        summary = admin.import_roster(source)
        imported = time.perf_counter()
        again = admin.import_roster(OneRosterFolder(folder))
        repeated = time.perf_counter()
        assert not again.changed, "a re-import must change nothing"
        from cpdcore.domain.roster import MisDataset

        created = summary.of(MisDataset.STAFF).created
    return checked - start, imported - checked, repeated - imported, created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=100_000)
    parser.add_argument("--schools", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        stores: list[tuple[str, str]] = [("memory", "memory://")]
        try:
            Cpd.open(f"sqlite:///{work / 'probe.db'}").close()
            stores.append(("SQLite", f"sqlite:///{work / 'bench.db'}"))
        except PluginNotFound:
            print("cpdcore-sqlalchemy is not installed: SQLite and PostgreSQL are not measured")
        else:
            if reachable(POSTGRES_URL):
                stores.append(("PostgreSQL", POSTGRES_URL))
            else:
                print(f"PostgreSQL is not reachable at {POSTGRES_URL}: not measured")
        print(f"export: {args.schools} schools, {args.staff:,} staff (bulk, CRLF, UTF-8)")
        print(f"load average before: {load_average()}")
        for name, url in stores:
            trust = f"bench-{uuid.uuid4().hex[:8]}"
            folder = work / f"export-{trust}"
            generate(folder, args.schools, args.staff, trust)
            baseline = min(bare_pass(folder) for _ in range(3))
            try:
                check, load, again, created = timed_import(url, folder, trust)
            finally:
                if url.startswith("postgresql"):
                    remove_trust(url, trust)
            total = check + load
            print(
                f"{name:>10}: read+check {check:6.2f} s, import {load:6.2f} s, "
                f"total {total:6.2f} s = {total / baseline:5.1f}x the bare DictReader pass "
                f"({baseline:.2f} s); re-import (no-op) {again:6.2f} s; {created:,} staff created"
            )
            if name == "SQLite":
                verdict = "met" if total <= 30 and total / baseline <= 20 else "MISSED"
                print(f"{'':>10}  target <= 30 s and <= 20x on SQLite: {verdict}")
        print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
