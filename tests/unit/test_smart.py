"""The SMART validator: rubric rules letter by letter, plugin merging, laws and agreement."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpdcore.calendars import england_default
from cpdcore.domain.smart import (
    RULES,
    Criterion,
    Finding,
    Letter,
    Overall,
    SmartCheck,
    SmartContext,
    Span,
    Verdict,
    assess,
)

CALENDAR = england_default()
DEV_SET = Path(__file__).resolve().parent.parent / "data" / "smart_objectives_dev.csv"


def ctx(sip: Iterable[str] = ("SIP-READING",), standards: Iterable[str] = ("TS2",), **kw: object):  # type: ignore[no-untyped-def]
    base: dict[str, object] = {
        "cycle_start": date(2026, 9, 1),
        "cycle_end": date(2027, 7, 31),
        "calendar": CALENDAR,
        "sip_priorities": tuple(sip),
        "standards": tuple(standards),
    }
    base.update(kw)
    return SmartContext(**base)  # type: ignore[arg-type]


def verdicts(text: str, context: SmartContext | None = None) -> str:
    result = assess(text, context or ctx())
    return "".join(result[letter].verdict.value[0] for letter in Letter)


# --- one table per letter: (text, expected verdict, expected rule) ------------------------

S_CASES = [
    ("Use cold calling with Year 9 by Easter.", "PASS", "S-specific"),
    ("Deliver three twilight CPD sessions by Easter.", "WARN", "S-no-group"),
    ("Improve outcomes for my Year 10 geography class.", "WARN", "S-generic-action"),
    ("Raise the percentage of pupils on track from 62% to 70% by July 2027.", "WARN", "S-no-group"),
    ("Improve my teaching.", "FAIL", "S-vague-aspiration"),
    (
        "Improve my teaching so that 3 of 4 observations are effective.",
        "FAIL",
        "S-vague-aspiration",
    ),
    ("Increase the reading fluency of pupils in Year 3.", "PASS", "S-specific"),
    ("Y11 Eng Lang – 65% at grade 4+ in the March 2027 mocks.", "PASS", "S-specific"),
    ("Run a half marathon in under two hours by April 2027.", "WARN", "S-personal-concrete"),
    ("Lose weight.", "FAIL", "S-personal-vague"),
    ("Run a book club for 10 Year 7 readers by Easter.", "PASS", "S-specific"),
]

M_CASES = [
    ("Use hinge questions with Year 9 so 80% answer correctly.", "PASS",
     "M-quantitative-target"),
    ("Embed think-pair-share in Year 5, monitored through book looks.", "WARN",
     "M-measure-without-target"),
    ("Use bilingual glossaries with EAL learners in Year 8.", "FAIL", "M-nothing-to-count"),
    ("Improve Year 7 and Year 8 questioning in line with TS2 and TS4.", "FAIL",
     "M-nothing-to-count"),
    ("Support 9X3 and 4C in KS3 during Spring 2.", "FAIL", "M-nothing-to-count"),
    ("Every student will get an A* in June 2027.", "PASS", "M-quantitative-target"),
    ("Deliver three sessions.", "PASS", "M-quantitative-target"),
    ("Use a seven-step model with 20-mark answers in Year 10.", "FAIL", "M-nothing-to-count"),
]  # fmt: skip

A_CASES = [
    ("Raise attendance from 84% to 90%.", "PASS", "A-achievable"),
    ("Raise completion from 45% to 75%.", "PASS", "A-achievable"),
    ("Raise completion from 35% to 75%.", "WARN", "A-change-over-30-points"),
    ("Raise completion from 20% to 80%.", "WARN", "A-change-over-30-points"),
    ("Raise completion from 15% to 85%.", "FAIL", "A-change-over-60-points"),
    ("Cut non-completion from 70% to 5%.", "FAIL", "A-change-over-60-points"),
    ("At least 70 per cent will pass, up from 58 per cent.", "PASS", "A-achievable"),
    ("65% at grade 4+ (baseline 20%).", "WARN", "A-change-over-30-points"),
    ("Narrow the gap from 18 percentage points to 10.", "PASS", "A-achievable"),
    ("Get 110% of pupils to submit.", "FAIL", "A-percentage-over-100"),
    ("All pupils in my Year 11 set will achieve grade 9.", "FAIL", "A-absurd-top-grade"),
    ("Reduce incidents to zero across the whole school.", "FAIL", "A-absurd-zero-everywhere"),
    ("Not one incident anywhere in the school.", "FAIL", "A-absurd-zero-everywhere"),
    ("Greet Year 8 at the door in every lesson.", "WARN", "A-absolute"),
    ("100% of my class will bring a book.", "WARN", "A-absolute"),
    ("Ensure no child in Year 2 reads above their phase.", "WARN", "A-absolute"),
    ("Always use the silent start.", "WARN", "A-absolute"),
    ("No more than 4 pupils below the standard.", "PASS", "A-achievable"),
    ("Use no hands up questioning.", "PASS", "A-achievable"),
    ("Raise the count from 4 to 60 pupils.", "PASS", "A-achievable"),
    ("By 31 July 2026, run four sessions.", "FAIL", "A-deadline-before-cycle"),
]


@pytest.mark.parametrize(("text", "verdict", "rule"), S_CASES)
def test_specific(text: str, verdict: str, rule: str) -> None:
    found = assess(text, ctx())[Letter.S]
    assert (found.verdict.value, found.rule) == (verdict, rule)


@pytest.mark.parametrize(("text", "verdict", "rule"), M_CASES)
def test_measurable(text: str, verdict: str, rule: str) -> None:
    found = assess(text, ctx())[Letter.M]
    assert (found.verdict.value, found.rule) == (verdict, rule)


@pytest.mark.parametrize(("text", "verdict", "rule"), A_CASES)
def test_achievable(text: str, verdict: str, rule: str) -> None:
    found = assess(text, ctx())[Letter.A]
    assert (found.verdict.value, found.rule) == (verdict, rule)


def test_structured_criteria_count_as_measurable_even_for_vague_text() -> None:
    context = ctx(
        success_criteria=(Criterion("pupils at ARE", Decimal(75), Decimal(62), "percentage"),)
    )
    found = assess("Improve reading in Year 4.", context)
    assert found[Letter.M].rule == "M-structured-criteria"
    assert found[Letter.M].verdict is Verdict.PASS


def test_structured_criteria_feed_the_achievable_rules() -> None:
    impossible = ctx(success_criteria=(Criterion("x", Decimal(104), None, "percentage"),))
    assert assess("Raise attendance in Year 4.", impossible)[Letter.A].rule == (
        "A-percentage-over-100"
    )
    leap = ctx(success_criteria=(Criterion("x", Decimal(90), Decimal(20), "percentage"),))
    assert assess("Raise attendance in Year 4.", leap)[Letter.A].rule == "A-change-over-60-points"


@pytest.mark.parametrize(
    ("sip", "standards", "text", "verdict", "rule"),
    [
        (("SIP-READING",), (), "Use phonics with Year 1.", "PASS", "R-linked"),
        ((), ("TS5",), "Use phonics with Year 1.", "PASS", "R-linked"),
        ((), (), "Use phonics with Year 1.", "WARN", "R-no-link"),
        ((), (), "Use phonics with Year 1 (TS6).", "WARN", "R-standard-in-text-only"),
        (("SIP-WELLBEING",), ("TS8",), "Swim 40 lengths by Easter.", "FAIL", "R-personal-goal"),
        ((), (), "Save £3,000 towards a new car.", "FAIL", "R-personal-goal"),
    ],
)
def test_relevant(
    sip: tuple[str, ...], standards: tuple[str, ...], text: str, verdict: str, rule: str
) -> None:
    found = assess(text, ctx(sip, standards))[Letter.R]
    assert (found.verdict.value, found.rule) == (verdict, rule)


@pytest.mark.parametrize(
    ("text", "cycle", "verdict", "rule"),
    [
        ("Use it by the end of the Spring term.", None, "PASS", "T-deadline-in-cycle"),
        ("Use it by 31/03/2027.", None, "PASS", "T-deadline-in-cycle"),
        ("Use it by 07/09/2027.", None, "WARN", "T-after-cycle"),
        ("Use it by 31 August 2027.", None, "WARN", "T-after-cycle"),
        ("Use it by September 2027.", None, "WARN", "T-after-cycle"),
        ("Use it by 15/07/2026.", None, "WARN", "T-before-cycle"),
        ("Use it by Easter 2027.", (date(2027, 9, 1), date(2028, 7, 31)), "WARN", "T-before-cycle"),
        ("Use it within six weeks.", None, "PASS", "T-deadline-in-cycle"),
        ("Use it by February half term.", None, "PASS", "T-deadline-in-cycle"),
        ("Use it by Spring 2.", None, "PASS", "T-deadline-in-cycle"),
        ("Use it by the end of the academic year.", None, "PASS", "T-cycle-end"),
        ("Use it by the end of the summer term.", None, "PASS", "T-cycle-end"),
        ("Use it by the end of the cycle.", None, "PASS", "T-cycle-end"),
        ("Use it before my mid-year review.", None, "PASS", "T-time-reference"),
        ("Use it this year.", None, "WARN", "T-vague"),
        ("Use it regularly.", None, "WARN", "T-vague"),
        ("Use it, going forward.", None, "WARN", "T-vague"),
        ("Use it with Year 7 in KS3.", None, "FAIL", "T-no-time-reference"),
        (
            "Use it by the end of the Spring term.",
            (date(2026, 1, 5), date(2026, 12, 18)),
            "PASS",
            "T-deadline-in-cycle",
        ),
        ("Use it by July 2027.", (date(2026, 1, 5), date(2026, 12, 18)), "WARN", "T-after-cycle"),
    ],
)
def test_time_bound(text: str, cycle: tuple[date, date] | None, verdict: str, rule: str) -> None:
    context = ctx() if cycle is None else ctx(cycle_start=cycle[0], cycle_end=cycle[1])
    found = assess(text, context)[Letter.T]
    assert (found.verdict.value, found.rule) == (verdict, rule)


def test_without_cycle_dates_t_only_checks_a_time_reference_exists() -> None:
    bare = SmartContext(calendar=CALENDAR)
    assert assess("Use it by 07/09/2030.", bare)[Letter.T].rule == "T-time-reference"
    assert assess("Use it by Easter.", bare)[Letter.T].verdict is Verdict.PASS
    assert assess("Use it soon.", bare)[Letter.T].verdict is Verdict.WARN
    assert assess("Use it.", bare)[Letter.T].verdict is Verdict.FAIL


def test_the_suggestion_quotes_the_dates_in_uk_format() -> None:
    found = assess("Finish by 30/09/2027.", ctx())[Letter.T]
    assert found.suggestion == (
        "The deadline 30/09/2027 is after the cycle ends on 31/07/2027; choose a date on or "
        "before 31/07/2027."
    )


def test_two_objectives_in_one_text_take_the_weaker_part() -> None:
    result = assess(
        "Lift the Year 4 tables check average from 17 to 21 out of 25 by June 2027. "
        "Also lead the school's maths fluency CPD.",
        ctx(),
    )
    assert result[Letter.M].verdict is Verdict.FAIL
    assert result[Letter.T].verdict is Verdict.FAIL
    assert result[Letter.T].span.text == "Also lead the school's maths fluency CPD."
    assert result.overall is Overall.NOT_SMART


def test_overall_is_not_smart_exactly_when_a_letter_fails() -> None:
    good = assess(
        "By the end of the spring term, use cold calling in 4 of 6 observed Year 9 lessons.",
        ctx(),
    )
    assert good.overall is Overall.SMART
    assert verdicts("Improve my teaching.") == "FFPPF"
    assert assess("Improve my teaching.", ctx()).overall is Overall.NOT_SMART


def test_rule_ids_are_documented_and_unique() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for r in RULES:
        assert r.id.startswith(r.letter.value + "-")
        assert r.checks
        assert (r.verdict is Verdict.PASS) == (not r.suggestion)
    docs = Path(__file__).resolve().parents[2] / "docs" / "reference" / "smart-rules.md"
    text = docs.read_text(encoding="utf-8")
    assert all(f"`{r.id}`" in text for r in RULES)


# --- plugins ---------------------------------------------------------------------------


class NamesPupilGroup:
    """A school's rule: every objective names a pupil group."""

    name = "names-pupil-group"

    def check(self, text: str, context: SmartContext) -> Iterable[Finding]:
        if "year" in text.lower():
            return [Finding(Letter.S, Verdict.PASS, "school-S1", "names a year", Span.whole(text))]
        return [
            Finding(
                Letter.S,
                Verdict.FAIL,
                "school-S1",
                "our school asks every objective to name a pupil group",
                Span.whole(text),
                suggestion="Name the year group or class.",
            )
        ]


