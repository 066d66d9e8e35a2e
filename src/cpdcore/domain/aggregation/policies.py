"""Disclosure-control policies: the named presets official statistics in England use.

A policy decides, for one true count, what may be published: the count itself, a rounded
count, or nothing but a symbol. Each preset below is a row of data with the source it
follows, so a reviewer can check the table against the agency's published rules.

The presets (sources, paraphrased):

* ``ons-10-5``: Office for National Statistics small-area and workforce outputs: counts
  below 10 are withheld, larger counts are rounded to the nearest 5.
* ``hesa``: HESA Standard Rounding Methodology: every count rounded to the nearest
  multiple of 5 with halves rounded up (so 0, 1 and 2 become 0); totals rounded after
  they are computed; percentages withheld when based on fewer than 22.5 people;
  averages withheld when based on 7 or fewer people; withheld values shown as ``..``.
* ``ofqual``: Ofqual rounding policy for statistical publications: counts rounded to the
  nearest 5, counts of 1 to 4 shown as "fewer than 5" (``<5``), true zeros shown as 0.
* ``dfe``: Department for Education symbols for England school statistics: ``c``
  confidential (withheld to protect individuals), ``low`` (rounds to 0 but is not 0),
  ``x`` not available, ``z`` not applicable, ``u`` low reliability; the threshold varies
  by publication (commonly fewer than 5 or 10), so it is a parameter (``dfe:10``).
* ``k``: a plain threshold: counts below *k* (default 10) withheld, others exact.

Every policy also carries a *protection width*: after secondary suppression, no withheld
count may be pinned by arithmetic or linear programming on the published table to an
interval narrower than this (default half the threshold).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import attrs

from cpdcore.errors import ValidationError

__all__ = [
    "PRESETS",
    "DisclosurePolicy",
    "Publication",
    "parse_policy",
    "publish_count",
    "round_half_up",
    "rounding_interval",
]


def round_half_up(value: float, base: int) -> int:
    """Round ``value`` to the nearest multiple of ``base``, halves upward (HESA's rule)."""
    if base <= 1:
        return math.floor(value + 0.5)
    return math.floor(value / base + 0.5) * base


def rounding_interval(published: int, base: int) -> tuple[int, int]:
    """The integer counts that round (halves up) to ``published``: ``(lowest, highest)``.

    With base 5, a published 10 comes from 8 to 12 and a published 0 from 0 to 2.
    """
    if base <= 1:
        return (published, published)
    low = max(0, math.ceil(published - base / 2))
    high = math.ceil(published + base / 2) - 1
    return (low, high)


@attrs.frozen
class DisclosurePolicy:
    """One row of the preset table: how counts, percentages and averages are published."""

    name: str
    """The name used on the command line (``ons-10-5``, ``hesa``, ``dfe:10``...)."""
    source: str
    """Which published rule this follows, in words a reviewer can check."""
    threshold: int
    """Counts from 1 to ``threshold - 1`` are never published as numbers."""
    rounding_base: int = 1
    """Published counts are rounded (halves up) to a multiple of this; 1 means exact."""
    withhold_zero: bool = True
    """Whether a true zero is withheld too (otherwise it is shown as 0)."""
    withheld_symbol: str = "c"
    """Flag of a withheld cell (primary or secondary)."""
    small_symbol: str | None = None
    """Flag for a count of 1 to ``threshold - 1`` when the agency uses its own (``<5``)."""
    pct_min_denominator: int | None = None
    """Percentages need at least this many people (default: ``threshold``)."""
    mean_min_contributors: int | None = None
    """Averages and sums need at least this many people (default: ``threshold``)."""
    not_applicable_symbol: str | None = None
    """Flag when a ratio has no people to be based on (DfE ``z``)."""
    low_symbol: str | None = None
    """Flag for a ratio that rounds to 0 but is not 0 (DfE ``low``)."""
    protection_width: float | None = None
    """Narrowest interval an attacker may pin a withheld count to (default threshold/2)."""

    @property
    def min_denominator(self) -> int:
        """People a percentage must be based on."""
        return self.pct_min_denominator or max(self.threshold, 1)

    @property
    def min_contributors(self) -> int:
        """People an average or a sum must be based on."""
        return self.mean_min_contributors or max(self.threshold, 1)

    @property
    def width(self) -> float:
        """The protection width in people (half the threshold unless given)."""
        if self.protection_width is not None:
            return self.protection_width
        return max(self.threshold, 5) / 2

    @property
    def differencing_k(self) -> int:
        """Populations of two answers may not differ by 1 to ``differencing_k - 1`` people."""
        return max(self.threshold, self.rounding_base, 2)

    def ratio_symbol_empty(self) -> str:
        """The flag of a percentage or average whose group has nobody in it."""
        return self.not_applicable_symbol or self.withheld_symbol


@attrs.frozen
class Publication:
    """What a policy allows for one true count: a value, or a symbol and the reason."""

    value: int | None
    flag: str = ""
    reason: str = ""

    @property
    def withheld(self) -> bool:
        """True when no number may be shown."""
        return self.value is None


_ONS = DisclosurePolicy(
    name="ons-10-5",
    source="ONS small-area and workforce outputs: counts below 10 withheld, "
    "others rounded to the nearest 5",
    threshold=10,
    rounding_base=5,
)
_HESA = DisclosurePolicy(
    name="hesa",
    source="HESA Standard Rounding Methodology: nearest 5 with halves up (0-2 become 0), "
    "totals rounded after summing unrounded values, percentages withheld below 22.5 "
    "people, averages withheld for 7 or fewer people, withheld shown as '..'",
    threshold=0,
    rounding_base=5,
    withhold_zero=False,
    withheld_symbol="..",
    pct_min_denominator=23,
    mean_min_contributors=8,
    protection_width=2.5,
)
_OFQUAL = DisclosurePolicy(
    name="ofqual",
    source="Ofqual rounding policy: nearest 5, 1 to 4 shown as 'fewer than 5', "
    "true zeros shown as 0",
    threshold=5,
    rounding_base=5,
    withhold_zero=False,
    small_symbol="<5",
)


def _dfe(threshold: int) -> DisclosurePolicy:
    return DisclosurePolicy(
        name="dfe" if threshold == 5 else f"dfe:{threshold}",
        source="DfE symbols for England school statistics: c confidential, low rounds to "
        "0 but is not 0, x not available, z not applicable; counts below the "
        f"publication's threshold ({threshold}) withheld as c, true zeros shown",
        threshold=threshold,
        withhold_zero=False,
        not_applicable_symbol="z",
        low_symbol="low",
    )


def _k(threshold: int) -> DisclosurePolicy:
    return DisclosurePolicy(
        name="k" if threshold == 10 else f"k:{threshold}",
        source=f"plain threshold: counts below {threshold} withheld as c, others exact",
        threshold=threshold,
    )


PRESETS: Mapping[str, DisclosurePolicy] = {
    "ons-10-5": _ONS,
    "hesa": _HESA,
    "ofqual": _OFQUAL,
    "dfe": _dfe(5),
    "k": _k(10),
}
"""The named presets; ``dfe`` and ``k`` also accept a threshold (``dfe:10``, ``k:5``)."""

_PARAMETRISED = {"dfe": _dfe, "k": _k}


def parse_policy(text: str) -> DisclosurePolicy:
    """The policy named ``text``: a preset name, or ``dfe:N`` / ``k:N`` with N >= 2."""
    name, _sep, argument = text.strip().partition(":")
    accepted = "one of ons-10-5, hesa, ofqual, dfe, dfe:N, k, k:N (N a whole number >= 2)"
    if not argument:
        if name in PRESETS:
            return PRESETS[name]
        raise ValidationError.single("--policy", f"unknown policy {text!r}; use {accepted}")
    if name not in _PARAMETRISED or not argument.isdigit() or int(argument) < 2:
        raise ValidationError.single("--policy", f"bad policy {text!r}; use {accepted}")
    return _PARAMETRISED[name](int(argument))


def publish_count(
    policy: DisclosurePolicy, count: int, contributors: int | None = None
) -> Publication:
    """Apply the policy's primary rule to one true count.

    ``contributors`` is the number of distinct people behind the count when it is not a
    count of people (a count of records): the threshold applies to people, rounding to
    the count itself.
    """
    people = count if contributors is None else contributors
    if people == 0 and count == 0:
        if policy.withhold_zero:
            return Publication(None, policy.withheld_symbol, "zero withheld with small counts")
        return Publication(0)
    if 0 < people < policy.threshold:
        symbol = policy.small_symbol or policy.withheld_symbol
        return Publication(None, symbol, "fewer people than the threshold")
    return Publication(round_half_up(count, policy.rounding_base))
