"""Trend correlation: a planted effect is recovered within the interval; small arms are
suppressed; the t quantile is accurate; the caveat is always there."""

from __future__ import annotations

import random
from datetime import date, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpdcore.domain.roster import OutcomeAggregate
from cpdcore.domain.trends import (
    CAVEAT,
    OutcomeMeasure,
    OutcomePoint,
    TrendRules,
    difference_in_differences,
    outcome_points,
    t_cdf,
    t_quantile,
)
from cpdcore.errors import ValidationError

CUTOVER = date(2027, 1, 4)


def synthetic(
    effect: float, *, seed: int, classes: int = 24, weeks: int = 8, noise: float = 0.15
) -> tuple[list[OutcomePoint], set[str], dict[str, frozenset[str]]]:
    """Half the classes are treated; every class has its own level and a shared trend;
    treated classes change by ``effect`` after the cut-over."""
    rng = random.Random(seed)
    points: list[OutcomePoint] = []
    treated: set[str] = set()
    teachers: dict[str, frozenset[str]] = {}
    for index in range(classes):
        group = f"c{index}"
        is_treated = index % 2 == 0
        if is_treated:
            treated.add(group)
        teachers[group] = frozenset({f"teacher{index // 2}"})
        level = rng.uniform(0.5, 2.0)
        for week in range(-weeks, weeks):
            day = CUTOVER + timedelta(weeks=week)
            trend = 0.02 * week
            shift = effect if is_treated and week >= 0 else 0.0
            value = level + trend + shift + rng.gauss(0, noise)
            points.append(OutcomePoint(group, day, value, pupils=28))
    return points, treated, teachers


@pytest.mark.parametrize("effect", [-0.4, -0.2, 0.3])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_planted_effect_is_recovered_with_its_sign_inside_the_interval(
    effect: float, seed: int
) -> None:
    points, treated, teachers = synthetic(effect, seed=seed)
    summary = difference_in_differences(
        points,
        treated=treated,
        teachers=teachers,
        cutover=CUTOVER,
        measure=OutcomeMeasure.BEHAVIOUR,
    )
    assert not summary.suppressed
    assert summary.estimate is not None
    assert summary.ci_low is not None and summary.ci_high is not None
    assert summary.ci_low <= effect <= summary.ci_high
    # The sign is recovered: the whole interval lies on the effect's side of zero.
    assert (summary.ci_high < 0) if effect < 0 else (summary.ci_low > 0)
    assert summary.treated is not None and summary.treated.groups == 12
    assert summary.caveat == CAVEAT
    assert "Correlation, not causation" in summary.describe()


def test_no_effect_gives_an_interval_around_zero() -> None:
    points, treated, teachers = synthetic(0.0, seed=7)
    summary = difference_in_differences(
        points, treated=treated, teachers=teachers, cutover=CUTOVER, measure=OutcomeMeasure.REWARDS
    )
    assert summary.ci_low is not None and summary.ci_high is not None
    assert summary.ci_low < 0 < summary.ci_high


@pytest.mark.parametrize(
    ("classes", "teachers_per_arm", "reason"),
    [
        (6, None, "fewer than 5 classes"),  # 3 treated classes
        (24, 1, "fewer than 3 teachers"),  # one teacher teaches every treated class
    ],
)
def test_small_groups_are_suppressed_without_numbers(
    classes: int, teachers_per_arm: int | None, reason: str
) -> None:
    points, treated, teachers = synthetic(-0.4, seed=1, classes=classes)
    if teachers_per_arm == 1:
        teachers = {g: frozenset({"solo"}) if g in treated else t for g, t in teachers.items()}
    summary = difference_in_differences(
        points,
        treated=treated,
        teachers=teachers,
        cutover=CUTOVER,
        measure=OutcomeMeasure.BEHAVIOUR,
    )
    assert summary.suppressed
    assert summary.symbol == "c"
    assert (summary.estimate, summary.ci_low, summary.ci_high) == (None, None, None)
    assert summary.treated is None and summary.comparison is None
    assert any(reason in r for r in summary.reasons)
    text = summary.describe()
    assert "c (suppressed" in text and CAVEAT in text


def test_classes_without_weeks_on_both_sides_are_left_out() -> None:
    points, treated, teachers = synthetic(-0.4, seed=1)
    only_before = [p for p in points if not (p.group_id == "c0" and p.week_start >= CUTOVER)]
    summary = difference_in_differences(
        only_before,
        treated=treated,
        teachers=teachers,
        cutover=CUTOVER,
        measure=OutcomeMeasure.BEHAVIOUR,
    )
    assert summary.treated is not None and summary.treated.groups == 11


@pytest.mark.parametrize("df", [1, 2, 3, 4.5, 8, 12, 30, 120])
@pytest.mark.parametrize("p", [0.9, 0.95, 0.975, 0.995])
def test_t_quantile_matches_scipy(df: int, p: float) -> None:
    stats = pytest.importorskip("scipy.stats")
    assert t_quantile(p, df) == pytest.approx(float(stats.t.ppf(p, df)), abs=1e-7)
    assert t_quantile(1 - p, df) == pytest.approx(-t_quantile(p, df))
    assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-9)


def test_rules_refuse_per_teacher_thresholds() -> None:
    with pytest.raises(ValidationError, match="per-teacher"):
        TrendRules(min_teachers=1)
    with pytest.raises(ValidationError, match="min_groups"):
        TrendRules(min_groups=2)


@settings(max_examples=30, deadline=None)
@given(shift=st.floats(min_value=-5, max_value=5), seed=st.integers(0, 1000))
def test_adding_the_same_shift_to_every_class_after_the_cutover_changes_nothing(
    shift: float, seed: int
) -> None:
    """A change common to all classes (a new behaviour policy for everyone) cancels out."""
    points, treated, teachers = synthetic(-0.3, seed=seed)
    moved = [
        OutcomePoint(p.group_id, p.week_start, p.value + shift, p.pupils)
        if p.week_start >= CUTOVER
        else p
        for p in points
    ]
    common = {"treated": treated, "teachers": teachers, "cutover": CUTOVER}
    base = difference_in_differences(points, measure=OutcomeMeasure.BEHAVIOUR, **common)  # type: ignore[arg-type]
    after = difference_in_differences(moved, measure=OutcomeMeasure.BEHAVIOUR, **common)  # type: ignore[arg-type]
    assert base.estimate is not None and after.estimate is not None
    assert after.estimate == pytest.approx(base.estimate, abs=1e-9)


def test_outcome_points_measure_per_pupil_and_homework_share() -> None:
    row = OutcomeAggregate(
        id="x",
        trust_id="t",  # type: ignore[arg-type]
        school_id="s",  # type: ignore[arg-type]
        group_type="class",
        group_id="9X2",
        week_start=CUTOVER,
        pupils=25,
        behaviour_incidents=5,
        reward_points=50,
        homework_set=4,
        homework_completed=3,
    )
    year = attrs.evolve(row, group_type="year", id="y")
    assert outcome_points([row, year], OutcomeMeasure.BEHAVIOUR)[0].value == pytest.approx(0.2)
    assert outcome_points([row], OutcomeMeasure.REWARDS)[0].value == pytest.approx(2.0)
    assert outcome_points([row], OutcomeMeasure.HOMEWORK)[0].value == pytest.approx(75.0)
    assert len(outcome_points([row, year], OutcomeMeasure.BEHAVIOUR)) == 1
