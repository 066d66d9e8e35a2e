"""The school calendar: academic years, terms, half terms, holidays and INSET days.

A :class:`SchoolCalendar` holds the dated academic years a school works to. A trust keeps one
default calendar and each school may override parts of it (its own INSET days, a term that
starts a day later); :func:`apply_overrides` builds the school's calendar from the base and
its :class:`CalendarOverrides`. The England default pattern ships as data
(``cpdcore/data/calendars/england.json``, loaded by :mod:`cpdcore.calendars`); this module
only turns parsed data into values (:func:`calendar_from_dict`) and never reads files.

Two questions are answered here:

* :meth:`SchoolCalendar.school_days_between` counts school days in the half-open range
  ``[a, b)``: ``a`` is counted, ``b`` is not. That makes it additive,
  ``d(a, b) + d(b, c) == d(a, c)`` for any three dates, and ``d(b, a) == -d(a, b)``.
  Weekends, half terms, holidays, bank holidays, INSET days and days outside every loaded
  academic year are never counted.
* :func:`find_time_references` and :func:`parse_term_phrase` turn the phrases schools
  write ("by the end of the spring term", "by February half term", "by Easter",
  "within six weeks", "Spring 2", "31/03/2027", "31 March 2027") into dates for a given
  calendar and a reference date. Nothing here reads a clock: the reference date is passed.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import attrs
from dateutil.easter import easter
from dateutil.relativedelta import relativedelta

from cpdcore.domain.identifiers import SchoolId, TrustId
from cpdcore.domain.line_management import parse_academic_year
from cpdcore.domain.timestamps import aware_utc
from cpdcore.errors import Problem, ValidationError

__all__ = [
    "AcademicYear",
    "CalendarOverrides",
    "CalendarSetting",
    "Closure",
    "ClosureKind",
    "DateRange",
    "DayKind",
    "ReferenceKind",
    "SchoolCalendar",
    "Term",
    "TermName",
    "TermOverride",
    "TimeReference",
    "apply_overrides",
    "calendar_from_dict",
    "calendar_to_dict",
    "overrides_from_dict",
    "find_time_references",
    "parse_term_phrase",
    "parse_uk_date",
]


class TermName(enum.Enum):
    """The three terms of the English school year, in order."""

    AUTUMN = "autumn"
    SPRING = "spring"
    SUMMER = "summer"


class ClosureKind(enum.Enum):
    """Why a school is closed on days that fall inside a term."""

    INSET = "inset"
    BANK_HOLIDAY = "bank_holiday"
    HOLIDAY = "holiday"
    OTHER = "other"


class DayKind(enum.Enum):
    """What a date is for a school: the answer of :meth:`SchoolCalendar.day_kind`."""

    SCHOOL_DAY = "school_day"
    WEEKEND = "weekend"
    HALF_TERM = "half_term"
    HOLIDAY = "holiday"
    INSET = "inset"
    BANK_HOLIDAY = "bank_holiday"
    CLOSURE = "closure"
    OUTSIDE_CALENDAR = "outside_calendar"


def _range_problem(starts_on: date, ends_on: date, what: str) -> Problem | None:
    if ends_on < starts_on:
        return Problem(
            what, f"ends on {ends_on}, before it starts on {starts_on}; end must be on or after"
        )
    return None


@attrs.frozen
class DateRange:
    """Consecutive days from ``starts_on`` to ``ends_on``, both included."""

    starts_on: date
    ends_on: date

    def __attrs_post_init__(self) -> None:
        problem = _range_problem(self.starts_on, self.ends_on, "date range")
        if problem:
            raise ValidationError([problem])

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.starts_on <= day <= self.ends_on

    def days(self) -> Iterator[date]:
        """Every date of the range, in order."""
        day = self.starts_on
        while day <= self.ends_on:
            yield day
            day += timedelta(days=1)


@attrs.frozen
class Term:
    """One term: its first and last day of teaching and its half-term break (inclusive)."""

    name: TermName
    starts_on: date
    ends_on: date
    half_term: DateRange | None = None

    def __attrs_post_init__(self) -> None:
        problems = [p for p in [_range_problem(self.starts_on, self.ends_on, "term")] if p]
        if self.half_term is not None and not (
            self.starts_on < self.half_term.starts_on <= self.half_term.ends_on < self.ends_on
        ):
            problems.append(
                Problem(
                    "half_term",
                    f"{self.half_term.starts_on}..{self.half_term.ends_on} must fall strictly "
                    f"inside the {self.name.value} term {self.starts_on}..{self.ends_on}",
                )
            )
        if problems:
            raise ValidationError(problems)

    @property
    def first_half_ends_on(self) -> date:
        """Last day of the first half ("Autumn 1"): the day before half term, or term end."""
        if self.half_term is None:
            return self.ends_on
        return self.half_term.starts_on - timedelta(days=1)

    @property
    def second_half_starts_on(self) -> date:
        """First day of the second half ("Autumn 2")."""
        if self.half_term is None:
            return self.starts_on
        return self.half_term.ends_on + timedelta(days=1)

    def contains(self, day: date) -> bool:
        """True if ``day`` lies between the term's first and last day (breaks included)."""
        return self.starts_on <= day <= self.ends_on

    def calendar_year(self) -> int:
        """The calendar year the term mostly falls in (autumn 2026, spring 2027)."""
        return self.starts_on.year


@attrs.frozen
class Closure:
    """Days inside a term when the school is closed: INSET days, bank holidays, others."""

    name: str
    starts_on: date
    ends_on: date
    kind: ClosureKind = ClosureKind.OTHER

    def __attrs_post_init__(self) -> None:
        problem = _range_problem(self.starts_on, self.ends_on, f"closure {self.name!r}")
        if problem:
            raise ValidationError([problem])

    def covers(self, day: date) -> bool:
        """True if the school is closed on ``day`` because of this closure."""
        return self.starts_on <= day <= self.ends_on


