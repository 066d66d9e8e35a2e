"""The differencing (tracker) defence, the ledger, replay, DP budgets and the store path."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpdcore import Actor, Cpd, PermissionDenied, Role, RoleAssignment
from cpdcore.aggregation_io import SqliteQueryLedger, person_cells_from_frame
from cpdcore.domain.aggregation import (
    AggregateQuery,
    BudgetExhausted,
    DisclosureRefused,
    Measure,
    MeasureKind,
    decide_difference,
)
from cpdcore.domain.aggregation.differencing import check_near_match
from cpdcore.domain.aggregation.policies import parse_policy
from cpdcore.domain.aggregation.privacy import DpRequest
from cpdcore.services.aggregation import AggregationRequest, answer_query


def staff_records(people: int = 30, *, department: str = "Science") -> pd.DataFrame:
    rags = ["RED", "AMBER", "GREEN"]
    return pd.DataFrame(
        {
            "person_id": [f"t{i}" for i in range(people)],
            "department": [department] * people,
            "school": ["S1"] * people,
            "rag": [rags[i % 3] for i in range(people)],
            "hours": [str(i % 7) for i in range(people)],
        }
    )


def ask(
    frame: pd.DataFrame,
    ledger: SqliteQueryLedger,
    *,
    by: tuple[str, ...] = ("rag",),
    where: tuple[tuple[str, str], ...] = (),
    requester: str = "researcher-a",
    policy: str = "k",
    dp: DpRequest | None = None,
) -> list[tuple[tuple[str, ...], object, str]]:
    query = AggregateQuery(by=by, where=where, margins=True)
    keys = {"rag": ("RED", "AMBER", "GREEN")} if dp else None
    request = AggregationRequest(query, parse_policy(policy), requester, dp=dp, keys=keys)
    answer = answer_query(person_cells_from_frame(frame, query), request, ledger)
    return [(c.key, c.value, c.flag) for c in answer.cells]


@pytest.fixture
def ledger(tmp_path: Path) -> SqliteQueryLedger:
    book = SqliteQueryLedger(tmp_path / "ledger.sqlite3")
    yield book  # type: ignore[misc]
    book.close()


@pytest.mark.parametrize(
    ("difference", "allowed"), [(0, True), (1, False), (9, False), (10, True), (25, True)]
)
def test_populations_differing_by_fewer_than_k_people_are_refused(
    difference: int, allowed: bool
) -> None:
    assert decide_difference(difference, 10).allowed is allowed


def test_the_department_minus_one_teacher_is_refused(ledger: SqliteQueryLedger) -> None:
    department = staff_records(30)
    ask(department, ledger)
    minus_one = department[department.person_id != "t7"]
    with pytest.raises(DisclosureRefused) as refused:
        ask(minus_one, ledger)
    assert not re.search(r"\d", str(refused.value))


def test_an_individual_tracker_sequence_is_refused(ledger: SqliteQueryLedger) -> None:
    """Tracker: pad the target with a large group T, ask about T ∪ {x}, then about T."""
    school = pd.concat(
        [staff_records(40, department="English"), staff_records(1, department="Drama")]
    )
    school["person_id"] = [f"p{i}" for i in range(len(school))]
    # T ∪ {x}: everyone at the school
    ask(school, ledger, by=("rag",), where=(("school", "S1"),))
    # T: everyone in English (the only Drama teacher is x)
    with pytest.raises(DisclosureRefused) as refused:
        ask(school, ledger, by=("rag",), where=(("department", "English"),))
    assert not re.search(r"\d", str(refused.value))


def test_a_cell_that_nearly_matches_an_earlier_cell_is_refused(ledger: SqliteQueryLedger) -> None:
    frame = staff_records(60)
    frame["gender"] = ["F"] * 59 + ["M"]
    ask(frame, ledger, by=("department",))
    with pytest.raises(DisclosureRefused):
        ask(frame, ledger, by=("department",), where=(("gender", "F"),))


def test_other_requesters_have_their_own_ledger(ledger: SqliteQueryLedger) -> None:
    department = staff_records(30)
    ask(department, ledger, requester="a")
    ask(department[department.person_id != "t7"], ledger, requester="b")


def test_an_identical_query_gets_the_identical_answer(ledger: SqliteQueryLedger) -> None:
    department = staff_records(30)
    first = ask(department, ledger, dp=DpRequest(epsilon=0.5))
    second = ask(department, ledger, dp=DpRequest(epsilon=0.5))
    assert first == second
    spent, _total = ledger.budget("researcher-a", 3.0)
    assert spent == pytest.approx(0.5)  # the replay spent nothing


def test_the_privacy_budget_is_persisted_and_refuses_when_spent(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    book = SqliteQueryLedger(path)
    book.set_budget("researcher-a", 1.0)
    ask(staff_records(30), book, dp=DpRequest(epsilon=0.6))
    book.close()
    reopened = SqliteQueryLedger(path)
    with pytest.raises(BudgetExhausted) as refused:
        ask(staff_records(31), reopened, dp=DpRequest(epsilon=0.6))
    assert not re.search(r"\d", str(refused.value))
    reopened.close()


def test_dp_answers_use_only_the_declared_keys(ledger: SqliteQueryLedger) -> None:
    frame = staff_records(30)
    frame.loc[0, "rag"] = "BLUE"  # not declared: must not appear or leak
    rows = ask(frame, ledger, dp=DpRequest(epsilon=1.0))
    # the declared order, and nothing else
    assert [key for key, _v, _f in rows] == [("RED",), ("AMBER",), ("GREEN",), ("All",)]
    assert all(flag == "" for _k, _v, flag in rows)


def test_sums_clip_each_persons_contribution(ledger: SqliteQueryLedger) -> None:
    frame = staff_records(30)
    frame["hours"] = ["1"] * 29 + ["1000"]
    query = AggregateQuery(by=("school",), measure=Measure(MeasureKind.SUM, "hours"), clip=(0, 5))
    request = AggregationRequest(query, parse_policy("k"), "r")
    answer = answer_query(person_cells_from_frame(frame, query), request, ledger)
    assert answer.cells[0].value == 29 + 5


def test_the_store_path_scopes_to_the_actor_and_audits(tmp_path: Path) -> None:
    cpd = Cpd.open("memory://", entry_points=False)
    admin = cpd.as_actor(Actor.system("trust-1"))
    admin.set_up_trust("Trust")
    for i in range(25):
        admin.add_staff(f"Given{i}", f"Family{i}", email=f"{i}@x", staff_id=f"s{i}")  # type: ignore[arg-type]
    researcher = Actor("trust-1", "r1", (RoleAssignment(Role.RESEARCHER),), "R")  # type: ignore[arg-type]
    query = AggregateQuery(by=("active",), margins=False)
    request = AggregationRequest(query, parse_policy("k"), "ignored")
    book = SqliteQueryLedger(tmp_path / "l.sqlite3")
    answer = cpd.as_actor(researcher).aggregate("staff", request, ledger=book)
    book.close()
    assert [(c.key, c.value) for c in answer.cells] == [(("True",), 25)]
    appraisee = Actor("trust-1", "a1", (RoleAssignment(Role.APPRAISEE, "S1"),), "A")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied, match="aggregating needs"):
        cpd.as_actor(appraisee).aggregate("staff", request)


@given(
    st.frozensets(st.integers(0, 30), max_size=20),
    st.frozensets(st.integers(0, 30), max_size=20),
    st.integers(2, 12),
)
def test_check_near_match_refuses_exactly_a_difference_of_1_to_k_minus_1(
    population: frozenset[int], earlier: frozenset[int], k: int
) -> None:
    counted: list[int] = []

    def symmetric_difference(a: frozenset[int], b: frozenset[int]) -> int:
        counted.append(1)
        return len(a ^ b)

    if 0 < len(population ^ earlier) < k:
        with pytest.raises(DisclosureRefused):
            check_near_match(population, earlier, k, symmetric_difference)
    else:
        check_near_match(population, earlier, k, symmetric_difference)
    # Members are compared only when the sizes leave room for a near match.
    assert bool(counted) == (abs(len(population) - len(earlier)) < k)
