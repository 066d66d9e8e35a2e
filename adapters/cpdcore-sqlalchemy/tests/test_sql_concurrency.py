"""Two real connections race to update the same objective, 200 times, on the servers."""

from __future__ import annotations

import threading
from datetime import date

import attrs
import pytest
import sqlalchemy as sa
from cpdcore_sqlalchemy import SqlStorage
from cpdcore_sqlalchemy.tables import metadata

from cpdcore.domain.identifiers import CycleId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import Objective, ObjectiveCategory, ObjectiveTerms
from cpdcore.errors import ConcurrencyConflict

ROUNDS = 200
TRUST = TrustId("trust-race")


def _objective() -> Objective:
    return Objective(
        id=ObjectiveId("contested"),
        trust_id=TRUST,
        school_id=SchoolId("north"),
        cycle_id=CycleId("cycle-1"),
        appraisee_id=StaffId("amira"),
        terms=ObjectiveTerms(
            "Hinge questions", ObjectiveCategory.PUPIL_PROGRESS, date(2026, 9, 1), date(2027, 7, 1)
        ),
    )


def empty_tables(store: SqlStorage) -> None:
    """Leave the shared test database as it was found."""
    with store.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(sa.delete(table))


def _race(url: str) -> None:
    # Two stores stand for two application processes: separate engines and connections.
    stores = [SqlStorage(url), SqlStorage(url)]
    with stores[0].unit_of_work() as uow:
        uow.repository(Objective).add(_objective())
        uow.commit()
    read = threading.Barrier(2)
    write = threading.Barrier(2)
    outcomes: list[list[str]] = [[], []]
    winners: list[str] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        for round_ in range(ROUNDS):
            with stores[n].unit_of_work() as uow:
                repo = uow.repository(Objective)
                current = repo.get(TRUST, "contested")
                read.wait()  # both have read the same version
                mark = f"{round_}:{n};"
                changed = attrs.evolve(current, outcome_note=current.outcome_note + mark)
                repo.update(changed)
                write.wait()  # both write "at once"
                try:
                    uow.commit()
                except ConcurrencyConflict as conflict:
                    outcomes[n].append(f"conflict on {conflict.record_id}")
                else:
                    outcomes[n].append("won")
                    with lock:
                        winners.append(mark)

    threads = [threading.Thread(target=writer, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        for round_ in range(ROUNDS):
            assert sorted([outcomes[0][round_], outcomes[1][round_]]) == [
                "conflict on contested",
                "won",
            ]
        with stores[0].unit_of_work() as uow:
            final = uow.repository(Objective).get(TRUST, "contested")
        # No lost update: every winning write is in the record, in order, and nothing else.
        assert final.version == 1 + ROUNDS
        assert final.outcome_note == "".join(sorted(winners, key=lambda m: int(m.split(":")[0])))
    finally:
        empty_tables(stores[0])
        for store in stores:
            store.close()


@pytest.mark.postgres
def test_postgresql_has_one_winner_per_race_and_loses_no_update(migrated_pg: str) -> None:
    _race(migrated_pg)


@pytest.mark.mariadb
def test_mariadb_has_one_winner_per_race_and_loses_no_update(migrated_maria: str) -> None:
    _race(migrated_maria)


def test_sqlite_has_one_winner_per_race_and_loses_no_update(sqlite_url: str) -> None:
    _race(sqlite_url)