@attrs.frozen
class AcademicYear:
    """One academic year (``2026-27``): its span, its terms in order and its closures.

    Days between terms are holidays; days in a term's half-term range are half term.
    """

    label: str
    starts_on: date
    ends_on: date
    terms: tuple[Term, ...]
    closures: tuple[Closure, ...] = ()

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        try:
            parse_academic_year(self.label, "academic_year")
        except ValidationError as exc:
            problems.extend(exc.problems)
        problem = _range_problem(self.starts_on, self.ends_on, "academic year")
        if problem:
            problems.append(problem)
        previous: Term | None = None
        for index, term in enumerate(self.terms):
            if not (self.starts_on <= term.starts_on and term.ends_on <= self.ends_on):
                problems.append(
                    Problem(
                        f"terms[{index}]",
                        f"{term.name.value} term {term.starts_on}..{term.ends_on} lies outside "
                        f"the academic year {self.starts_on}..{self.ends_on}",
                    )
                )
            if previous is not None and term.starts_on <= previous.ends_on:
                problems.append(
                    Problem(f"terms[{index}]", "terms must be listed in order and not overlap")
                )
            previous = term
        if problems:
            raise ValidationError(problems)

    @property
    def inset_days(self) -> tuple[date, ...]:
        """Every INSET (training) day of the year, in order."""
        return tuple(
            day
            for c in self.closures
            if c.kind is ClosureKind.INSET
            for day in DateRange(c.starts_on, c.ends_on).days()
        )

    def term(self, name: TermName) -> Term | None:
        """The term called ``name`` in this year, if the year has one."""
        return next((t for t in self.terms if t.name is name), None)

    def contains(self, day: date) -> bool:
        """True if ``day`` falls within the academic year."""
        return self.starts_on <= day <= self.ends_on

    def day_kind(self, day: date) -> DayKind:
        """What ``day`` is for a school following this year's dates."""
        if not self.contains(day):
            return DayKind.OUTSIDE_CALENDAR
        if day.weekday() >= 5:
            return DayKind.WEEKEND
        term = next((t for t in self.terms if t.contains(day)), None)
        if term is None:
            return DayKind.HOLIDAY
        if term.half_term is not None and day in term.half_term:
            return DayKind.HALF_TERM
        closure = next((c for c in self.closures if c.covers(day)), None)
        if closure is not None:
            return {
                ClosureKind.INSET: DayKind.INSET,
                ClosureKind.BANK_HOLIDAY: DayKind.BANK_HOLIDAY,
                ClosureKind.HOLIDAY: DayKind.HOLIDAY,
                ClosureKind.OTHER: DayKind.CLOSURE,
            }[closure.kind]
        return DayKind.SCHOOL_DAY


def _school_day_ordinals(years: Sequence[AcademicYear]) -> tuple[int, ...]:
    ordinals = {
        day.toordinal()
        for year in years
        for term in year.terms
        for day in DateRange(term.starts_on, term.ends_on).days()
        if year.day_kind(day) is DayKind.SCHOOL_DAY
    }
    return tuple(sorted(ordinals))


def _sorted_years(years: Iterable[AcademicYear]) -> tuple[AcademicYear, ...]:
    return tuple(sorted(years, key=lambda y: y.starts_on))


