"""The school calendar: shipped England data, overrides, school-day counting, term phrases."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpdcore.calendars import england_default, load_calendar, shipped_calendar
from cpdcore.domain.calendar import (
    CalendarOverrides,
    Closure,
    ClosureKind,
    DateRange,
    DayKind,
    ReferenceKind,
    SchoolCalendar,
    TermName,
    TermOverride,
    apply_overrides,
    calendar_from_dict,
    calendar_to_dict,
    find_time_references,
    parse_term_phrase,
    parse_uk_date,
)
from cpdcore.errors import ValidationError

ENGLAND = england_default()

CUSTOM = calendar_from_dict(
    {
        "name": "Northfield (early start, two-week October break)",
        "years": [
            {
                "academic_year": "2026-27",
                "starts_on": "2026-08-01",
                "ends_on": "2027-07-31",
                "terms": [
                    {
                        "term": "autumn",
                        "starts_on": "2026-08-24",
                        "ends_on": "2026-12-22",
                        "half_term": ["2026-10-12", "2026-10-23"],
                    },
                    {
                        "term": "spring",
                        "starts_on": "2027-01-06",
                        "ends_on": "2027-03-24",
                        "half_term": ["2027-02-08", "2027-02-12"],
                    },
                    {
                        "term": "summer",
                        "starts_on": "2027-04-13",
                        "ends_on": "2027-07-02",
                        "half_term": ["2027-05-24", "2027-05-28"],
                    },
                ],
                "closures": [
                    {"name": "Staff training", "kind": "inset", "starts_on": "2026-08-24",
                     "ends_on": "2026-08-25"},
                ],
                "inset_days": ["2027-01-06", "2027-06-11"],
            }
        ],
    }
)  # fmt: skip


def test_england_default_ships_three_years_of_the_usual_pattern() -> None:
    assert [y.label for y in ENGLAND.years] == ["2025-26", "2026-27", "2027-28"]
    for year in ENGLAND.years:
        assert (year.starts_on.month, year.starts_on.day) == (9, 1)
        assert (year.ends_on.month, year.ends_on.day) == (8, 31)
        autumn, spring, summer = year.terms
        assert [t.name for t in year.terms] == list(TermName)
        assert autumn.starts_on.month == 9 and autumn.ends_on.month == 12
        assert autumn.ends_on.day >= 15
        assert autumn.half_term and autumn.half_term.starts_on.month == 10
        assert autumn.half_term.starts_on.day >= 20
        assert spring.starts_on.month == 1
        assert spring.half_term and spring.half_term.starts_on.month == 2
        assert 10 <= spring.half_term.starts_on.day <= 20
        from dateutil.easter import easter

        assert spring.ends_on < easter(spring.ends_on.year) < summer.starts_on
        assert summer.half_term and summer.half_term.starts_on.month == 5
        assert summer.half_term.starts_on.day >= 24
        assert summer.ends_on.month == 7 and summer.ends_on.day >= 18
        # about 190 teaching days plus INSET days the school adds itself
        assert 185 <= ENGLAND.school_days_between(year.starts_on, year.ends_on) <= 196


def test_unknown_shipped_calendar_names_the_available_ones() -> None:
    with pytest.raises(ValidationError, match="available: england"):
        shipped_calendar("wales")


def test_day_kinds() -> None:
    assert ENGLAND.day_kind(date(2026, 9, 3)) is DayKind.SCHOOL_DAY
    assert ENGLAND.day_kind(date(2026, 9, 5)) is DayKind.WEEKEND
    assert ENGLAND.day_kind(date(2026, 10, 27)) is DayKind.HALF_TERM
    assert ENGLAND.day_kind(date(2026, 12, 23)) is DayKind.HOLIDAY
    assert ENGLAND.day_kind(date(2027, 5, 3)) is DayKind.BANK_HOLIDAY
    assert ENGLAND.day_kind(date(2030, 1, 7)) is DayKind.OUTSIDE_CALENDAR
    assert CUSTOM.day_kind(date(2026, 8, 24)) is DayKind.INSET
    assert CUSTOM.day_kind(date(2027, 6, 11)) is DayKind.INSET
    assert CUSTOM.years[0].inset_days == (
        date(2026, 8, 24),
        date(2026, 8, 25),
        date(2027, 1, 6),
        date(2027, 6, 11),
    )


def test_school_days_between_is_half_open() -> None:
    monday, friday = date(2026, 9, 7), date(2026, 9, 11)
    assert ENGLAND.school_days_between(monday, friday) == 4
    assert ENGLAND.school_days_between(monday, friday + timedelta(1)) == 5
    assert ENGLAND.school_days_between(friday, monday) == -4
    assert ENGLAND.school_days_between(monday, monday) == 0
    # the whole October half term and the weekends around it count nothing
    assert ENGLAND.school_days_between(date(2026, 10, 24), date(2026, 11, 2)) == 0


def _day(start: date, span: int) -> st.SearchStrategy[date]:
    return st.integers(0, span).map(lambda n: start + timedelta(days=n))


CALENDARS = st.sampled_from([ENGLAND, CUSTOM])
DAYS = _day(date(2025, 6, 1), 365 * 4)


@settings(max_examples=300)
@given(CALENDARS, DAYS, DAYS, DAYS)
def test_school_days_between_is_additive(
    calendar: SchoolCalendar, a: date, b: date, c: date
) -> None:
    d = calendar.school_days_between
    assert d(a, b) + d(b, c) == d(a, c)
    assert d(a, b) == -d(b, a)


@settings(max_examples=300)
@given(CALENDARS, DAYS)
def test_a_day_counts_only_if_it_is_a_school_day(calendar: SchoolCalendar, day: date) -> None:
    counted = calendar.school_days_between(day, day + timedelta(days=1))
    kind = calendar.day_kind(day)
    assert counted == (1 if kind is DayKind.SCHOOL_DAY else 0)
    if kind is not DayKind.SCHOOL_DAY:
        assert kind in {
            DayKind.WEEKEND,
            DayKind.HALF_TERM,
            DayKind.HOLIDAY,
            DayKind.INSET,
            DayKind.BANK_HOLIDAY,
            DayKind.OUTSIDE_CALENDAR,
        }


@settings(max_examples=200)
@given(CALENDARS, DAYS, st.integers(0, 400))
def test_never_counts_a_holiday_weekend_or_inset_day(
    calendar: SchoolCalendar, start: date, length: int
) -> None:
    end = start + timedelta(days=length)
    counted = sum(
        calendar.day_kind(start + timedelta(days=n)) is DayKind.SCHOOL_DAY for n in range(length)
    )
    assert calendar.school_days_between(start, end) == counted


def test_a_school_overrides_the_trust_default() -> None:
    overrides = CalendarOverrides(
        name="St Mary's",
        terms=(TermOverride("2026-27", TermName.AUTUMN, starts_on=date(2026, 9, 7)),),
        closures=(
            Closure("INSET: curriculum", date(2026, 9, 7), date(2026, 9, 7), ClosureKind.INSET),
            Closure("INSET: safeguarding", date(2027, 1, 4), date(2027, 1, 4), ClosureKind.INSET),
        ),
        removed_closures=("Early May bank holiday",),
    )
    school = apply_overrides(ENGLAND, overrides)
    assert school.name == "St Mary's"
    assert school.day_kind(date(2026, 9, 3)) is DayKind.HOLIDAY  # term now starts later
    assert school.day_kind(date(2026, 9, 7)) is DayKind.INSET
    assert school.day_kind(date(2027, 1, 4)) is DayKind.INSET
    assert school.day_kind(date(2027, 5, 3)) is DayKind.SCHOOL_DAY
    year = school.year("2026-27")
    base_year = ENGLAND.year("2026-27")
    assert year is not None and base_year is not None
    difference = ENGLAND.school_days_between(
        base_year.starts_on, base_year.ends_on
    ) - school.school_days_between(year.starts_on, year.ends_on)
    # two days lost to the later start, two INSET days, one bank holiday given back
    assert difference == 3
    # the trust default is unchanged
    assert ENGLAND.day_kind(date(2026, 9, 3)) is DayKind.SCHOOL_DAY


def test_overrides_naming_a_missing_year_are_rejected_with_the_path() -> None:
    bad = CalendarOverrides(
        name="Oak", terms=(TermOverride("2031-32", TermName.SPRING, ends_on=date(2032, 4, 1)),)
    )
    with pytest.raises(ValidationError) as caught:
        apply_overrides(ENGLAND, bad)
    assert caught.value.where == "Oak.terms[0]"
    assert "2025-26" in str(caught.value)


def test_a_school_can_add_a_whole_year() -> None:
    year = CUSTOM.years[0]
    moved = attrs.evolve(
        year,
        label="2028-29",
        starts_on=date(2028, 9, 1),
        ends_on=date(2029, 8, 31),
        terms=(),
        closures=(),
    )
    school = apply_overrides(ENGLAND, CalendarOverrides(name="Ash", years=(moved,)))
    assert [y.label for y in school.years][-1] == "2028-29"


def test_calendar_data_round_trips_and_reports_paths(tmp_path: object) -> None:
    assert calendar_from_dict(calendar_to_dict(ENGLAND)) == ENGLAND
    data = calendar_to_dict(ENGLAND)
    data["years"][1]["terms"][0]["ends_on"] = "2026-13-40"
    data["years"][2]["terms"][2]["term"] = "michaelmas"
    with pytest.raises(ValidationError) as caught:
        calendar_from_dict(data)
    wheres = [p.where for p in caught.value.problems]
    assert "calendar.years[1].terms[0].ends_on" in wheres
    assert "calendar.years[2].terms[2].term" in wheres
    assert "accepted: autumn, spring, summer" in str(caught.value)


def test_half_term_must_lie_inside_its_term() -> None:
    with pytest.raises(ValidationError, match="strictly inside"):
        calendar_from_dict(
            {
                "name": "x",
                "years": [
                    {
                        "academic_year": "2026-27",
                        "starts_on": "2026-09-01",
                        "ends_on": "2027-08-31",
                        "terms": [
                            {
                                "term": "autumn",
                                "starts_on": "2026-09-03",
                                "ends_on": "2026-12-18",
                                "half_term": ["2026-12-21", "2026-12-24"],
                            }
                        ],
                    }
                ],
            }
        )


def test_load_calendar_from_a_file(tmp_path: pytest.TempPathFactory) -> None:
    import json
    from pathlib import Path

    path = Path(str(tmp_path)) / "school.json"
    path.write_text(json.dumps(calendar_to_dict(CUSTOM)), encoding="utf-8")
    assert load_calendar(path) == CUSTOM
    path.write_text("{\n  'name': 1\n}", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"school.json:2"):
        load_calendar(path)


REF = date(2026, 9, 1)
REF_SPRING = date(2027, 1, 20)

ENGLAND_PHRASES = [
    # phrase, reference date, expected deadline
    ("by the end of the spring term", REF, date(2027, 3, 25)),
    ("by the end of the Spring term", REF, date(2027, 3, 25)),
    ("by the end of the autumn term", REF, date(2026, 12, 18)),
    ("end of the summer term", REF, date(2027, 7, 21)),
    ("by the end of the Autumn term 2026", REF, date(2026, 12, 18)),
    ("by the end of the autumn term 2027", REF, date(2027, 12, 17)),
    ("by the spring term", REF, date(2027, 3, 25)),
    ("by February half term", REF, date(2027, 2, 14)),
    ("before February half-term", REF, date(2027, 2, 14)),
    ("by October half term", REF, date(2026, 10, 25)),
    ("by May half term", REF, date(2027, 5, 30)),
    ("by the spring half term", REF, date(2027, 2, 14)),
    ("by half term", REF, date(2026, 10, 25)),
    ("by half term", REF_SPRING, date(2027, 2, 14)),
    ("by Easter", REF, date(2027, 3, 25)),
    ("by Easter 2028", REF, date(2028, 4, 7)),
    ("before the Easter holidays", REF, date(2027, 3, 25)),
    ("by Christmas", REF, date(2026, 12, 18)),
    ("by Christmas 2025", REF, date(2025, 12, 19)),
    ("within six weeks", REF, date(2026, 10, 13)),
    ("within 6 weeks", REF_SPRING, date(2027, 3, 3)),
    ("within three months", REF, date(2026, 12, 1)),
    ("within 10 school days", REF, date(2026, 9, 16)),
    ("within two terms", REF, date(2027, 3, 25)),
    ("by the end of the academic year", REF, date(2027, 7, 21)),
    ("by the end of the school year", REF_SPRING, date(2027, 7, 21)),
    ("Spring 2", REF, date(2027, 3, 25)),
    ("Spring 1", REF, date(2027, 2, 14)),
    ("Autumn 1", REF, date(2026, 10, 25)),
    ("summer 2", REF, date(2027, 7, 21)),
    ("by the end of term", REF, date(2026, 12, 18)),
    ("by the end of term", REF_SPRING, date(2027, 3, 25)),
    ("by the end of this term", REF_SPRING, date(2027, 3, 25)),
    ("next term", REF_SPRING, date(2027, 7, 21)),
    ("by March", REF, date(2027, 3, 31)),
    ("by June 2027", REF, date(2027, 6, 30)),
    ("by the end of January 2027", REF, date(2027, 1, 31)),
    ("summer 2027", REF, date(2027, 7, 21)),
    ("31/03/2027", REF, date(2027, 3, 31)),
    ("by 07/09/2027", REF, date(2027, 9, 7)),
    ("31 March 2027", REF, date(2027, 3, 31)),
    ("by 1st Feb 2027", REF, date(2027, 2, 1)),
    ("by the thirty-first of March 2027", REF, date(2027, 3, 31)),
    ("2027-03-31", REF, date(2027, 3, 31)),
    ("by the start of the summer term", REF, date(2027, 4, 12)),
    ("by the summer holidays", REF, date(2027, 7, 21)),
    ("by the end of the first half term", REF, date(2026, 10, 25)),
    ("by the end of the second half term", REF, date(2026, 12, 18)),
    ("by the end of 2026", REF, date(2026, 12, 31)),
    ("by mid-February", REF, date(2027, 2, 28)),
    ("by the summer exams", REF, date(2027, 7, 21)),
    ("by Feb half term", REF, date(2027, 2, 14)),
]


@pytest.mark.parametrize(("phrase", "reference", "expected"), ENGLAND_PHRASES)
def test_term_phrases_for_the_england_default(phrase: str, reference: date, expected: date) -> None:
    assert parse_term_phrase(phrase, ENGLAND, reference) == expected


CUSTOM_PHRASES = [
    ("by the end of the autumn term", date(2026, 8, 3), date(2026, 12, 22)),
    ("by October half term", date(2026, 8, 3), date(2026, 10, 11)),
    ("by half term", date(2026, 11, 2), date(2027, 2, 7)),
    ("by February half term", date(2026, 8, 3), date(2027, 2, 7)),
    ("by the end of the spring term", date(2026, 8, 3), date(2027, 3, 24)),
    ("by Easter", date(2026, 8, 3), date(2027, 3, 24)),
    ("by Christmas", date(2026, 8, 3), date(2026, 12, 22)),
    ("Spring 1", date(2026, 8, 3), date(2027, 2, 7)),
    ("Summer 2", date(2026, 8, 3), date(2027, 7, 2)),
    ("by the end of the academic year", date(2027, 1, 10), date(2027, 7, 2)),
    ("by May half term", date(2026, 8, 3), date(2027, 5, 23)),
    ("by the end of term", date(2027, 4, 20), date(2027, 7, 2)),
    ("within 5 school days", date(2027, 1, 4), date(2027, 1, 13)),
    ("within six weeks", date(2026, 8, 3), date(2026, 9, 14)),
    ("31 March 2027", date(2026, 8, 3), date(2027, 3, 31)),
]


@pytest.mark.parametrize(("phrase", "reference", "expected"), CUSTOM_PHRASES)
def test_term_phrases_for_a_custom_calendar(phrase: str, reference: date, expected: date) -> None:
    assert parse_term_phrase(phrase, CUSTOM, reference) == expected


@pytest.mark.parametrize("phrase", ["soon", "this year", "by the end of the cycle", "Year 7"])
def test_unknown_phrases_are_rejected_naming_what_is_accepted(phrase: str) -> None:
    with pytest.raises(ValidationError, match="accepted: a date"):
        parse_term_phrase(phrase, ENGLAND, REF)


def test_a_term_the_calendar_lacks_is_an_error_naming_the_years() -> None:
    with pytest.raises(ValidationError, match="2025-26, 2026-27, 2027-28"):
        parse_term_phrase("by the end of the spring term", ENGLAND, date(2031, 9, 1))


def test_easter_and_christmas_fall_back_to_the_festival_outside_the_data() -> None:
    assert parse_term_phrase("by Easter", ENGLAND, date(2031, 9, 1)) == date(2032, 3, 25)
    assert parse_term_phrase("by Christmas", ENGLAND, date(2031, 9, 1)) == date(2031, 12, 24)


def test_find_time_references_gives_spans_and_ignores_labels() -> None:
    text = (
        "Use cold calling with Year 9 set 3 in at least 4 of 6 lessons, checked in March "
        "and May, by the end of the Spring term; pupils may improve."
    )
    found = find_time_references(text, ENGLAND, REF)
    assert [r.text for r in found] == ["in March", "end of the Spring term"]
    assert all(text[r.start : r.end] == r.text for r in found)
    assert found[1].kind is ReferenceKind.TERM
    assert found[1].on == date(2027, 3, 25)


def test_relative_phrases_without_a_reference_are_found_but_undated() -> None:
    found = find_time_references("within six weeks, by Easter, by 31/03/2027", ENGLAND, None)
    assert [r.on for r in found] == [None, None, date(2027, 3, 31)]


def test_parse_uk_date() -> None:
    assert parse_uk_date("07/09/2027") == date(2027, 9, 7)
    assert parse_uk_date("2027-09-07") == date(2027, 9, 7)
    assert parse_uk_date("7 September 2027") == date(2027, 9, 7)
    with pytest.raises(ValidationError, match="DD/MM/YYYY"):
        parse_uk_date("31/02/2027")


def test_date_range_rejects_end_before_start() -> None:
    with pytest.raises(ValidationError, match="before it starts"):
        DateRange(date(2027, 1, 2), date(2027, 1, 1))
