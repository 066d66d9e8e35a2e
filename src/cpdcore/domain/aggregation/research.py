"""Rules for the researcher extract: terms, merging small schools, k-anonymity.

A research extract is record-level, so it is protected differently from a table: direct
identifiers are dropped, ids are replaced by salted hashes, dates are coarsened to the
school term, schools with fewer than k people are merged into one group, and rows whose
combination of quasi-identifiers is shared by fewer than k people are removed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date

__all__ = [
    "MERGED_SCHOOLS",
    "academic_year",
    "pseudonym",
    "schools_to_merge",
    "term_of",
    "undersized",
]

MERGED_SCHOOLS = "Other schools"
"""The group that schools with too few people are merged into."""


def academic_year(day: date) -> str:
    """The English academic year (1 September to 31 August) as ``2025-26``."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def term_of(day: date) -> str:
    """The term a date falls in: ``2025-26 autumn`` (Sep-Dec), ``spring`` (Jan-Mar) or
    ``summer`` (Apr-Aug, holidays included, since terms move with Easter)."""
    if day.month >= 9:
        term = "autumn"
    elif day.month <= 3:
        term = "spring"
    else:
        term = "summer"
    return f"{academic_year(day)} {term}"


def pseudonym(identifier: str, salt: bytes) -> str:
    """A salted hash of an id: stable within one extract, unlinkable across extracts."""
    return hashlib.blake2b(identifier.encode(), key=salt[:64], digest_size=12).hexdigest()


def schools_to_merge(people_per_school: Mapping[str, int], k: int) -> frozenset[str]:
    """Schools with fewer than ``k`` people; if only one is small, the next smallest joins
    it, so that the merged group never stands for a single school."""
    small = {s for s, n in people_per_school.items() if n < k}
    if len(small) == 1 and len(people_per_school) > 1:
        others = sorted((n, s) for s, n in people_per_school.items() if s not in small)
        small.add(others[0][1])
    return frozenset(small)


def undersized(
    people_per_class: Mapping[tuple[str, ...], int], k: int
) -> frozenset[tuple[str, ...]]:
    """Equivalence classes (combinations of quasi-identifiers) with fewer than ``k`` people."""
    return frozenset(c for c, n in people_per_class.items() if n < k)