@attrs.frozen
class SchoolCalendar:
    """The dated academic years a school (or a trust, as default) works to.

    Years must not overlap. School days are pre-computed once, so counting is a binary
    search, not a walk through every date.
    """

    name: str
    years: tuple[AcademicYear, ...] = attrs.field(converter=_sorted_years)
    _school_days: tuple[int, ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        for before, after in zip(self.years, self.years[1:], strict=False):
            if after.starts_on <= before.ends_on:
                raise ValidationError.single(
                    "years",
                    f"academic years {before.label} and {after.label} overlap; each day may "
                    "belong to one academic year only",
                )
        # Frozen class: the cache is derived from the fields, set once here.
        object.__setattr__(self, "_school_days", _school_day_ordinals(self.years))

    def year_of(self, day: date) -> AcademicYear | None:
        """The academic year containing ``day``, or ``None`` if the calendar has none."""
        return next((y for y in self.years if y.contains(day)), None)

    def year(self, label: str) -> AcademicYear | None:
        """The academic year labelled ``label`` (``2026-27``), if loaded."""
        return next((y for y in self.years if y.label == label), None)

    def day_kind(self, day: date) -> DayKind:
        """What ``day`` is: a school day, weekend, half term, holiday, INSET day…"""
        year = self.year_of(day)
        return DayKind.OUTSIDE_CALENDAR if year is None else year.day_kind(day)

    def is_school_day(self, day: date) -> bool:
        """True if pupils are taught on ``day``."""
        index = bisect.bisect_left(self._school_days, day.toordinal())
        return index < len(self._school_days) and self._school_days[index] == day.toordinal()

    def school_days_between(self, a: date, b: date) -> int:
        """School days in ``[a, b)``: ``a`` counts, ``b`` does not; negative when ``b < a``.

        Additive for any three dates: ``d(a, b) + d(b, c) == d(a, c)``.
        """
        lo = bisect.bisect_left(self._school_days, a.toordinal())
        hi = bisect.bisect_left(self._school_days, b.toordinal())
        return hi - lo

    def add_school_days(self, start: date, count: int) -> date | None:
        """The ``count``-th school day after ``start`` (``start`` not counted), if known."""
        index = bisect.bisect_right(self._school_days, start.toordinal()) + count - 1
        if count < 1 or index >= len(self._school_days):
            return None
        return date.fromordinal(self._school_days[index])

    def last_school_day_before(self, day: date) -> date | None:
        """The last school day strictly before ``day``, if the calendar has one."""
        index = bisect.bisect_left(self._school_days, day.toordinal())
        return date.fromordinal(self._school_days[index - 1]) if index else None

    def terms(self) -> Iterator[tuple[AcademicYear, Term]]:
        """Every term of every year, in date order."""
        for year in self.years:
            for term in year.terms:
                yield year, term


# --- building a school's calendar from a base plus overrides ------------------------------


@attrs.frozen
class TermOverride:
    """A school's own dates for one term of one academic year; ``None`` keeps the base."""

    academic_year: str
    term: TermName
    starts_on: date | None = None
    ends_on: date | None = None
    half_term: DateRange | None = None


@attrs.frozen
class CalendarOverrides:
    """What a school changes in the trust's default calendar.

    ``terms`` move term dates; ``closures`` add INSET days and other closures;
    ``removed_closures`` drops base closures by name (e.g. a trust-wide INSET day the school
    does not take); ``years`` replace whole academic years (or add years the base lacks).
    """

    name: str
    terms: tuple[TermOverride, ...] = ()
    closures: tuple[Closure, ...] = ()
    removed_closures: tuple[str, ...] = ()
    years: tuple[AcademicYear, ...] = ()


def apply_overrides(base: SchoolCalendar, overrides: CalendarOverrides) -> SchoolCalendar:
    """The school's calendar: ``base`` with ``overrides`` applied; ``base`` is unchanged.

    Raises ``ValidationError`` naming the override when it refers to a year or term the
    calendar does not have, or when the result is not a valid calendar.
    """
    replaced = {y.label: y for y in overrides.years}
    years = {y.label: replaced.get(y.label, y) for y in base.years}
    years.update({label: y for label, y in replaced.items() if label not in years})
    problems: list[Problem] = []
    for index, change in enumerate(overrides.terms):
        where = f"{overrides.name}.terms[{index}]"
        year = years.get(change.academic_year)
        term = year.term(change.term) if year else None
        if year is None or term is None:
            problems.append(
                Problem(
                    where,
                    f"no {change.term.value} term in academic year {change.academic_year!r}; "
                    f"the calendar has: {', '.join(sorted(years)) or 'no years'}",
                )
            )
            continue
        new_term = attrs.evolve(
            term,
            starts_on=change.starts_on or term.starts_on,
            ends_on=change.ends_on or term.ends_on,
            half_term=change.half_term or term.half_term,
        )
        years[year.label] = attrs.evolve(
            year, terms=tuple(new_term if t is term else t for t in year.terms)
        )
    if problems:
        raise ValidationError(problems)
    removed = set(overrides.removed_closures)
    result: list[AcademicYear] = []
    for year in years.values():
        added = tuple(
            c for c in overrides.closures if year.starts_on <= c.starts_on <= year.ends_on
        )
        kept = tuple(c for c in year.closures if c.name not in removed)
        result.append(attrs.evolve(year, closures=kept + added))
    outside = [c for c in overrides.closures if not any(y.contains(c.starts_on) for y in result)]
    if outside:
        raise ValidationError(
            Problem(f"{overrides.name}.closures", f"{c.name!r} on {c.starts_on} is in no year")
            for c in outside
        )
    return SchoolCalendar(name=overrides.name, years=tuple(result))


# --- parsed data (JSON) to values -------------------------------------------------------


def _date(value: object, where: str, problems: list[Problem]) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(Problem(where, f"{value!r} is not a date; write it as YYYY-MM-DD"))
    return None


def _enum(kind: type[enum.Enum], value: object, where: str, problems: list[Problem]) -> Any:
    try:
        return kind(value)
    except ValueError:
        accepted = ", ".join(str(m.value) for m in kind)
        problems.append(Problem(where, f"{value!r} is not accepted; accepted: {accepted}"))
        return None


def _term_from_dict(data: Mapping[str, Any], where: str, problems: list[Problem]) -> Term | None:
    name = _enum(TermName, data.get("term"), f"{where}.term", problems)
    starts = _date(data.get("starts_on"), f"{where}.starts_on", problems)
    ends = _date(data.get("ends_on"), f"{where}.ends_on", problems)
    half: DateRange | None = None
    raw_half = data.get("half_term")
    if raw_half is not None:
        if not (isinstance(raw_half, Sequence) and len(raw_half) == 2):
            problems.append(Problem(f"{where}.half_term", "write it as [first day, last day]"))
        else:
            first = _date(raw_half[0], f"{where}.half_term[0]", problems)
            last = _date(raw_half[1], f"{where}.half_term[1]", problems)
            if first and last:
                half = _built(lambda: DateRange(first, last), f"{where}.half_term", problems)
    if name is None or starts is None or ends is None:
        return None
    term: Term | None = _built(lambda: Term(name, starts, ends, half), where, problems)
    return term


def _built(make: Any, where: str, problems: list[Problem]) -> Any:
    try:
        return make()
    except ValidationError as exc:
        problems.extend(
            Problem(f"{where}.{p.where}" if p.where else where, p.message) for p in exc.problems
        )
        return None


def _closure_from_dict(
    data: Mapping[str, Any], where: str, problems: list[Problem]
) -> Closure | None:
    starts = _date(data.get("starts_on"), f"{where}.starts_on", problems)
    ends = _date(data.get("ends_on", data.get("starts_on")), f"{where}.ends_on", problems)
    kind = _enum(ClosureKind, data.get("kind", "other"), f"{where}.kind", problems)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(f"{where}.name", "must be non-empty text"))
        return None
    if starts is None or ends is None or kind is None:
        return None
    closure: Closure | None = _built(lambda: Closure(name, starts, ends, kind), where, problems)
    return closure


