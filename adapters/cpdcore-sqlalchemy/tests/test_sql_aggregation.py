"""Anonymised aggregates pushed down to SQL, and the query ledger kept in the store.

``SqlStorage.person_cells`` must give exactly the per-person cells cpdcore computes itself
from the records (the reference path reads every record and groups in pandas), on SQLite,
PostgreSQL and MariaDB, never across trusts; the ledger must refuse differencing across
store instances and keep one trust's requesters apart from another's.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from cpdcore_sqlalchemy import SqlStorage, schema
from cpdcore_sqlalchemy.ledger import SqlQueryLedger
from cpdcore_sqlalchemy.tables import KINDS as REGISTRY

from cpdcore import Actor, Cpd, Role, RoleAssignment
from cpdcore.aggregation_io import person_cells_from_frame
from cpdcore.clocks import FixedClock
from cpdcore.domain.aggregation.differencing import DisclosureRefused
from cpdcore.domain.aggregation.policies import parse_policy
from cpdcore.domain.aggregation.tables import AggregateQuery, parse_measure
from cpdcore.domain.alignment import AlignmentFact
from cpdcore.domain.cpd_activities import CpdActivity, CpdKind
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    Objective,
    ObjectiveCategory,
    ObjectiveStatus,
    ObjectiveTerms,
)
from cpdcore.domain.organisation import StaffMember
from cpdcore.errors import ValidationError
from cpdcore.ports import AggregationPushDown, QueryLedger
from cpdcore.services.aggregation import AggregationRequest, _flatten

T = TrustId("t1")
OTHER = TrustId("t2")
SCHOOLS = [SchoolId(f"s{i}") for i in range(4)]
KINDS = list(CpdKind)[:3]


def activities(trust: TrustId, count: int, seed: int = 7) -> list[CpdActivity]:
    """``count`` activities of 60 people in four schools, with hours and kinds at random."""
    rng = random.Random(seed)
    found = []
    for i in range(count):
        person = rng.randrange(60)
        found.append(
            CpdActivity(
                id=f"a{i}",
                trust_id=trust,
                school_id=SCHOOLS[person % 4],
                staff_id=StaffId(f"p{person}"),
                kind=rng.choice(KINDS),
                title="Course",
                started_on=date(2026, 9, 1 + rng.randrange(20)),
                hours=Decimal(rng.randrange(1, 13)) / 2,
            )
        )
    return found


def store_records(store: SqlStorage, records: list[Any]) -> None:
    with store.unit_of_work() as uow:
        uow.repository(type(records[0])).add_many(records)
        uow.commit()


def _reference(records: list[Any], person: str, query: AggregateQuery) -> set[tuple[Any, ...]]:
    """cpdcore's own per-person cells, computed in pandas from the whole records."""
    import pandas as pd

    frame = pd.DataFrame([_flatten(r, person) for r in records])
    cells = person_cells_from_frame(frame, query)
    return {
        (*(str(row[c]) for c in query.by), row["person_id"], int(row["records"]),
         round(float(row["total"]), 4), bool(row["matched"]))
        for _i, row in cells.iterrows()
    }  # fmt: skip


def _pushed(rows: Any) -> set[tuple[Any, ...]]:
    return {
        (*(str(v) for v in row[:-4]), str(row[-4]), int(row[-3]), round(float(row[-2]), 4),
         bool(row[-1]))
        for row in rows
    }  # fmt: skip


def test_the_store_offers_the_push_down_and_the_ledger(store: SqlStorage) -> None:
    assert isinstance(store, AggregationPushDown)
    assert isinstance(store.query_ledger(T), QueryLedger)


