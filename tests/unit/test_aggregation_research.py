"""Research-extract rules, cube building from person-records, and non-additive margins."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from cpdcore.aggregation_io import build_cube, person_cells_from_frame
from cpdcore.domain.aggregation import ALL, AggregateQuery, Measure, protect
from cpdcore.domain.aggregation.policies import parse_policy
from cpdcore.domain.aggregation.research import (
    MERGED_SCHOOLS,
    academic_year,
    pseudonym,
    schools_to_merge,
    term_of,
)
from cpdcore.research_extract import ExtractSpec, make_extract

TERMS = [
    (date(2025, 8, 31), "2024-25 summer"),
    (date(2025, 9, 1), "2025-26 autumn"),
    (date(2025, 12, 31), "2025-26 autumn"),
    (date(2026, 1, 1), "2025-26 spring"),
    (date(2026, 3, 31), "2025-26 spring"),
    (date(2026, 4, 1), "2025-26 summer"),
    (date(2099, 9, 1), "2099-00 autumn"),
]


@pytest.mark.parametrize(("day", "term"), TERMS)
def test_dates_coarsen_to_english_school_terms(day: date, term: str) -> None:
    assert term_of(day) == term
    assert term.startswith(academic_year(day))


def test_small_schools_merge_and_never_alone() -> None:
    assert schools_to_merge({"A": 50, "B": 3, "C": 4}, 10) == {"B", "C"}
    # a lone small school takes the next smallest with it, or the merge names it
    assert schools_to_merge({"A": 50, "B": 30, "C": 4}, 10) == {"B", "C"}
    assert schools_to_merge({"A": 50, "B": 30}, 10) == frozenset()


def test_pseudonyms_depend_on_the_salt() -> None:
    assert pseudonym("t1", b"a" * 32) == pseudonym("t1", b"a" * 32)
    assert pseudonym("t1", b"a" * 32) != pseudonym("t1", b"b" * 32)


def test_an_extract_that_cannot_reach_k_removes_rows_and_says_so(tmp_path: Path) -> None:
    rows = [{"person_id": f"p{i}", "school": "Big", "role": "teacher"} for i in range(30)]
    rows += [{"person_id": "p99", "school": "Big", "role": "head"}]
    rows += [{"person_id": f"q{i}", "school": f"Tiny{i}", "role": "teacher"} for i in range(3)]
    pd.DataFrame(rows).to_csv(tmp_path / "in.csv", index=False)
    result = make_extract(
        tmp_path / "in.csv", tmp_path / "out.csv", ExtractSpec(("school", "role"), k=10)
    )
    out = pd.read_csv(tmp_path / "out.csv", dtype=str)
    assert result.rows_suppressed == 4  # the head, and the three merged tiny schools
    assert result.schools_merged == 3
    assert set(out.role) == {"teacher"}
    assert MERGED_SCHOOLS not in set(out.school)


def test_margins_count_people_once_even_when_they_are_in_two_groups() -> None:
    frame = pd.DataFrame(
        {
            "person_id": [f"t{i}" for i in range(20)] * 2,
            "theme": ["questioning"] * 20 + ["feedback"] * 20,
        }
    )
    query = AggregateQuery(by=("theme",), margins=True)
    build = build_cube(person_cells_from_frame(frame, query), query, b"k" * 32)
    assert build.cube.stats(("questioning",)).persons == 20
    assert build.cube.stats((ALL,)).persons == 20  # not 40
    assert build.cube.stats((ALL,)).records == 40


def test_a_non_additive_table_is_still_audited() -> None:
    # 12 people on questioning, 3 of them also on feedback: the total is 12, not 15
    frame = pd.DataFrame(
        {
            "person_id": [f"t{i}" for i in range(12)] + ["t0", "t1", "t2"],
            "theme": ["questioning"] * 12 + ["feedback"] * 3,
        }
    )
    query = AggregateQuery(by=("theme",), margins=True)
    build = build_cube(person_cells_from_frame(frame, query), query, b"k" * 32)
    table = protect(build.cube, parse_policy("k"), Measure())
    assert table.passed
    shown = {c.key: (c.value, c.flag) for c in table.cells}
    assert shown[("feedback",)] == (None, "c")
    # the total is the largest part here, so publishing 12 and 12 would not pin feedback
    # exactly, but the audit must still leave at least five people of doubt
    report = table.patterns[0].report
    assert report is not None
    assert report.narrowest is not None
    assert report.narrowest >= 5