def calendar_from_dict(data: Mapping[str, Any], where: str = "calendar") -> SchoolCalendar:
    """Build a :class:`SchoolCalendar` from parsed JSON-like data.

    Shape: ``{"name": str, "years": [{"academic_year": "2026-27", "starts_on": "2026-09-01",
    "ends_on": "2027-08-31", "terms": [{"term": "autumn", "starts_on": …, "ends_on": …,
    "half_term": [first, last]}], "closures": [{"name": …, "kind": "inset", "starts_on": …,
    "ends_on": …}], "inset_days": ["2026-09-01"]}]}``. Every problem is reported with its
    path (``calendar.years[1].terms[0].ends_on``).
    """
    problems: list[Problem] = []
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(f"{where}.name", "must be non-empty text"))
    raw_years = data.get("years")
    if not isinstance(raw_years, Sequence) or isinstance(raw_years, str):
        problems.append(Problem(f"{where}.years", "must be a list of academic years"))
        raw_years = []
    years: list[AcademicYear] = []
    for y_index, raw in enumerate(raw_years):
        y_where = f"{where}.years[{y_index}]"
        if not isinstance(raw, Mapping):
            problems.append(Problem(y_where, "must be an object"))
            continue
        starts = _date(raw.get("starts_on"), f"{y_where}.starts_on", problems)
        ends = _date(raw.get("ends_on"), f"{y_where}.ends_on", problems)
        terms = [
            _term_from_dict(t, f"{y_where}.terms[{i}]", problems)
            for i, t in enumerate(raw.get("terms") or [])
        ]
        closures = [
            _closure_from_dict(c, f"{y_where}.closures[{i}]", problems)
            for i, c in enumerate(raw.get("closures") or [])
        ]
        for i, day in enumerate(raw.get("inset_days") or []):
            parsed = _date(day, f"{y_where}.inset_days[{i}]", problems)
            if parsed:
                closures.append(Closure("INSET day", parsed, parsed, ClosureKind.INSET))
        label = raw.get("academic_year")
        if starts is None or ends is None or not isinstance(label, str):
            if not isinstance(label, str):
                problems.append(Problem(f"{y_where}.academic_year", "write it as e.g. 2026-27"))
            continue
        built = _built(
            lambda label=label, starts=starts, ends=ends, terms=terms, closures=closures: (
                AcademicYear(
                    label,
                    starts,
                    ends,
                    tuple(t for t in terms if t),
                    tuple(c for c in closures if c),
                )
            ),
            y_where,
            problems,
        )
        if built is not None:
            years.append(built)
    if problems:
        raise ValidationError(problems)
    calendar: SchoolCalendar = _built(
        lambda: SchoolCalendar(str(name), tuple(years)), where, problems
    )
    if problems:
        raise ValidationError(problems)
    return calendar


def calendar_to_dict(calendar: SchoolCalendar) -> dict[str, Any]:
    """The JSON-safe form of ``calendar``, readable by :func:`calendar_from_dict`."""
    return {
        "name": calendar.name,
        "years": [
            {
                "academic_year": y.label,
                "starts_on": y.starts_on.isoformat(),
                "ends_on": y.ends_on.isoformat(),
                "terms": [
                    {
                        "term": t.name.value,
                        "starts_on": t.starts_on.isoformat(),
                        "ends_on": t.ends_on.isoformat(),
                        **(
                            {
                                "half_term": [
                                    t.half_term.starts_on.isoformat(),
                                    t.half_term.ends_on.isoformat(),
                                ]
                            }
                            if t.half_term
                            else {}
                        ),
                    }
                    for t in y.terms
                ],
                "closures": [
                    {
                        "name": c.name,
                        "kind": c.kind.value,
                        "starts_on": c.starts_on.isoformat(),
                        "ends_on": c.ends_on.isoformat(),
                    }
                    for c in y.closures
                ],
            }
            for y in calendar.years
        ],
    }


def _term_override_from_dict(
    data: object, where: str, problems: list[Problem]
) -> TermOverride | None:
    if not isinstance(data, Mapping):
        problems.append(Problem(where, "must be an object"))
        return None
    label = data.get("academic_year")
    if not isinstance(label, str):
        problems.append(Problem(f"{where}.academic_year", "write it as e.g. 2026-27"))
    name = _enum(TermName, data.get("term"), f"{where}.term", problems)
    starts = ends = None
    if data.get("starts_on") is not None:
        starts = _date(data["starts_on"], f"{where}.starts_on", problems)
    if data.get("ends_on") is not None:
        ends = _date(data["ends_on"], f"{where}.ends_on", problems)
    half: DateRange | None = None
    raw_half = data.get("half_term")
    if raw_half is not None:
        if not (isinstance(raw_half, Sequence) and len(raw_half) == 2):
            problems.append(Problem(f"{where}.half_term", "write it as [first day, last day]"))
        else:
            first = _date(raw_half[0], f"{where}.half_term[0]", problems)
            last = _date(raw_half[1], f"{where}.half_term[1]", problems)
            if first and last:
                half = _built(lambda: DateRange(first, last), f"{where}.half_term", problems)
    if not isinstance(label, str) or name is None:
        return None
    return TermOverride(label, name, starts, ends, half)


def _list(data: Mapping[str, Any], key: str, where: str, problems: list[Problem]) -> list[Any]:
    raw = data.get(key)
    if raw is None:
        return []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        problems.append(Problem(f"{where}.{key}", "must be a list"))
        return []
    return list(raw)


def overrides_from_dict(data: Mapping[str, Any], where: str = "overrides") -> CalendarOverrides:
    """Build a school's :class:`CalendarOverrides` from parsed JSON-like data.

    Shape: ``{"name": str, "terms": [{"academic_year": "2026-27", "term": "spring",
    "starts_on": …, "ends_on": …, "half_term": [first, last]}], "closures": [{"name": …,
    "kind": "inset", "starts_on": …, "ends_on": …}], "removed_closures": [name, …],
    "years": [academic years shaped as in :func:`calendar_from_dict`]}``; every key but
    ``name`` is optional. Every problem is reported with its path
    (``overrides.closures[0].starts_on``).
    """
    problems: list[Problem] = []
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(f"{where}.name", "must be non-empty text"))
    terms = [
        _term_override_from_dict(t, f"{where}.terms[{i}]", problems)
        for i, t in enumerate(_list(data, "terms", where, problems))
    ]
    closures: list[Closure | None] = []
    for i, raw in enumerate(_list(data, "closures", where, problems)):
        if isinstance(raw, Mapping):
            closures.append(_closure_from_dict(raw, f"{where}.closures[{i}]", problems))
        else:
            problems.append(Problem(f"{where}.closures[{i}]", "must be an object"))
    removed = _list(data, "removed_closures", where, problems)
    for i, item in enumerate(removed):
        if not isinstance(item, str):
            problems.append(Problem(f"{where}.removed_closures[{i}]", "must be a closure name"))
    years: tuple[AcademicYear, ...] = ()
    raw_years = _list(data, "years", where, problems)
    if raw_years:
        try:
            years = calendar_from_dict({"name": "years", "years": raw_years}, where=where).years
        except ValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationError(problems)
    return CalendarOverrides(
        name=str(name),
        terms=tuple(t for t in terms if t),
        closures=tuple(c for c in closures if c),
        removed_closures=tuple(str(r) for r in removed),
        years=years,
    )