class LazyCheck:
    name = "lazy"

    def check(self, text: str, context: SmartContext) -> Iterable[Finding]:
        return [Finding(Letter.T, Verdict.WARN, "lazy-T", "no reason", Span(999, 1000, "x"))]


def test_a_plugin_check_can_make_a_letter_worse_and_is_named() -> None:
    check: SmartCheck = NamesPupilGroup()
    assert isinstance(check, SmartCheck)
    text = "Deliver three twilight CPD sessions by Easter."
    result = assess(text, ctx(), checks=[check])
    assert result[Letter.S].verdict is Verdict.FAIL
    assert result[Letter.S].source == "names-pupil-group"
    assert "from plugin names-pupil-group" in result[Letter.S].explanation
    assert result[Letter.S].considered[0].rule == "S-no-group"
    assert result.overall is Overall.NOT_SMART


def test_a_plugin_cannot_improve_a_letter() -> None:
    result = assess("Improve my teaching in Year 9.", ctx(), checks=[NamesPupilGroup()])
    assert result[Letter.S].source == "cpdcore"
    assert result[Letter.S].verdict is Verdict.WARN
    assert any(f.source == "names-pupil-group" for f in result[Letter.S].considered)


def test_plugin_findings_get_a_valid_span_and_a_suggestion() -> None:
    result = assess("Use cold calling with Year 9 by Easter.", ctx(), checks=[LazyCheck()])
    decided = result[Letter.T]
    assert decided.source == "lazy"
    assert decided.span == Span.whole(result.text)
    assert decided.suggestion


