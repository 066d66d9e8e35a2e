"""``cpd aggregate --db URL``: RAG statuses and stored kinds, ledgered in the store itself."""

from __future__ import annotations

import csv
import importlib.util
import io
import random
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cpdcore import Cpd, Role, RoleAssignment
from cpdcore.domain.actors import Actor
from cpdcore.domain.cpd_activities import CpdActivity, CpdKind
from cpdcore.domain.identifiers import StaffId
from cpdcore.domain.organisation import StaffMember

HERE = Path(__file__).resolve().parent


def _world_module() -> ModuleType:
    """The RAG world of the unit tests (80 teachers, two schools, two departments)."""
    path = HERE.parent / "unit" / "test_rag_aggregation.py"
    spec = importlib.util.spec_from_file_location("rag_world_for_cli", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    world = _world_module()
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'cpd.db'}"
    with Cpd.open(url) as cpd:
        admin = cpd.as_actor(Actor.system(world.T))
        admin.set_up_trust("Trust")
        for school in world.SCHOOLS:
            admin.add_school(str(school), school_id=school)
        with cpd.storage.unit_of_work() as uow:
            for record in world._world(random.Random(11)):
                uow.repository(type(record)).add(record)
            activities: Any = uow.repository(CpdActivity)  # the SQL store's bulk insert
            activities.add_many(
                CpdActivity(
                    id=f"a{p}-{n}",
                    trust_id=world.T,
                    school_id=world.SCHOOLS[p % 2],
                    staff_id=StaffId(f"p{p}"),
                    kind=CpdKind.COURSE if n == 0 else CpdKind.INSET,
                    title="Course",
                    started_on=date(2026, 10, 1 + n),
                    hours=Decimal(3 + n),
                )
                for p in range(world.PEOPLE)
                for n in range(2)
            )
            uow.repository(StaffMember).add(
                StaffMember(
                    id=StaffId("res"),
                    trust_id=world.T,
                    given_name="Rita",
                    family_name="Search",
                    roles=(RoleAssignment(Role.RESEARCHER),),
                )
            )
            uow.commit()
    return url


def cpd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from cpdcore.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def _answers(url: str) -> int:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM cpd_ledger_answers").fetchone()[0])


def test_rag_by_school_from_the_store_is_ledgered_in_the_store(
    store_url: str, tmp_path: Path
) -> None:
    before = _answers(store_url)
    done = cpd(
        "aggregate", "--db", store_url, "--as", "res", "--kind", "rag", "--as-of", "2027-02-10",
        "--by", "school_id,rag", "--margins", "--policy", "k:5",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == ["school_id", "rag", "value", "flag"]
    total = next(r for r in rows if r["school_id"] == "All" and r["rag"] == "All")
    assert total["value"] == "80"
    assert {r["school_id"] for r in rows} == {"north", "south", "All"}
    assert (tmp_path / "cpd-output.manifest.json").exists()
    assert _answers(store_url) == before + 1


def test_stored_kinds_and_the_store_ledger_across_processes(store_url: str, tmp_path: Path) -> None:
    done = cpd(
        "aggregate", "--db", store_url, "--as", "res", "--kind", "objectives",
        "--by", "status", "--measure", "records", "--policy", "k:5",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "in_progress,160," in done.stdout
    # by category, north's teaching-practice people are north minus p0 (the one leadership
    # teacher): the ledger in the store remembers the earlier table of this requester
    schools = cpd(
        "aggregate", "--db", store_url, "--as", "res", "--kind", "objectives",
        "--by", "school_id", "--policy", "k:5",
        cwd=tmp_path,
    )  # fmt: skip
    assert schools.returncode == 0, schools.stderr
    tracker = cpd(
        "aggregate", "--db", store_url, "--as", "res", "--kind", "objectives",
        "--by", "school_id,category", "--policy", "k:5",
        cwd=tmp_path,
    )  # fmt: skip
    assert tracker.returncode == 3
    assert "refused" in tracker.stderr
    assert not any(ch.isdigit() for ch in tracker.stderr)
    bad = cpd(
        "aggregate", "--db", store_url, "--as", "res", "--kind", "objectives", "--by", "title",
        cwd=tmp_path,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "promoted columns: school_id, cycle_id, appraisee_id, status, category" in bad.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--kind", "rag", "--as-of", "10/02/2027"], "'10/02/2027' is not a date"),
        (["--kind", "staff", "--as-of", "2027-02-10"], "is for --db URL --kind rag only"),
    ],
)
def test_as_of_is_checked(store_url: str, tmp_path: Path, extra: list[str], message: str) -> None:
    done = cpd(
        "aggregate", "--db", store_url, "--as", "res", "--by", "school_id", *extra, cwd=tmp_path
    )
    assert done.returncode == 1
    assert message in done.stderr


def test_hours_by_school_and_kind(store_url: str, tmp_path: Path) -> None:
    done = cpd(
        "aggregate", "--db", store_url, "--as", "t:res", "--kind", "cpd_activities",
        "--by", "school_id,kind", "--measure", "sum:hours", "--policy", "k:5",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = {
        (r["school_id"], r["kind"]): r["value"] for r in csv.DictReader(io.StringIO(done.stdout))
    }
    assert rows == {
        ("north", "course"): "120",
        ("north", "inset"): "160",
        ("south", "course"): "120",
        ("south", "inset"): "160",
    }


def test_the_how_to_example_runs(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    page = HERE.parents[1] / "docs/how-to/aggregate-from-the-store.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    shutil.copy(store_url.removeprefix("sqlite:///"), tmp_path / "cpd.db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CPD_LEDGER", str(tmp_path / "ledger.sqlite3"))
    # the page's trust is "trust-1"; this store's is "t"
    exec(compile(blocks[0].replace('"trust-1"', '"t"'), str(page), "exec"), {})
    printed = capsys.readouterr().out
    assert "('All', 'All') 80" in printed