@attrs.frozen
class CalendarSetting:
    """A stored calendar: the trust's default (``id="trust"``, ``school_id=None``, with
    ``calendar``) or one school's changes to it (``id="school:<id>"``, with ``overrides``).
    """

    id: str
    trust_id: TrustId
    set_by: str
    set_at: datetime = attrs.field(validator=aware_utc)
    school_id: SchoolId | None = None
    calendar: SchoolCalendar | None = None
    overrides: CalendarOverrides | None = None
    version: int = 0


# --- term phrases -----------------------------------------------------------------------


class ReferenceKind(enum.Enum):
    """What sort of time reference a phrase is."""

    DATE = "date"
    """A calendar date: ``31/03/2027``, ``31 March 2027``."""
    MONTH = "month"
    """A month, with or without a year: ``by March 2027``, ``in June``."""
    TERM = "term"
    """A term or half of a term: ``the end of the spring term``, ``Spring 2``."""
    HALF_TERM = "half_term"
    """A half-term break: ``by February half term``, ``by half term``."""
    HOLIDAY = "holiday"
    """A holiday named by its festival: ``by Easter``, ``by Christmas``."""
    ACADEMIC_YEAR = "academic_year"
    """``by the end of the academic year``."""
    PERIOD = "period"
    """A period from the reference date: ``within six weeks``."""


@attrs.frozen
class TimeReference:
    """A time phrase found in a text, where it is, and the deadline it means.

    ``start``/``end`` index the original text (``text == original[start:end]``). ``on`` is
    the last day the phrase allows, or ``None`` when it cannot be dated: the calendar has
    no dates for that term, or a relative phrase ("within six weeks", "by Easter") was
    found without a reference date. ``explicit_year`` says whether the phrase named its
    year ("Easter 2027") rather than meaning the next one after the reference date.
    """

    start: int
    end: int
    text: str
    kind: ReferenceKind
    rule: str
    on: date | None
    explicit_year: bool = False


_MONTHS: dict[str, int] = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sept": 9,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_FULL = "|".join(sorted(list(_MONTHS)[:12], key=len, reverse=True))
_MONTH_ANY = "|".join(sorted(_MONTHS, key=len, reverse=True))

_UNITS_ORD = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
              "ninth"]  # fmt: skip
_TEENS_ORD = ["tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
              "sixteenth", "seventeenth", "eighteenth", "nineteenth"]  # fmt: skip
_DAY_WORDS: dict[str, int] = {w: i + 1 for i, w in enumerate(_UNITS_ORD)}
_DAY_WORDS.update({w: i + 10 for i, w in enumerate(_TEENS_ORD)})
_DAY_WORDS["twentieth"] = 20
_DAY_WORDS.update({f"twenty-{w}": 21 + i for i, w in enumerate(_UNITS_ORD)})
_DAY_WORDS["thirtieth"] = 30
_DAY_WORDS["thirty-first"] = 31
_DAY_WORD_RE = "|".join(w.replace("-", "[- ]?") for w in sorted(_DAY_WORDS, key=len, reverse=True))

_NUMBER_WORDS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
}  # fmt: skip
_NUMBER_RE = r"\d{1,3}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))

_TERM_RE = r"(?P<term>autumn|spring|summer)"
_FESTIVAL_HALF_TERMS = {
    "october": TermName.AUTUMN,
    "oct": TermName.AUTUMN,
    "february": TermName.SPRING,
    "feb": TermName.SPRING,
    "may": TermName.SUMMER,
    "whitsun": TermName.SUMMER,
    "autumn": TermName.AUTUMN,
    "spring": TermName.SPRING,
    "summer": TermName.SUMMER,
}

# Same-length replacements only: spans found in the normalised text index the original.
_TRANSLATE = str.maketrans({"’": "'", "‘": "'", "–": "-", "—": "-", "‐": "-", "‑": "-"})


def normalise(text: str) -> str:
    """Lower-case ``text`` with typographic dashes and quotes made plain, same length.

    Characters whose lower case is longer (e.g. ``İ``) are kept as they are, so every
    index into the result is an index into ``text``.
    """
    lowered = text.translate(_TRANSLATE).lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text.translate(_TRANSLATE))


@attrs.frozen
class _Context:
    calendar: SchoolCalendar
    reference: date | None
    original: str


@attrs.frozen
class _Found:
    kind: ReferenceKind
    on: date | None
    explicit_year: bool = False


def _month_end(year: int, month: int) -> date:
    return date(year, month, 1) + relativedelta(months=1, days=-1)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    return value + 2000 if value < 100 else value


def _numeric_date(m: re.Match[str], _ctx: _Context) -> _Found | None:
    year = _year(m["y"])
    on = _safe_date(year, int(m["m"]), int(m["d"])) if year else None
    return _Found(ReferenceKind.DATE, on, True) if on else None


def _iso_date(m: re.Match[str], _ctx: _Context) -> _Found | None:
    on = _safe_date(int(m["y"]), int(m["m"]), int(m["d"]))
    return _Found(ReferenceKind.DATE, on, True) if on else None


def _next_on_or_after(reference: date | None, month: int, day: int | None) -> date | None:
    if reference is None:
        return None
    for year in (reference.year, reference.year + 1):
        candidate = _month_end(year, month) if day is None else _safe_date(year, month, day)
        if candidate is not None and candidate >= reference:
            return candidate
    return None


