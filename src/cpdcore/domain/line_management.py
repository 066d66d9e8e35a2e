"""Line management: who appraises whom in an academic year, with history.

An appraisee has one appraiser at a time for a given academic year. When the appraiser
changes mid-year the current assignment is closed (``ends_on`` set) and a new one opened,
so the history of who was responsible when is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.errors import ValidationError

__all__ = [
    "AppraiserAssignment",
    "academic_year_of",
    "appraiser_on",
    "parse_academic_year",
]

_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


def parse_academic_year(text: str, where: str = "academic_year") -> int:
    """The starting calendar year of an academic year written ``2026-27``.

    Raises ``ValidationError`` for other shapes or when the second part does not follow
    the first (``2026-28``).
    """
    match = _YEAR.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValidationError.single(
            where, f"{text!r} is not an academic year; write it as YYYY-YY, e.g. 2026-27"
        )
    start = int(match.group(1))
    if (start + 1) % 100 != int(match.group(2)):
        raise ValidationError.single(
            where,
            f"{text!r}: the second year must follow the first, "
            f"e.g. {start}-{(start + 1) % 100:02d}",
        )
    return start


def academic_year_of(day: date, start_month: int = 9) -> str:
    """The academic year (``2026-27``) a date falls in, years starting in ``start_month``."""
    start = day.year if day.month >= start_month else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _check_year(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    parse_academic_year(value, attribute.name)


@attrs.frozen
class AppraiserAssignment:
    """``appraiser_id`` appraises ``appraisee_id`` in ``academic_year`` from ``starts_on``
    (``None``: from the start of the year) until ``ends_on`` (``None``: still current)."""

    id: str
    trust_id: TrustId
    appraisee_id: StaffId
    appraiser_id: StaffId
    academic_year: str = attrs.field(validator=_check_year)
    starts_on: date | None = None
    ends_on: date | None = None
    school_id: SchoolId | None = None
    version: int = 0

    def __attrs_post_init__(self) -> None:
        if self.appraisee_id == self.appraiser_id:
            raise ValidationError.single(
                "appraiser_id", "a person cannot be their own appraiser; choose another appraiser"
            )
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError.single(
                "ends_on", f"{self.ends_on} is before starts_on {self.starts_on}"
            )

    def active_on(self, day: date) -> bool:
        """True if the assignment covers ``day``."""
        return (self.starts_on is None or self.starts_on <= day) and (
            self.ends_on is None or day <= self.ends_on
        )


def appraiser_on(
    assignments: Iterable[AppraiserAssignment], appraisee_id: StaffId, day: date
) -> StaffId | None:
    """The appraiser responsible for ``appraisee_id`` on ``day`` (latest start wins)."""
    year = academic_year_of(day)
    current = [
        a
        for a in assignments
        if a.appraisee_id == appraisee_id and a.academic_year == year and a.active_on(day)
    ]
    if not current:
        return None
    return max(current, key=lambda a: (a.starts_on or date.min, a.id)).appraiser_id
