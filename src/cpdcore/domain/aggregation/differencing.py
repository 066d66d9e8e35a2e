"""The differencing (tracker) defence: never answer two queries whose people nearly match.

If one answered query counts a department and another counts the same department minus
one teacher, subtracting the two answers reveals that teacher. So every answered query
leaves its populations (the whole query's and each published cell's) in a ledger kept
per requester, and a new query is refused when any of its populations differs from an
earlier one by between 1 and k - 1 people (the size of the symmetric difference). An
identical population (difference 0) is fine, and an identical query gets the stored
answer back, so repeating a question gains nothing.

The refusal message reveals no number: not the difference, not a count, not the policy
threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from typing import TypeVar

import attrs

from cpdcore.errors import PermissionDenied

__all__ = [
    "REFUSAL_MESSAGE",
    "BudgetExhausted",
    "DifferencingDecision",
    "DisclosureRefused",
    "check_near_match",
    "decide_difference",
    "may_differ",
]

REFUSAL_MESSAGE = (
    "refused: the people counted by this query nearly match those of a query already "
    "answered for this requester, so comparing the two answers could single someone out; "
    "widen the groups or drop a filter (nothing was recorded)"
)


class DisclosureRefused(PermissionDenied):
    """A query was refused because answering it could identify someone.

    The message never contains a number derived from the data.
    """


class BudgetExhausted(DisclosureRefused):
    """A differentially private query would exceed the requester's privacy budget."""


@attrs.frozen
class DifferencingDecision:
    """Whether two populations may both be answered, and why."""

    allowed: bool
    because: str


def may_differ(size_a: int, size_b: int, k: int) -> bool:
    """Cheap pre-check: could two populations of these sizes differ by 1 to k - 1 people?

    The symmetric difference is at least the difference in size, so populations whose
    sizes differ by ``k`` or more never need comparing member by member.
    """
    return abs(size_a - size_b) < k


def decide_difference(symmetric_difference: int, k: int) -> DifferencingDecision:
    """The rule: a difference of 1 to ``k - 1`` people is refused; 0 or ``k``+ is allowed."""
    if 0 < symmetric_difference < k:
        return DifferencingDecision(False, REFUSAL_MESSAGE)
    if symmetric_difference == 0:
        return DifferencingDecision(True, "the same people as an earlier answer")
    return DifferencingDecision(True, "no earlier answer nearly matches these people")


_P = TypeVar("_P", bound=Sized)


def check_near_match(
    population: _P, earlier: _P, k: int, symmetric_difference: Callable[[_P, _P], int]
) -> None:
    """Raise :class:`DisclosureRefused` when ``population`` differs from ``earlier`` by 1 to
    ``k - 1`` people.

    ``symmetric_difference`` counts the people in one but not both; it is called only when
    the sizes allow a near match (:func:`may_differ`), as counting is the costly part.
    """
    if not may_differ(len(population), len(earlier), k):
        return
    decision = decide_difference(symmetric_difference(population, earlier), k)
    if not decision.allowed:
        raise DisclosureRefused(decision.because)