def _day_month(m: re.Match[str], ctx: _Context) -> _Found | None:
    raw_day = m["d"]
    day = int(raw_day) if raw_day.isdigit() else _DAY_WORDS[re.sub(r"[- ]+", "-", raw_day)]
    month = _MONTHS[m["mon"]]
    year = _year(m["y"])
    if year is not None:
        on = _safe_date(year, month, day)
        return _Found(ReferenceKind.DATE, on, True) if on else None
    if _safe_date(2000, month, day) is None:  # 2000 is a leap year: 29 February exists
        return None
    return _Found(ReferenceKind.DATE, _next_on_or_after(ctx.reference, month, day))


def _month_day_year(m: re.Match[str], _ctx: _Context) -> _Found | None:
    on = _safe_date(int(m["y"]), _MONTHS[m["mon"]], int(m["d"]))
    return _Found(ReferenceKind.DATE, on, True) if on else None


def _month_year(m: re.Match[str], _ctx: _Context) -> _Found | None:
    year = int(m["y"])
    if not 1 <= year < 9999:
        return None
    return _Found(ReferenceKind.MONTH, _month_end(year, _MONTHS[m["mon"]]), True)


def _month_only(m: re.Match[str], ctx: _Context) -> _Found | None:
    name = m["mon"]
    # "may" and "march" are also ordinary words: only the capitalised forms are months.
    if name in {"may", "march"} and not ctx.original[m.start("mon")].isupper():
        return None
    return _Found(ReferenceKind.MONTH, _next_on_or_after(ctx.reference, _MONTHS[name], None))


def _find_term(ctx: _Context, name: TermName, year: int | None) -> Term | None:
    for _academic, term in ctx.calendar.terms():
        if term.name is not name:
            continue
        if year is not None:
            if term.calendar_year() == year:
                return term
        elif ctx.reference is not None and term.ends_on >= ctx.reference:
            return term
    return None


def _term_end(m: re.Match[str], ctx: _Context) -> _Found | None:
    year = _year(m["y"]) if "y" in m.groupdict() else None
    term = _find_term(ctx, TermName(m["term"]), year)
    return _Found(ReferenceKind.TERM, term.ends_on if term else None, year is not None)


def _term_start(m: re.Match[str], ctx: _Context) -> _Found | None:
    year = _year(m["y"]) if "y" in m.groupdict() else None
    term = _find_term(ctx, TermName(m["term"]), year)
    return _Found(ReferenceKind.TERM, term.starts_on if term else None, year is not None)


def _term_half(m: re.Match[str], ctx: _Context) -> _Found | None:
    name = TermName(m["term"])
    half = int(m["half"])
    if ctx.reference is None:
        return _Found(ReferenceKind.TERM, None)
    for _academic, term in ctx.calendar.terms():
        end = term.first_half_ends_on if half == 1 else term.ends_on
        if term.name is name and end >= ctx.reference:
            return _Found(ReferenceKind.TERM, end)
    return _Found(ReferenceKind.TERM, None)


def _named_half_term(m: re.Match[str], ctx: _Context) -> _Found | None:
    name = _FESTIVAL_HALF_TERMS[m["which"]]
    year = _year(m["y"]) if m["y"] else None
    for _academic, term in ctx.calendar.terms():
        if term.name is not name or term.half_term is None:
            continue
        before = term.half_term.starts_on - timedelta(days=1)
        if year is not None and term.half_term.starts_on.year == year:
            return _Found(ReferenceKind.HALF_TERM, before, True)
        if year is None and ctx.reference is not None and before >= ctx.reference:
            return _Found(ReferenceKind.HALF_TERM, before)
    return _Found(ReferenceKind.HALF_TERM, None, year is not None)


def _next_half_term(_m: re.Match[str], ctx: _Context) -> _Found | None:
    if ctx.reference is not None:
        for _academic, term in ctx.calendar.terms():
            if term.half_term is not None and term.half_term.starts_on > ctx.reference:
                return _Found(ReferenceKind.HALF_TERM, term.half_term.starts_on - timedelta(1))
    return _Found(ReferenceKind.HALF_TERM, None)


def _current_term(ctx: _Context, skip: int = 0) -> Term | None:
    if ctx.reference is None:
        return None
    upcoming = [t for _y, t in ctx.calendar.terms() if t.ends_on >= ctx.reference]
    return upcoming[skip] if len(upcoming) > skip else None


def _end_of_term(_m: re.Match[str], ctx: _Context) -> _Found | None:
    term = _current_term(ctx)
    return _Found(ReferenceKind.TERM, term.ends_on if term else None)


def _end_of_half(m: re.Match[str], ctx: _Context) -> _Found | None:
    if ctx.reference is not None:
        ends = sorted(
            end
            for _y, t in ctx.calendar.terms()
            for end in {t.first_half_ends_on, t.ends_on}
            if end >= ctx.reference
        )
        skip = 1 if "second" in m.group(0) or "next" in m.group(0) else 0
        if len(ends) > skip:
            return _Found(ReferenceKind.TERM, ends[skip])
    return _Found(ReferenceKind.TERM, None)


def _calendar_year_end(m: re.Match[str], ctx: _Context) -> _Found | None:
    if m["y"]:
        return _Found(ReferenceKind.DATE, date(int(m["y"]), 12, 31), True)
    if ctx.reference is None:
        return _Found(ReferenceKind.DATE, None)
    return _Found(ReferenceKind.DATE, date(ctx.reference.year, 12, 31))


def _next_term(_m: re.Match[str], ctx: _Context) -> _Found | None:
    current = _current_term(ctx)
    skip = 1 if current is not None and ctx.reference and current.starts_on <= ctx.reference else 0
    term = _current_term(ctx, skip)
    return _Found(ReferenceKind.TERM, term.ends_on if term else None)


def _academic_year_end(_m: re.Match[str], ctx: _Context) -> _Found | None:
    year = ctx.calendar.year_of(ctx.reference) if ctx.reference else None
    if year is None or not year.terms:
        return _Found(ReferenceKind.ACADEMIC_YEAR, None)
    last = year.terms[-1].ends_on
    if ctx.reference is not None and last < ctx.reference:
        # In the summer holiday "the end of the academic year" is the next one's.
        following = ctx.calendar.year_of(year.ends_on + timedelta(days=1))
        last = following.terms[-1].ends_on if following and following.terms else last
    return _Found(ReferenceKind.ACADEMIC_YEAR, last)