# --- laws --------------------------------------------------------------------------------


def _dev_rows() -> list[dict[str, str]]:
    with DEV_SET.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _row_context(row: dict[str, str]) -> SmartContext:
    return SmartContext(
        cycle_start=date.fromisoformat(row["cycle_start"]),
        cycle_end=date.fromisoformat(row["cycle_end"]),
        calendar=CALENDAR,
        sip_priorities=tuple(row["linked_sip"].split(";")),
        standards=tuple(row["linked_standards"].split(";")),
    )


def test_every_fail_and_warn_has_a_suggestion_and_every_explanation_names_its_span() -> None:
    for row in _dev_rows():
        result = assess(row["text"], _row_context(row))
        for letter in result.letters:
            span = letter.span
            assert result.text[span.start : span.end] == span.text
            assert span.describe() in letter.explanation
            assert f"chars {span.start}-{span.end}" in letter.explanation
            if letter.verdict is not Verdict.PASS:
                assert letter.suggestion.strip(), (row["id"], letter.rule)
                assert letter.suggestion in letter.explanation


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=5000))
def test_never_raises_on_arbitrary_unicode(text: str) -> None:
    result = assess(text, ctx())
    assert len(result.letters) == 5
    for letter in result.letters:
        assert result.text[letter.span.start : letter.span.end] == letter.span.text
        assert letter.verdict is Verdict.PASS or letter.suggestion


