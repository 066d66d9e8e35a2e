"""The adapter as hosts and operators meet it: ``Cpd.open`` on a URL and ``cpd db``."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from cpdcore_sqlalchemy import SqlStorage, schema
from cpdcore_sqlalchemy.store_copy import table_fingerprint
from cpdcore_sqlalchemy.tables import metadata
from typer.testing import CliRunner, Result

from cpdcore import Actor, ConfigurationError, Cpd
from cpdcore.cli import build_app
from cpdcore.clocks import FixedClock
from cpdcore.domain.identifiers import StaffId, TrustId

ROOT = Path(__file__).resolve().parents[3]
CPD = [sys.executable, "-m", "cpdcore.cli"]


def cpd_process(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``cpd`` console program."""
    return subprocess.run([*CPD, *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def cli() -> Any:
    """The ``cpd`` application with every installed plugin's commands, in process."""
    return build_app()


def cpd(app: Any, *args: str) -> Result:
    """Run ``cpd ARGS`` in process (much faster than a new interpreter per command)."""
    return CliRunner().invoke(app, list(args))


def _demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cpd_demo_for_tests", ROOT / "examples/demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_demo_cycle(url: str) -> dict[str, Any]:
    """The demo's trust, cycle and monitoring on ``url``; returns Amira's review pack."""
    demo = _demo()
    clock = FixedClock(datetime(2026, 9, 1, 8, 30, tzinfo=UTC))
    with Cpd.open(url, clock=clock) as app:
        admin = app.as_actor(Actor.system(demo.TRUST, "set-up"))
        admin.set_up_trust("Riverside Learning Trust")
        admin.add_school("Northgate Academy", school_id=demo.NORTH)
        admin.add_school("Southbank Primary", school_id=demo.SOUTH)
        people = demo.build_people(admin)
        cycle_id = demo.run_cycle(app, clock, people)
        demo.monitor(app, clock, people, cycle_id)
        head = app.as_actor(Actor.for_staff(people["nhead"]))
        pack: dict[str, Any] = head.review_pack_json(StaffId("amira"), stage="mid_year")
        assert app.verify_audit(demo.TRUST) == []
        return pack


def _comparable(value: Any) -> Any:
    """``value`` with random ids blanked and lists sorted (their order follows those ids)."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_comparable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{32}", value):
        return "<random id>"
    return value


@pytest.fixture(scope="module")
def memory_pack() -> dict[str, Any]:
    return _run_demo_cycle("memory://")


def test_the_demo_cycle_gives_the_same_review_pack_as_the_memory_store(
    store_url: str, memory_pack: dict[str, Any]
) -> None:
    try:
        assert _comparable(_run_demo_cycle(store_url)) == _comparable(memory_pack)
    finally:
        store = SqlStorage(store_url)
        with store.engine.begin() as connection:
            for table in reversed(metadata.sorted_tables):
                connection.execute(sa.delete(table))
        store.close()


def test_cpd_open_on_a_new_sqlite_file_needs_no_setup_and_reopens(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'school.db'}"
    with Cpd.open(url) as app:
        assert isinstance(app.storage, SqlStorage)
        app.as_actor(Actor.system(TrustId("t1"), "set-up")).set_up_trust("One")
    with Cpd.open(url) as app:
        assert app.storage.tenants() == ["t1"]
        assert app.verify_audit(TrustId("t1")) == []


def test_cpd_db_commands_upgrade_downgrade_and_report(tmp_path: Path, cli: Any) -> None:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    head = schema.head_revision()
    done = cpd_process("db", "upgrade", "--db", url)  # the real console program once
    assert done.returncode == 0, done.stderr
    assert f"schema at {head}" in done.stdout
    assert f"current: {head}" in cpd(cli, "db", "current", "--db", url).output
    down = cpd(cli, "db", "downgrade", "--db", url, "--revision", "base")
    assert down.exit_code == 0, down.output
    assert "base" in down.output
    assert "current: none" in cpd(cli, "db", "current", "--db", url).output


def _fingerprints(url: str, trusts: list[TrustId] | None = None) -> dict[str, tuple[int, str]]:
    engine = schema.make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                t.name: table_fingerprint(connection, t, trusts) for t in metadata.sorted_tables
            }
    finally:
        engine.dispose()


def _seed_two_trusts(url: str) -> None:
    clock = FixedClock(datetime(2026, 9, 1, 8, 30, tzinfo=UTC))
    with Cpd.open(url, clock=clock) as app:
        for trust in ("north", "south"):
            admin = app.as_actor(Actor.system(TrustId(trust), "set-up"))
            admin.set_up_trust(f"{trust.title()} Trust")
            admin.add_school("Hill School")
            for n in range(5):
                admin.add_staff("Zoë", f"Ó Briain {n}", staff_id=StaffId(f"{trust}-{n}"))


@pytest.mark.parametrize("engine", ["postgresql", "mariadb"])
def test_cpd_db_copy_moves_sqlite_to_a_server_verified(
    tmp_path: Path, engine: str, request: pytest.FixtureRequest, cli: Any
) -> None:
    source = f"sqlite:///{tmp_path / 'embedded.db'}"
    store: SqlStorage = request.getfixturevalue(
        "pg_store" if engine == "postgresql" else "maria_store"
    )
    target = store.url
    _seed_two_trusts(source)
    copied = cpd(cli, "db", "copy", "--from", source, "--to", target, "--trust", "south")
    assert copied.exit_code == 0, copied.output
    assert "row counts and checksums match" in copied.output
    south = [TrustId("south")]
    assert _fingerprints(target) == _fingerprints(source, south)
    assert _fingerprints(target)["cpd_staff"][0] == 5
    with Cpd.open(target) as app:
        assert app.storage.tenants() == ["south"]
        assert app.verify_audit(TrustId("south")) == []
    again = cpd(cli, "db", "copy", "--from", source, "--to", target, "--trust", "south")
    assert again.exit_code != 0
    assert "already holds" in str(again.exception)
    rest = cpd(cli, "db", "copy", "--from", source, "--to", target, "--trust", "north")
    assert rest.exit_code == 0, rest.output
    assert _fingerprints(target) == _fingerprints(source)


def test_rag_policies_are_stored_on_sqlite(tmp_path: Path) -> None:
    """A school's RAG policy round-trips through the SQL store (migration 0004)."""
    from cpdcore import Actor, Cpd, Role, RoleAssignment
    from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId

    url = f"sqlite:///{tmp_path / 'rag.db'}"
    with Cpd.open(url) as cpd:
        admin = cpd.as_actor(Actor.system(TrustId("t"), "set-up"))
        admin.set_up_trust("Trust")
        admin.add_school("North", school_id=SchoolId("north"))
        head = admin.add_staff(
            "Grace",
            "Okafor",
            staff_id=StaffId("head"),
            roles=[RoleAssignment(Role.SCHOOL_LEADER, SchoolId("north"))],
        )
        leader = cpd.as_actor(Actor.for_staff(head))
        leader.set_rag_policy({"green_margin": "0.05"}, school_id=SchoolId("north"))
    with Cpd.open(url) as cpd:
        leader = cpd.as_actor(Actor.for_staff(head))
        assert str(leader.rag_policy(school_id=SchoolId("north")).green_margin) == "0.05"


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_cpd_db_copy_without_trust_copies_every_trust_into_an_empty_store(
    tmp_path: Path, engine: str, request: pytest.FixtureRequest, cli: Any
) -> None:
    source = f"sqlite:///{tmp_path / 'embedded.db'}"
    if engine == "sqlite":
        target = f"sqlite:///{tmp_path / 'new.db'}"  # does not exist yet: created, migrated
    else:
        target = request.getfixturevalue("pg_store").url
    _seed_two_trusts(source)
    copied = cpd(cli, "db", "copy", "--from", source, "--to", target)
    assert copied.exit_code == 0, copied.output
    assert "row counts and checksums match" in copied.output
    assert _fingerprints(target) == _fingerprints(source)
    assert _fingerprints(target)["cpd_staff"][0] == 10
    with Cpd.open(target) as app:
        assert app.storage.tenants() == ["north", "south"]
    again = cpd(cli, "db", "copy", "--from", source, "--to", target)
    assert again.exit_code != 0
    assert re.search(r"already holds \d+ rows in cpd_\w+; copy every trust", str(again.exception))


def test_cpd_db_copy_from_a_missing_file_creates_nothing(tmp_path: Path, cli: Any) -> None:
    source = tmp_path / "typo.db"
    copied = cpd(cli, "db", "copy", "--from", f"sqlite:///{source}", "--to", "sqlite:///x.db")
    assert copied.exit_code != 0
    assert "typo.db, which does not exist" in str(copied.exception)
    assert not source.exists()


def test_a_file_that_is_not_a_database_is_a_configuration_error(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text("<!doctype html><html><body>not a store</body></html>\n", encoding="utf-8")
    url = f"sqlite:///{page}"
    with Cpd.open(url) as app, pytest.raises(ConfigurationError) as caught:
        app.storage.tenants()
    message = str(caught.value)
    assert f"cannot open the store {url}: file is not a database" in message
    assert "accepted: a SQLite file made by cpdcore" in message
    listed = cpd_process("staff", "list", "--db", url, "--as", "someone")
    assert listed.returncode == 2
    assert listed.stderr.startswith("cpd: error: cannot open the store")
    assert len(listed.stderr.strip().splitlines()) == 1
    assert "Traceback" not in listed.stderr


def test_an_unreachable_server_names_the_url_without_its_password() -> None:
    url = "postgresql://cpd:s3cret@127.0.0.1:1/cpd"  # nothing listens on port 1
    with Cpd.open(url) as app, pytest.raises(ConfigurationError) as caught:
        app.storage.tenants()
    assert "cannot open the store postgresql://cpd:***@127.0.0.1:1/cpd" in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_cpd_db_current_on_a_missing_file_leaves_it_missing(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "typo.db"
    shown = cpd(cli, "db", "current", "--db", f"sqlite:///{path}")
    assert shown.exit_code == 0, shown.output
    assert f"current: none (the file {path} does not exist)" in shown.output
    assert not path.exists()


def test_cpd_db_help_is_plain_text(cli: Any) -> None:
    shown = cpd(cli, "db", "downgrade", "--help")
    assert shown.exit_code == 0
    assert "base drops every cpdcore table" in " ".join(shown.output.split())
    assert "``" not in shown.output
