"""The staff export order: school, then names as people read them, then sourced id."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cpdcore.domain.roster import StaffRosterRow, name_order


def row(sid: str, family: str, given_name: str = "A", school: str = "s1") -> StaffRosterRow:
    return StaffRosterRow(sid, school, given_name, family, "", ("teacher",), True)


def test_accents_case_and_punctuation_do_not_move_a_name_out_of_its_letter() -> None:
    rows = [
        row("1", "Zola"),
        row("2", "de Souza"),
        row("3", "Ó Briain"),
        row("4", "adams"),
        row("5", "O'Brien"),
        row("6", "Durand"),
        row("7", "Obi"),
    ]
    ordered = [r.family_name for r in sorted(rows, key=lambda r: r.sort_key)]
    assert ordered == ["adams", "de Souza", "Durand", "Obi", "Ó Briain", "O'Brien", "Zola"]


def test_school_comes_first_and_sourced_id_breaks_ties() -> None:
    rows = [row("b", "Lee", school="s2"), row("z", "Lee"), row("a", "Lee")]
    assert [
        (r.school_sourced_id, r.sourced_id) for r in sorted(rows, key=lambda r: r.sort_key)
    ] == [
        ("s1", "a"),
        ("s1", "z"),
        ("s2", "b"),
    ]


@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=20))
def test_the_order_is_total_and_stable_under_shuffling(names: list[tuple[str, str]]) -> None:
    rows = [row(str(i), family, given_name) for i, (family, given_name) in enumerate(names)]
    once = sorted(rows, key=lambda r: r.sort_key)
    backwards = list(rows)
    backwards.reverse()
    assert sorted(backwards, key=lambda r: r.sort_key) == once


def test_name_order_ignores_case_and_accents_only() -> None:
    assert name_order("Émile-Zoë") == name_order("emile zoe") == "emilezoe"
