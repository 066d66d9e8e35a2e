"""Behaviour of the SQL store beyond the conformance kit, on every engine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from cpdcore_sqlalchemy import KINDS, SqlStorage, schema

from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import Objective, ObjectiveCategory, ObjectiveStatus, ObjectiveTerms
from cpdcore.domain.organisation import Department, School, StaffMember, Trust
from cpdcore.domain.sip import SipPriority
from cpdcore.errors import ConfigurationError, ValidationError

T1 = TrustId("trust-north")
T2 = TrustId("trust-south")


def staff(trust: TrustId, n: int, **changes: Any) -> StaffMember:
    member = StaffMember(
        id=StaffId(f"staff-{n:05d}"),
        trust_id=trust,
        given_name="Ada" if n % 2 else "Bea",
        family_name=f"Family-{n}",
        sourced_id=f"mis-{n}",
    )
    return attrs.evolve(member, **changes)


def objective(trust: TrustId, n: int, **changes: Any) -> Objective:
    record = Objective(
        id=f"obj-{n:04d}",
        trust_id=trust,
        school_id=SchoolId("north" if n % 3 else "south"),
        cycle_id="cycle-1",
        appraisee_id=StaffId(f"staff-{n % 4}"),
        terms=ObjectiveTerms(
            "Hinge questions in Year 9",
            ObjectiveCategory.PUPIL_PROGRESS,
            date(2026, 9, 1),
            date(2027, 7, 16),
        ),
    )
    return attrs.evolve(record, **changes)


def seed(store: SqlStorage, *records: Any) -> None:
    with store.unit_of_work() as uow:
        for record in records:
            uow.repository(type(record)).add(record)
        uow.commit()


@pytest.fixture
def statements(store: SqlStorage) -> Iterator[list[str]]:
    """Every SQL statement the store's engine runs during the test."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    sa.event.listen(store.engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(store.engine, "before_cursor_execute", record)


def test_a_failure_after_the_first_write_rolls_everything_back(store: SqlStorage) -> None:
    class Injected(Exception):
        pass

    with pytest.raises(Injected), store.unit_of_work() as uow:
        uow.repository(Trust).add(Trust(T1, "North"))
        uow.repository(School).add(School(SchoolId("s1"), T1, "Hill"))
        uow.flush()  # the rows really are in the database's transaction now
        assert uow.repository(School).count(T1) == 1
        raise Injected
    assert store.tenants() == []
    with store.unit_of_work() as uow:
        assert uow.repository(School).count(T1) == 0


def test_every_statement_is_confined_to_one_trust(store: SqlStorage, statements: list[str]) -> None:
    mine = [objective(T1, n) for n in range(12)]
    theirs = [objective(T2, n) for n in range(12)]
    seed(store, *mine, *theirs)
    statements.clear()
    with store.unit_of_work() as uow:
        repo = uow.repository(Objective)
        listed = repo.list(T1, limit=100).items
        assert {o.trust_id for o in listed} == {T1}
        assert len(listed) == 12
        assert repo.count(T1, where={"status": ObjectiveStatus.DRAFT}) == 12
        assert repo.find(T1, "obj-0001") == attrs.evolve(mine[1], version=1)
        by_school = repo.count_by(T1, ["school_id"])
        assert sum(by_school.values()) == 12
        updated = repo.update(attrs.evolve(repo.get(T1, "obj-0002"), outcome_note="x"))
        repo.remove(updated)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.repository(Objective).count(T2) == 12
        assert uow.repository(Objective).find(T2, "obj-0002") is not None
    touching = [
        s for s in statements if "cpd_objectives" in s and not s.upper().startswith("INSERT")
    ]
    assert touching
    for statement in touching:
        assert "trust_id =" in statement, statement


def test_count_by_groups_in_the_database(store: SqlStorage, statements: list[str]) -> None:
    seed(
        store,
        *[objective(T1, n) for n in range(9)],
        objective(T1, 9, status=ObjectiveStatus.DRAFT, school_id=SchoolId("east")),
        *[objective(T2, n) for n in range(5)],
    )
    statements.clear()
    counts = store.count_by(T1, "objectives", ["school_id", "status"])
    assert counts == {
        ("north", ObjectiveStatus.DRAFT): 6,
        ("south", ObjectiveStatus.DRAFT): 3,
        ("east", ObjectiveStatus.DRAFT): 1,
    }
    assert any("GROUP BY" in s for s in statements)
    assert not any("body" in s for s in statements if "GROUP BY" in s)
    assert store.count_by(T1, Objective, ["appraisee_id"], where={"school_id": "south"}) == {
        ("staff-3",): 1,
        ("staff-2",): 1,
        ("staff-0",): 1,
    }
    with pytest.raises(ValidationError, match="terms"):
        store.count_by(T1, "objectives", ["terms"])
    with pytest.raises(ValidationError, match="outcome_note"):
        store.count_by(T1, "objectives", ["status"], where={"outcome_note": ""})
    with pytest.raises(ValidationError, match=r"accepted: .*staff"):
        store.count_by(T1, "nonsense", ["status"])