def _festival_year(m: re.Match[str], ctx: _Context, festival: Any) -> tuple[int | None, bool]:
    if m["y"]:
        return _year(m["y"]), True
    if ctx.reference is None:
        return None, False
    year = ctx.reference.year
    return (year if festival(year) >= ctx.reference else year + 1), False


def _before_festival(ctx: _Context, day: date, fallback: date) -> date:
    """The last school day before ``day`` in the same academic year, else ``fallback``."""
    year = ctx.calendar.year_of(day)
    last = ctx.calendar.last_school_day_before(day)
    if year is not None and last is not None and year.contains(last):
        return last
    return fallback


def _easter(m: re.Match[str], ctx: _Context) -> _Found | None:
    year, explicit = _festival_year(m, ctx, easter)
    if year is None:
        return _Found(ReferenceKind.HOLIDAY, None)
    sunday = easter(year)
    return _Found(
        ReferenceKind.HOLIDAY, _before_festival(ctx, sunday, sunday - timedelta(3)), explicit
    )


def _christmas(m: re.Match[str], ctx: _Context) -> _Found | None:
    year, explicit = _festival_year(m, ctx, lambda y: date(y, 12, 25))
    if year is None:
        return _Found(ReferenceKind.HOLIDAY, None)
    day = date(year, 12, 25)
    return _Found(ReferenceKind.HOLIDAY, _before_festival(ctx, day, date(year, 12, 24)), explicit)


def _summer_holidays(m: re.Match[str], ctx: _Context) -> _Found | None:
    year = _year(m["y"]) if m["y"] else None
    term = _find_term(ctx, TermName.SUMMER, year)
    return _Found(ReferenceKind.HOLIDAY, term.ends_on if term else None, year is not None)


def _within(m: re.Match[str], ctx: _Context) -> _Found | None:
    raw = m["n"]
    count = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw, 1)
    unit = m["unit"]
    ref = ctx.reference
    if ref is None or count <= 0:
        return _Found(ReferenceKind.PERIOD, None)
    on: date | None
    if m["school"]:
        on = ctx.calendar.add_school_days(ref, count) if unit.startswith("day") else None
    elif unit.startswith("day"):
        on = ref + timedelta(days=count)
    elif unit.startswith("week"):
        on = ref + relativedelta(weeks=count)
    elif unit.startswith("month"):
        on = ref + relativedelta(months=count)
    elif unit.startswith("half"):
        ends = sorted(
            end
            for _y, t in ctx.calendar.terms()
            for end in {t.first_half_ends_on, t.ends_on}
            if end >= ref
        )
        on = ends[count - 1] if len(ends) >= count else None
    else:
        term = _current_term(ctx, count - 1)
        on = term.ends_on if term else None
    return _Found(ReferenceKind.PERIOD, on)