_VOCABULARY = (
    "by Easter 31/03/2027 from 45% to 75% Year 9 set 3 all pupils never 110% TS2 KS3 "
    "Spring 2 within six weeks the end of the spring term half marathon improve my teaching "
    "cold calling book looks Also. ; , 2027 March May zero across the whole school grade 9 "
    "A* 0% 18/20 9X3 thirty-first of"
)
WORDS = st.sampled_from(_VOCABULARY.split())


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=60).map(" ".join))
def test_never_raises_on_school_words_in_any_order(text: str) -> None:
    first = assess(text, ctx())
    assert assess(text, ctx()) == first  # deterministic


def test_agreement_with_the_labelled_dev_set() -> None:
    rows = _dev_rows()
    results = [assess(row["text"], _row_context(row)) for row in rows]
    letters = [letter.value for letter in Letter]
    overall = sum(r.overall.value == row["overall"] for r, row in zip(results, rows, strict=True))
    assert overall / len(rows) >= 0.96
    for letter in letters:
        agree = sum(
            r[letter].verdict.value == row[letter] for r, row in zip(results, rows, strict=True)
        )
        assert agree / len(rows) >= 0.92, letter
    all_five = sum(
        all(r[k].verdict.value == row[k] for k in letters)
        for r, row in zip(results, rows, strict=True)
    )
    assert all_five / len(rows) >= 0.85