def test_add_many_is_one_bulk_insert(store: SqlStorage, statements: list[str]) -> None:
    with store.unit_of_work() as uow:
        stored = uow.repository(StaffMember).add_many(staff(T1, n) for n in range(1500))
        uow.commit()
    assert {s.version for s in stored} == {1}
    inserts = [s for s in statements if s.upper().startswith("INSERT INTO CPD_STAFF")]
    # executemany / insertmanyvalues: a handful of statements, never one per row.
    assert 1 <= len(inserts) <= 3
    with store.unit_of_work() as uow:
        assert uow.repository(StaffMember).count(T1) == 1500
        assert uow.repository(StaffMember).get(T1, "staff-01499") == stored[-1]


def test_a_duplicate_in_a_bulk_add_rolls_the_unit_back(store: SqlStorage) -> None:
    seed(store, staff(T1, 7))
    with store.unit_of_work() as uow:
        repo = uow.repository(StaffMember)
        repo.add(staff(T1, 1))
        repo.add_many([staff(T1, 6), staff(T1, 7)])
        with pytest.raises(ValidationError, match="already exists"):
            uow.commit()
        with pytest.raises(ValidationError):
            uow.commit()  # a failed unit of work cannot be committed half-applied
    with store.unit_of_work() as uow:
        assert uow.repository(StaffMember).count(T1) == 1


def test_filters_on_attributes_that_are_not_columns_still_work(store: SqlStorage) -> None:
    seed(store, *[staff(T1, n) for n in range(1, 1201)], staff(T2, 2))
    with store.unit_of_work() as uow:
        repo = uow.repository(StaffMember)
        seen: list[str] = []
        after = None
        while True:
            page = repo.list(T1, where={"given_name": "Bea"}, after=after, limit=250)
            seen += [s.id for s in page.items]
            if page.next_cursor is None:
                break
            after = page.next_cursor
        assert seen == [f"staff-{n:05d}" for n in range(2, 1201, 2)]
        assert repo.count(T1, where={"given_name": "Bea", "active": True}) == 600


def test_none_in_where_means_no_value(store: SqlStorage) -> None:
    seed(
        store,
        SipPriority("p1", T1, "SIP1", "Reading", "2026-27"),
        SipPriority("p2", T1, "SIP2", "Maths", "2026-27", school_id=SchoolId("north")),
    )
    with store.unit_of_work() as uow:
        repo = uow.repository(SipPriority)
        assert [p.id for p in repo.list(T1, where={"school_id": None}).items] == ["p1"]
        assert [p.id for p in repo.list(T1, where={"school_id": "north"}).items] == ["p2"]


def test_ids_are_case_sensitive_and_ordered_like_python_strings(store: SqlStorage) -> None:
    ids = ["b", "B", "a", "A", "a-1", "a_1", "Z", "é", "z"]
    seed(store, *[Department(i, T1, SchoolId("s"), f"Dept {i}") for i in ids])  # type: ignore[arg-type]
    with store.unit_of_work() as uow:
        repo = uow.repository(Department)
        assert [d.id for d in repo.list(T1).items] == sorted(ids)
        assert repo.get(T1, "B").name == "Dept B"
        assert [d.id for d in repo.list(T1, after="Z").items] == sorted(i for i in ids if i > "Z")


def test_values_longer_than_the_columns_are_refused_before_writing(store: SqlStorage) -> None:
    with store.unit_of_work() as uow, pytest.raises(ValidationError, match="at most 100"):
        uow.repository(School).add(School(SchoolId("s" * 101), T1, "Long"))


def test_a_class_without_a_table_is_a_configuration_error(store: SqlStorage) -> None:
    @attrs.frozen
    class Unmapped:
        id: str
        trust_id: str
        school_id: str | None = None
        version: int = 0

    with store.unit_of_work() as uow, pytest.raises(ConfigurationError, match=r"KINDS\.add"):
        uow.repository(Unmapped)
    assert Unmapped not in KINDS


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_store: SqlStorage) -> None:
    sqlite_store.tenants()
    with sqlite_store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.postgres
def test_a_server_without_the_schema_names_the_upgrade_command(empty_pg_url: str) -> None:
    store = SqlStorage(empty_pg_url)
    try:
        with pytest.raises(ConfigurationError, match="cpd db upgrade --db"):
            store.unit_of_work()
    finally:
        store.close()
    engine = schema.make_engine(empty_pg_url)
    schema.upgrade(engine)
    engine.dispose()
    store = SqlStorage(empty_pg_url)
    try:
        assert store.tenants() == []
    finally:
        store.close()
