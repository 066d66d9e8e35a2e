"""The disclosure-control presets, rule by rule, at every boundary; and their laws."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpdcore.domain.aggregation import ALL, Cube, Measure, MeasureKind, protect
from cpdcore.domain.aggregation.policies import (
    PRESETS,
    parse_policy,
    publish_count,
    round_half_up,
    rounding_interval,
)
from cpdcore.domain.aggregation.tables import CellStats
from cpdcore.errors import ValidationError

# (policy, true count, expected value or None, expected flag)
COUNT_RULES = [
    ("ons-10-5", 0, None, "c"),
    ("ons-10-5", 1, None, "c"),
    ("ons-10-5", 9, None, "c"),
    ("ons-10-5", 10, 10, ""),
    ("ons-10-5", 12, 10, ""),
    ("ons-10-5", 13, 15, ""),
    ("ons-10-5", 17, 15, ""),
    ("ons-10-5", 18, 20, ""),
    ("hesa", 0, 0, ""),
    ("hesa", 1, 0, ""),
    ("hesa", 2, 0, ""),
    ("hesa", 3, 5, ""),
    ("hesa", 7, 5, ""),
    ("hesa", 8, 10, ""),
    ("hesa", 12, 10, ""),
    ("hesa", 13, 15, ""),
    ("ofqual", 0, 0, ""),
    ("ofqual", 1, None, "<5"),
    ("ofqual", 4, None, "<5"),
    ("ofqual", 5, 5, ""),
    ("ofqual", 7, 5, ""),
    ("ofqual", 8, 10, ""),
    ("dfe", 0, 0, ""),
    ("dfe", 1, None, "c"),
    ("dfe", 4, None, "c"),
    ("dfe", 5, 5, ""),
    ("dfe", 6, 6, ""),
    ("dfe:10", 9, None, "c"),
    ("dfe:10", 10, 10, ""),
    ("k", 0, None, "c"),
    ("k", 9, None, "c"),
    ("k", 10, 10, ""),
    ("k", 11, 11, ""),
    ("k:5", 4, None, "c"),
    ("k:5", 5, 5, ""),
]


@pytest.mark.parametrize(("name", "count", "value", "flag"), COUNT_RULES)
def test_each_preset_publishes_counts_as_its_source_says(
    name: str, count: int, value: int | None, flag: str
) -> None:
    publication = publish_count(parse_policy(name), count)
    assert (publication.value, publication.flag) == (value, flag)


def _one_group(persons: int, matched: int = 0, total: float = 0.0) -> Cube:
    return Cube(("g",), (("x",),), {("x",): CellStats(persons, persons, total, matched)})


# (policy, people in the group, percentage published?)
PCT_DENOMINATORS = [
    ("hesa", 22, False),
    ("hesa", 23, True),
    ("ons-10-5", 9, False),
    ("ons-10-5", 20, True),
    ("k", 19, False),  # 9 of 19 match: the numerator is below the threshold
    ("k", 20, True),
]


@pytest.mark.parametrize(("name", "people", "published"), PCT_DENOMINATORS)
def test_percentages_need_enough_people_behind_them(
    name: str, people: int, published: bool
) -> None:
    # Half the group matches, so numerator and complement are about half the group.
    cube = _one_group(people, matched=people // 2)
    table = protect(cube, parse_policy(name), Measure(MeasureKind.PCT, "rag", "RED"))
    assert (table.cells[0].value is not None) is published


# (policy, people behind the average, average published?)
MEAN_CONTRIBUTORS = [
    ("hesa", 7, False),
    ("hesa", 8, True),
    ("ons-10-5", 9, False),
    ("ons-10-5", 10, True),
    ("dfe", 4, False),
    ("dfe", 5, True),
]


@pytest.mark.parametrize(("name", "people", "published"), MEAN_CONTRIBUTORS)
def test_averages_need_enough_people_behind_them(name: str, people: int, published: bool) -> None:
    table = protect(
        _one_group(people, total=3.0 * people),
        parse_policy(name),
        Measure(MeasureKind.MEAN, "hours"),
    )
    cell = table.cells[0]
    assert (cell.value is not None) is published
    if published:
        assert cell.value == 3.0


def test_hesa_withholds_with_two_dots_and_dfe_marks_empty_groups_not_applicable() -> None:
    hesa = protect(_one_group(5, total=10.0), parse_policy("hesa"), Measure(MeasureKind.MEAN, "h"))
    assert hesa.cells[0].flag == ".."
    dfe = protect(_one_group(0), parse_policy("dfe"), Measure(MeasureKind.MEAN, "h"))
    assert dfe.cells[0].flag == "z"


def test_dfe_low_marks_a_percentage_that_rounds_to_zero_but_is_not_zero() -> None:
    cube = _one_group(4000, matched=1)
    table = protect(cube, parse_policy("dfe"), Measure(MeasureKind.PCT, "rag", "RED"))
    # 1 person is below the numerator threshold, so it is withheld as c before low applies
    assert table.cells[0].flag == "c"
    cube = _one_group(40000, matched=10)
    table = protect(cube, parse_policy("dfe"), Measure(MeasureKind.PCT, "rag", "RED"))
    assert table.cells[0].flag == "low"


@pytest.mark.parametrize("text", ["ons", "k:1", "dfe:x", "hesa:5", ""])
def test_unknown_policies_are_refused_with_the_accepted_names(text: str) -> None:
    with pytest.raises(ValidationError, match="ons-10-5, hesa, ofqual"):
        parse_policy(text)


def test_rounding_intervals_are_the_counts_that_round_to_the_published_value() -> None:
    for base in (1, 5):
        for published in range(0, 40, base):
            low, high = rounding_interval(published, base)
            inside = [n for n in range(60) if round_half_up(n, base) == published]
            assert (low, high) == (min(inside), max(inside))


@given(name=st.sampled_from(sorted(PRESETS)), count=st.integers(0, 10_000))
def test_no_published_count_of_people_lies_between_one_and_the_threshold(
    name: str, count: int
) -> None:
    policy = PRESETS[name]
    publication = publish_count(policy, count)
    if publication.value is None:
        return
    smallest = max(policy.threshold, policy.rounding_base)
    assert not 1 <= publication.value < smallest
    if publication.value == 0:
        # a zero is shown only where the policy shows true zeros, or rounds 0-2 to 0
        assert not policy.withhold_zero
        assert count == 0 or (policy.threshold == 0 and count <= 2)


counts_2d = st.dictionaries(
    keys=st.tuples(st.sampled_from(["S1", "S2", "S3"]), st.sampled_from(["RED", "AMBER", "GREEN"])),
    values=st.integers(0, 40),
    min_size=4,
)


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(PRESETS)), counts=counts_2d)
def test_published_totals_are_the_rounded_true_totals(
    name: str, counts: dict[tuple[str, str], int]
) -> None:
    policy = PRESETS[name]
    cube = Cube.from_counts(("school", "rag"), counts)
    table = protect(cube, policy, Measure())
    assert table.passed
    for cell in table.cells:
        true = cube.stats(cell.key).persons
        if cell.value is not None:
            assert cell.value == round_half_up(true, policy.rounding_base)
        if ALL in cell.key and cell.value is not None:
            # a total is rounded once, from the unrounded parts, never summed from rounded cells
            assert cell.value == round_half_up(true, policy.rounding_base)
        if cell.value is not None and policy.threshold:
            assert not 1 <= cell.value < policy.threshold