@pytest.mark.parametrize(
    ("by", "where", "measure"),
    [
        (("school_id", "kind"), {}, "persons"),
        (("kind",), {"school_id": "s1"}, "sum:hours"),
        (("school_id",), {"kind": "course"}, "pct:kind=workshop"),
        (("started_on",), {}, "mean:hours"),
    ],
)
def test_person_cells_equal_cpdcores_own_grouping_of_the_records(
    store: SqlStorage, by: tuple[str, ...], where: dict[str, str], measure: str
) -> None:
    mine = activities(T, 400)
    store_records(store, mine)
    store_records(store, activities(OTHER, 50, seed=8))
    parsed = parse_measure(measure)
    query = AggregateQuery(by=by, where=tuple(sorted(where.items())), measure=parsed)
    rows = store.person_cells(
        T,
        "cpd_activities",
        by,
        where,
        value_column=parsed.column if parsed.kind.value in ("sum", "mean") else None,
        match=(parsed.column or "", parsed.value or "") if parsed.kind.value == "pct" else None,
    )
    assert _pushed(rows) == _reference(mine, "staff_id", query)


def test_person_cells_never_cross_trusts_and_keep_to_the_schools_asked(
    store: SqlStorage,
) -> None:
    store_records(store, activities(T, 100))
    store_records(store, activities(OTHER, 100, seed=9))
    everything = store.person_cells(T, "cpd_activities", ("school_id",), {})
    assert sum(int(str(r[2])) for r in everything) == 100
    two = store.person_cells(
        T, "cpd_activities", ("school_id",), {}, school_ids=[SCHOOLS[0], SCHOOLS[2]]
    )
    assert {r[0] for r in two} == {"s0", "s2"}
    assert store.person_cells(TrustId("nobody"), "cpd_activities", ("school_id",), {}) == []


def test_flags_and_dates_come_back_as_text_and_filter_from_text(store: SqlStorage) -> None:
    staff = [
        StaffMember(
            id=StaffId(f"p{i}"), trust_id=T, given_name="A", family_name="B", active=i % 3 != 0
        )
        for i in range(30)
    ]
    store_records(store, staff)
    rows = store.person_cells(T, "staff", ("active",), {})
    assert sorted({str(r[0]) for r in rows}) == ["False", "True"]
    inactive = store.person_cells(T, "staff", ("active",), {"active": "False"})
    assert {r[1] for r in inactive} == {f"p{i}" for i in range(0, 30, 3)}
    dated = store.person_cells(T, "cpd_activities", ("started_on",), {})
    assert dated == []
    store_records(store, activities(T, 20))
    dated = store.person_cells(T, "cpd_activities", ("started_on",), {"started_on": "2026-09-03"})
    assert {r[0] for r in dated} <= {"2026-09-03"}


def _objective(i: int, category: ObjectiveCategory) -> Objective:
    terms = ObjectiveTerms(
        title=f"Objective {i}",
        category=category,
        starts_on=date(2026, 9, 15),
        due_on=date(2027, 6, 30),
    )
    return Objective(
        id=f"o{i}",  # type: ignore[arg-type]
        trust_id=T,
        school_id=SCHOOLS[i % 2],
        cycle_id=f"c{i % 2}",  # type: ignore[arg-type]
        appraisee_id=StaffId(f"p{i // 2}"),
        terms=terms,
        status=ObjectiveStatus.DRAFT,
    )


def test_objectives_group_by_the_promoted_nested_category(store: SqlStorage) -> None:
    categories = list(ObjectiveCategory)
    store_records(store, [_objective(i, categories[i % 3]) for i in range(24)])
    rows = store.person_cells(T, "objectives", ("category",), {"status": "draft"})
    assert {r[0] for r in rows} == {c.value for c in categories[:3]}
    assert sum(int(str(r[2])) for r in rows) == 24
    # the repository's own filters use the promoted column too
    with store.unit_of_work() as uow:
        found = uow.repository(Objective).count(T, where={"category": categories[0]})
    assert found == 8


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({"by": ("title",)}, "promoted columns: school_id, staff_id, kind, started_on, hours"),
        ({"where": {"provider": "x"}}, "cannot be aggregated by 'provider'"),
        ({"where": {"kind": "lecture"}}, "use one of course, workshop"),
        ({"where": {"started_on": "1 Sept"}}, "use a date YYYY-MM-DD"),
        ({"value_column": "kind"}, "numeric columns: hours"),
        ({"kind": "schools"}, "kinds that can: "),
        ({"kind": "nonsense"}, "unknown record kind 'nonsense'"),
    ],
)
def test_unaggregatable_requests_are_refused_naming_what_is_accepted(
    store: SqlStorage, call: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"kind": "cpd_activities", "by": ("school_id",), "where": {}}
    arguments.update(call)
    with pytest.raises(ValidationError, match=message):
        store.person_cells(
            T,
            arguments.pop("kind"),
            arguments.pop("by"),
            arguments.pop("where"),
            **arguments,
        )


