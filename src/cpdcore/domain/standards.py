"""The Teachers' Standards (England): TS1–TS8 and Part Two, personal and professional conduct.

Objectives and evidence are linked to standards by code. Codes are written ``TS1`` …
``TS8`` and ``PART_TWO``; :func:`parse_standard` also accepts lower case and ``Part Two``
as a person might type them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from cpdcore.errors import Problem, ValidationError

__all__ = ["STANDARD_TITLES", "TeachersStandard", "parse_standard", "parse_standards"]


class TeachersStandard(enum.Enum):
    """One of the Teachers' Standards a piece of work can be linked to."""

    TS1 = "TS1"
    TS2 = "TS2"
    TS3 = "TS3"
    TS4 = "TS4"
    TS5 = "TS5"
    TS6 = "TS6"
    TS7 = "TS7"
    TS8 = "TS8"
    PART_TWO = "PART_TWO"

    @property
    def title(self) -> str:
        """The standard's short title, e.g. ``Adapt teaching`` for TS5."""
        return STANDARD_TITLES[self]


STANDARD_TITLES: dict[TeachersStandard, str] = {
    TeachersStandard.TS1: "Set high expectations which inspire, motivate and challenge pupils",
    TeachersStandard.TS2: "Promote good progress and outcomes by pupils",
    TeachersStandard.TS3: "Demonstrate good subject and curriculum knowledge",
    TeachersStandard.TS4: "Plan and teach well structured lessons",
    TeachersStandard.TS5: "Adapt teaching to respond to the strengths and needs of all pupils",
    TeachersStandard.TS6: "Make accurate and productive use of assessment",
    TeachersStandard.TS7: "Manage behaviour effectively to ensure a good and safe environment",
    TeachersStandard.TS8: "Fulfil wider professional responsibilities",
    TeachersStandard.PART_TWO: "Personal and professional conduct",
}
"""Short titles of the standards, paraphrased for display."""

_ACCEPTED = ", ".join(s.value for s in TeachersStandard)


def parse_standard(value: object, where: str = "standard") -> TeachersStandard:
    """A :class:`TeachersStandard` from an enum member or a code such as ``"ts4"``.

    Raises ``ValidationError`` at ``where`` naming the accepted codes.
    """
    if isinstance(value, TeachersStandard):
        return value
    if isinstance(value, str):
        code = value.strip().upper().replace(" ", "_").replace("-", "_")
        try:
            return TeachersStandard(code)
        except ValueError:
            pass
    raise ValidationError.single(
        where, f"{value!r} is not a Teachers' Standard code; accepted: {_ACCEPTED}"
    )


def parse_standards(
    values: Iterable[object], where: str = "standards"
) -> tuple[TeachersStandard, ...]:
    """Parse several codes, reporting every bad one as ``where[i]``; duplicates are dropped."""
    problems: list[Problem] = []
    parsed: dict[TeachersStandard, None] = {}
    for index, value in enumerate(values):
        try:
            parsed.setdefault(parse_standard(value, f"{where}[{index}]"), None)
        except ValidationError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationError(problems)
    return tuple(parsed)