_Y = r"(?:\s+(?P<y>20\d{2}))?"
_PATTERNS: tuple[tuple[str, re.Pattern[str], Any], ...] = tuple(
    # ASCII: \d must not match other scripts' digits, which int() and date() may reject.
    (name, re.compile(pattern, re.ASCII), resolver)
    for name, pattern, resolver in [
        (
            "uk-numeric-date",
            r"(?<![\d/.])(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4}|\d{2})(?![\d/])",
            _numeric_date,
        ),
        ("iso-date", r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b", _iso_date),
        (
            "day-month",
            rf"\b(?:the\s+)?(?P<d>\d{{1,2}}|{_DAY_WORD_RE})(?:st|nd|rd|th)?\s+(?:of\s+)?"
            rf"(?P<mon>{_MONTH_ANY})\b\.?(?:,?\s+(?P<y>\d{{4}})\b)?",
            _day_month,
        ),
        (
            "month-day-year",
            rf"\b(?P<mon>{_MONTH_ANY})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b",
            _month_day_year,
        ),
        (
            "named-half-term",
            r"\b(?P<which>october|oct|february|feb|may|whitsun|autumn|spring|summer)\.?\s+"
            r"half[- ]?term" + _Y + r"\b",
            _named_half_term,
        ),
        (
            "month-year",
            rf"\b(?:the\s+end\s+of\s+|(?:early|mid|late)[- ]?)?(?P<mon>{_MONTH_ANY})\b\.?,?\s+"
            rf"(?P<y>\d{{4}})\b",
            _month_year,
        ),
        (
            "month",
            rf"\b(?:by|before|until|till|in|during|end\s+of|from|throughout|of|on|at|after)\s+"
            rf"(?:the\s+)?"
            rf"(?:(?:end|middle|start|beginning)\s+of\s+(?:the\s+)?|(?:early|mid|late)[- ]?)?"
            rf"(?P<mon>{_MONTH_FULL})\b(?!\s*\d)(?!\s+half)",
            _month_only,
        ),
        (
            "term-start",
            rf"\b(?:start|beginning)\s+of\s+(?:the\s+)?{_TERM_RE}(?!\s+half)(?:\s+term)?{_Y}\b",
            _term_start,
        ),
        (
            "term-end",
            rf"\bend\s+of\s+(?:the\s+)?{_TERM_RE}(?!\s+half)(?:\s+term)?{_Y}\b",
            _term_end,
        ),
        ("term-half", rf"\b{_TERM_RE}\s*(?P<half>[12])\b(?![/.:]\d)", _term_half),
        ("term-year", rf"\b{_TERM_RE}(?:\s+term)?\s+(?:of\s+)?(?P<y>20\d{{2}})\b", _term_end),
        ("term", rf"\b{_TERM_RE}\s+term\b", _term_end),
        (
            "term-exams",
            rf"\b(?:by|before|in|at|during|for)\s+(?:the\s+)?{_TERM_RE}\s+"
            r"(?:exams?|examinations|mocks?|assessments?|tests?|series|data\s+drop)\b",
            _term_end,
        ),
        (
            "academic-year-end",
            r"\bend\s+of\s+(?:the\s+|this\s+)?(?:(?:academic|school)\s+)?year\b",
            _academic_year_end,
        ),
        ("end-of-term", r"\bend\s+of\s+(?:the\s+|this\s+)?term\b", _end_of_term),
        (
            "end-of-half-term",
            r"\bend\s+of\s+(?:the\s+|this\s+)?(?:first\s+|second\s+|next\s+)?half[- ]?term\b",
            _end_of_half,
        ),
        (
            "calendar-year-end",
            r"\bend\s+of\s+(?:the\s+calendar\s+year|(?P<y>20\d{2})\b)",
            _calendar_year_end,
        ),
        ("next-term", r"\b(?:(?:by|before|during|in)\s+)?next\s+term\b", _next_term),
        ("this-term", r"\b(?:by|before|during|in|within)\s+this\s+term\b", _end_of_term),
        (
            "half-term",
            r"\b(?:by|before|until)\s+(?:the\s+)?(?:next\s+)?half[- ]?term\b",
            _next_half_term,
        ),
        ("easter", r"\beaster(?:\s+holidays?)?" + _Y + r"\b", _easter),
        ("christmas", r"\b(?:christmas|xmas)(?:\s+holidays?)?" + _Y + r"\b", _christmas),
        ("summer-holidays", r"\bsummer\s+holidays?" + _Y + r"\b", _summer_holidays),
        (
            "within-period",
            rf"\b(?:within|in|over|for|during)\s+(?:the\s+)?(?:next\s+|first\s+)?"
            rf"(?P<n>{_NUMBER_RE})\s+(?P<school>school\s+)?"
            r"(?P<unit>days?|weeks?|months?|half[- ]?terms?|terms?)\b",
            _within,
        ),
    ]
)


def find_time_references(
    text: str, calendar: SchoolCalendar, reference: date | None
) -> tuple[TimeReference, ...]:
    """Every time phrase in ``text``, left to right, none overlapping another.

    ``reference`` is the date the text was written for (e.g. a cycle's start): phrases
    without a year ("by Easter", "the spring term") mean the first one on or after it, and
    periods ("within six weeks") count from it. Without a reference those phrases are
    still found but have ``on=None``. Where two phrases overlap, the longer one wins
    ("31 March 2027" rather than "March 2027").
    """
    low = normalise(text)
    ctx = _Context(calendar, reference, text)
    candidates: list[tuple[int, int, int, str, _Found]] = []
    for priority, (name, pattern, resolver) in enumerate(_PATTERNS):
        for match in pattern.finditer(low):
            found = resolver(match, ctx)
            if found is not None:
                candidates.append((match.start(), -match.end(), priority, name, found))
    # Longest first: "by February half term" beats the "by February" inside it.
    candidates.sort(key=lambda c: (c[0] + c[1], c[2], c[0]))
    chosen: list[TimeReference] = []
    for start, neg_end, _priority, name, found in candidates:
        end = -neg_end
        if any(start < other.end and other.start < end for other in chosen):
            continue
        chosen.append(
            TimeReference(
                start=start,
                end=end,
                text=text[start:end],
                kind=found.kind,
                rule=name,
                on=found.on,
                explicit_year=found.explicit_year,
            )
        )
    return tuple(sorted(chosen, key=lambda r: r.start))


_FILLER = re.compile(r"^(?:\s|,|by|before|until|till|on|at|the|no\s+later\s+than|due)*$")

ACCEPTED_PHRASES = (
    "a date (31/03/2027, 2027-03-31, 31 March 2027, the thirty-first of March 2027), "
    "a month (March 2027, by March), a term (the end of the spring term, Spring 2, "
    "summer 2027), a half term (by February half term, by half term), Easter, Christmas, "
    "the end of term, the end of the academic year, within N days/weeks/months/terms"
)
"""The phrase forms :func:`parse_term_phrase` understands, quoted in its errors."""


def parse_term_phrase(
    phrase: str, calendar: SchoolCalendar, reference: date, where: str = "phrase"
) -> date:
    """The deadline a single time phrase means in ``calendar``, seen from ``reference``.

    ``"by the end of the spring term"`` is the spring term's last day; ``"by February half
    term"`` the day before the break; ``"by Easter"`` / ``"by Christmas"`` the last school
    day before the festival; ``"within six weeks"`` six weeks after ``reference``.
    Raises ``ValidationError`` when the phrase is not understood, or when the calendar has
    no dates for the term it names.
    """
    found = find_time_references(phrase, calendar, reference)
    low = normalise(phrase)
    rest = low
    for ref in reversed(found):
        rest = rest[: ref.start] + " " + rest[ref.end :]
    if len(found) != 1 or not _FILLER.match(rest):
        raise ValidationError.single(
            where,
            f"{phrase!r} is not a time phrase cpdcore understands; accepted: {ACCEPTED_PHRASES}",
        )
    if found[0].on is None:
        years = ", ".join(y.label for y in calendar.years) or "none"
        raise ValidationError.single(
            where,
            f"{phrase!r} seen from {reference} needs dates that calendar {calendar.name!r} "
            f"does not have (it holds academic years: {years}); load that year's dates",
        )
    return found[0].on


def parse_uk_date(text: str, where: str = "date") -> date:
    """A date written the UK way (``31/03/2027``, ``31 March 2027``) or as ISO (``2027-03-31``).

    Raises ``ValidationError`` naming the accepted forms.
    """
    value = text.strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    empty = SchoolCalendar("none", ())
    found = find_time_references(value, empty, None)
    if (
        len(found) == 1
        and found[0].kind is ReferenceKind.DATE
        and found[0].on
        and (found[0].start == 0 and found[0].end == len(value))
    ):
        return found[0].on
    raise ValidationError.single(
        where,
        f"{text!r} is not a date; write it as YYYY-MM-DD, DD/MM/YYYY or e.g. 31 March 2027",
    )