# -- the ledger -------------------------------------------------------------------------


def _population(*ids: int) -> Any:
    return np.unique(np.array(ids, dtype=np.uint64))


def test_the_ledger_refuses_a_difference_of_one_across_store_instances(
    store_url: str, store: SqlStorage
) -> None:
    ledger = store.query_ledger(T)
    key = ledger.person_key()
    assert len(key) == 32 and ledger.person_key() == key
    department = _population(*range(1, 13))
    ledger.check_populations("alice", [department], 10)
    ledger.record("alice", "f1", {"cells": [1]}, [department])
    again = SqlStorage(store_url)
    try:
        later = again.query_ledger(T)
        assert later.person_key() == key
        assert later.find_answer("alice", "f1") == {"cells": [1]}
        assert later.find_answer("bob", "f1") is None
        with pytest.raises(DisclosureRefused) as refused:
            later.check_populations("alice", [_population(*range(1, 12))], 10)
        assert not any(ch.isdigit() for ch in str(refused.value))
        # another requester, or the same name in another trust, has its own history
        later.check_populations("bob", [_population(*range(1, 12))], 10)
        other_trust = again.query_ledger(OTHER)
        other_trust.check_populations("alice", [_population(*range(1, 12))], 10)
        assert other_trust.person_key() != key
        # far enough apart is fine
        later.check_populations("alice", [_population(*range(1, 40))], 10)
    finally:
        again.close()


def test_the_ledger_keeps_the_privacy_budget(store: SqlStorage) -> None:
    ledger: SqlQueryLedger = store.query_ledger(T)
    assert ledger.budget("r", 3.0) == (0.0, 3.0)
    ledger.record("r", "f", {}, [], epsilon=1.25)
    ledger.record("r", "g", {}, [], epsilon=0.5)
    assert ledger.budget("r", 9.0) == (1.75, 3.0)
    ledger.set_budget("r", 5.0)
    assert ledger.budget("r", 9.0) == (1.75, 5.0)
    assert ledger.budget("someone else", 2.0) == (0.0, 2.0)


def test_long_requester_names_are_kept_apart(store: SqlStorage) -> None:
    ledger = store.query_ledger(T)
    first, second = "a" * 300 + "1", "a" * 300 + "2"
    ledger.record(first, "f", {"who": 1}, [])
    assert ledger.find_answer(first, "f") == {"who": 1}
    assert ledger.find_answer(second, "f") is None


# -- through the facade ------------------------------------------------------------------


@pytest.fixture
def trust_cpd(store_url: str, store: SqlStorage) -> Iterator[Cpd]:
    """A Cpd on the engine's store with a trust, four schools and 240 activities."""
    clock = FixedClock(datetime(2027, 3, 1, 9, tzinfo=UTC))
    with Cpd.open(store_url, clock=clock) as cpd:
        admin = cpd.as_actor(Actor.system(T, "set-up"))
        admin.set_up_trust("Trust One")
        for school in SCHOOLS:
            admin.add_school(f"School {school}", school_id=school)
        store_records(store, activities(T, 240))
        yield cpd


def _researcher(cpd: Cpd) -> Any:
    return cpd.as_actor(
        Actor(trust_id=T, staff_id=StaffId("res"), roles=(RoleAssignment(Role.RESEARCHER),))
    )


def _request(by: tuple[str, ...], **where: str) -> AggregationRequest:
    query = AggregateQuery(by=by, where=tuple(sorted(where.items())), margins=True)
    return AggregationRequest(query, parse_policy("k:3"), "ignored")


