"""School Improvement Plan (SIP) priorities that objectives are aligned to.

A trust may publish priorities for all its schools (``school_id=None``) and each school
its own; a school sees both. Priorities are addressed by a short code (``SIP1``,
``T-READ``) unique within their list and academic year.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from cpdcore.domain.identifiers import SchoolId, TrustId
from cpdcore.domain.line_management import parse_academic_year
from cpdcore.errors import Problem, ValidationError

__all__ = ["SIP_CODE_PATTERN", "SipPriority", "available_priorities", "unknown_sip_codes"]

SIP_CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
"""A SIP code: 1–20 letters, digits, dots, dashes or underscores, starting alphanumeric."""


def _check_code(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not SIP_CODE_PATTERN.match(value):
        raise ValidationError.single(
            attribute.name,
            f"{value!r} is not a SIP code; use 1-20 letters, digits, '.', '-' or '_' "
            "starting with a letter or digit, e.g. SIP2",
        )


def _check_title(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.single(attribute.name, "must be non-empty text")


def _check_year(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    parse_academic_year(value, attribute.name)


@attrs.frozen
class SipPriority:
    """One priority of a school's (or the trust's) improvement plan for an academic year."""

    id: str
    trust_id: TrustId
    code: str = attrs.field(validator=_check_code)
    title: str = attrs.field(validator=_check_title)
    academic_year: str = attrs.field(validator=_check_year)
    school_id: SchoolId | None = None
    """``None`` for a trust-wide priority that every school inherits."""
    description: str = ""
    version: int = 0


def available_priorities(
    priorities: Iterable[SipPriority], school_id: SchoolId | None, academic_year: str
) -> dict[str, SipPriority]:
    """The priorities a school can link to in a year, by code.

    The trust's list and the school's own list are merged; where both use a code, the
    school's priority wins because it is the more specific plan.
    """
    found: dict[str, SipPriority] = {}
    year = [p for p in priorities if p.academic_year == academic_year]
    for priority in year:
        if priority.school_id is None:
            found[priority.code] = priority
    for priority in year:
        if priority.school_id is not None and priority.school_id == school_id:
            found[priority.code] = priority
    return found


def unknown_sip_codes(
    codes: Sequence[str], available: dict[str, SipPriority], where: str = "sip_priorities"
) -> list[Problem]:
    """A problem for each code not in ``available``, naming the accepted codes."""
    accepted = ", ".join(sorted(available)) or "none (add SIP priorities first)"
    return [
        Problem(f"{where}[{index}]", f"unknown SIP priority {code!r}; accepted: {accepted}")
        for index, code in enumerate(codes)
        if code not in available
    ]