def test_the_facade_aggregates_in_the_database_and_ledgers_in_the_store(
    trust_cpd: Cpd, store: SqlStorage
) -> None:
    researcher = _researcher(trust_cpd)
    answer = researcher.aggregate("cpd_activities", _request(("school_id", "kind")))
    total = next(c for c in answer.cells if c.key == ("All", "All"))
    assert total.value == len({a.staff_id for a in activities(T, 240)})
    with store.engine.connect() as connection:
        answers = connection.execute(sa.text("SELECT COUNT(*) FROM cpd_ledger_answers")).scalar()
    assert answers == 1
    again = researcher.aggregate("cpd_activities", _request(("school_id", "kind")))
    assert again.replayed and again.cells == answer.cells
    # school s1 (15 people) was published; its course-goers (13 of them) differ by two
    with pytest.raises(DisclosureRefused):
        researcher.aggregate("cpd_activities", _request(("kind",), school_id="s1", kind="course"))


def test_the_facade_reports_unpromoted_columns(trust_cpd: Cpd) -> None:
    with pytest.raises(ValidationError, match="promoted columns"):
        _researcher(trust_cpd).aggregate("cpd_activities", _request(("provider",)))


# -- migration 0005 fills the new columns of existing rows -------------------------------


def test_migration_0005_fills_the_new_columns_from_the_bodies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = schema.make_engine(url)
    try:
        schema.upgrade(engine, "0004")
        # rows as 0004 stored them: today's mapping minus the columns 0005 adds
        activity = activities(T, 1)[0]
        fact = AlignmentFact(
            id="f1",
            trust_id=T,
            school_id=SCHOOLS[0],
            person_id="p1",
            academic_year="2026-27",
            term="spring",
            sip_code="SIP-X",
            activity="observation",
            source_id="o1",
            minutes=45,
        )
        objective = _objective(1, ObjectiveCategory.LEADERSHIP)
        with engine.begin() as connection:
            for kind_name, record in (
                ("cpd_activities", activity),
                ("alignment_facts", fact),
                ("objectives", objective),
            ):
                row = REGISTRY.named(kind_name).to_row(record)
                for new in ("hours", "term", "minutes", "category"):
                    row.pop(new, None)
                columns = ", ".join(row)
                marks = ", ".join(f":{c}" for c in row)
                connection.execute(
                    sa.text(f"INSERT INTO cpd_{kind_name} ({columns}) VALUES ({marks})"), row
                )
        schema.upgrade(engine)
        with engine.connect() as connection:
            hours = connection.execute(sa.text("SELECT hours FROM cpd_cpd_activities")).scalar()
            term, minutes = connection.execute(
                sa.text("SELECT term, minutes FROM cpd_alignment_facts")
            ).one()
            category = connection.execute(sa.text("SELECT category FROM cpd_objectives")).scalar()
        assert Decimal(str(hours)) == activity.hours
        assert (term, minutes) == ("spring", 45)
        assert category == "leadership"
    finally:
        engine.dispose()


def test_the_store_ledger_decides_like_the_reference_ledger(
    store: SqlStorage, tmp_path: Path
) -> None:
    from cpdcore.aggregation_io import SqliteQueryLedger

    rng = random.Random(3)
    reference = SqliteQueryLedger(tmp_path / "reference.sqlite3")
    ours = store.query_ledger(T)
    decisions = []
    try:
        asked: list[set[int]] = [set(range(20))]
        for step in range(60):
            # mostly near-copies of earlier populations, a few people in or out
            tables = []
            for _ in range(rng.randrange(1, 4)):
                people = set(rng.choice(asked))
                for _ in range(rng.randrange(0, 7)):
                    person = rng.randrange(40)
                    people.symmetric_difference_update({person})
                asked.append(people)
                tables.append(_population(*people))
            verdicts = []
            for ledger in (reference, ours):
                try:
                    ledger.check_populations("r", tables, 5)
                except DisclosureRefused:
                    verdicts.append(False)
                else:
                    ledger.record("r", f"f{step}", {}, tables)
                    verdicts.append(True)
            assert verdicts[0] == verdicts[1], step
            decisions.append(verdicts[0])
    finally:
        reference.close()
    assert True in decisions and False in decisions
