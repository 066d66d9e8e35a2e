"""Differential privacy: the arithmetic of budgets and sensitivities (the noise is drawn
outside the domain, by OpenDP).

With ``--dp epsilon=1.0`` an aggregate is released with calibrated noise instead of
suppression. Group keys must be declared in advance (``--keys rag=red,amber,green``), so
that which groups exist never leaks from the data. Each requester has a privacy budget,
persisted with the query ledger; a query that would overspend it is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from cpdcore.domain.aggregation.differencing import BudgetExhausted
from cpdcore.domain.aggregation.tables import Measure, MeasureKind
from cpdcore.errors import Problem, ValidationError

__all__ = [
    "DEFAULT_BUDGET",
    "DpRequest",
    "check_budget",
    "parse_dp",
    "parse_keys",
    "sensitivity",
]

DEFAULT_BUDGET = 3.0
"""Total epsilon a requester may spend when no budget has been set for them."""


@attrs.frozen
class DpRequest:
    """The differential-privacy parameters of one query."""

    epsilon: float
    budget: float | None = None
    """Sets the requester's total budget the first time it is given."""
    groups_per_person: int = 1
    """Each person contributes to at most this many interior cells (others are dropped)."""


def parse_dp(text: str) -> DpRequest:
    """Parse ``--dp epsilon=1.0[,budget=3.0][,groups=1]``."""
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for part in text.split(","):
        key, eq, value = part.partition("=")
        if not eq:
            problems.append(Problem("--dp", f"{part!r} is not name=value"))
        else:
            values[key.strip()] = value.strip()
    unknown = set(values) - {"epsilon", "budget", "groups"}
    if unknown:
        problems.append(
            Problem("--dp", f"unknown setting(s) {sorted(unknown)}; use epsilon, budget, groups")
        )
    try:
        epsilon = float(values.get("epsilon", "nan"))
        budget = float(values["budget"]) if "budget" in values else None
        groups = int(values.get("groups", "1"))
    except ValueError:
        epsilon, budget, groups = float("nan"), None, 1
        problems.append(Problem("--dp", f"{text!r}: epsilon and budget are numbers"))
    if not epsilon > 0:
        problems.append(Problem("--dp", "epsilon must be a positive number (epsilon=1.0)"))
    if budget is not None and budget <= 0:
        problems.append(Problem("--dp", "budget must be positive"))
    if groups < 1:
        problems.append(Problem("--dp", "groups must be at least 1"))
    if problems:
        raise ValidationError(problems)
    return DpRequest(epsilon, budget, groups)


def parse_keys(items: Sequence[str], by: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Parse ``--keys COL=V1,V2`` (one per grouping column), the public group keys."""
    keys: dict[str, tuple[str, ...]] = {}
    problems: list[Problem] = []
    for index, item in enumerate(items):
        column, eq, values = item.partition("=")
        listed = tuple(dict.fromkeys(v.strip() for v in values.split(",") if v.strip()))
        if not eq or not listed:
            problems.append(Problem(f"--keys[{index}]", f"{item!r} is not COL=V1,V2,..."))
        else:
            keys[column.strip()] = listed
    missing = [c for c in by if c not in keys]
    if missing:
        problems.append(
            Problem(
                "--keys",
                f"differential privacy needs the groups declared in advance; "
                f"add --keys for {', '.join(missing)}",
            )
        )
    extra = [c for c in keys if c not in by]
    if extra:
        problems.append(Problem("--keys", f"{', '.join(extra)} is not a --by column"))
    if problems:
        raise ValidationError(problems)
    return keys


def sensitivity(
    measure: Measure, clip: tuple[float, float] | None, groups_per_person: int
) -> float:
    """How much one person can change the vector of interior cells (L1)."""
    if measure.kind in (MeasureKind.PERSONS, MeasureKind.PCT):
        return float(groups_per_person)
    if measure.kind in (MeasureKind.SUM, MeasureKind.MEAN):
        if clip is None:
            raise ValidationError.single(
                "--clip",
                f"{measure} with differential privacy needs declared bounds: --clip LOW:HIGH",
            )
        return max(abs(clip[0]), abs(clip[1])) * groups_per_person
    raise ValidationError.single(
        "--measure",
        "differential privacy is offered for persons, sum, mean and pct; a count of records "
        "has no bound on one person's part",
    )


def check_budget(spent: float, limit: float, epsilon: float) -> float:
    """The budget left after spending ``epsilon``; raise ``BudgetExhausted`` if overspent."""
    if spent + epsilon > limit + 1e-12:
        raise BudgetExhausted(
            "refused: this differentially private query would exceed the privacy budget "
            "of this requester; ask the data owner for a larger budget"
        )
    return limit - spent - epsilon


def noisy_table_shape(
    keys: Mapping[str, tuple[str, ...]], by: Sequence[str]
) -> tuple[tuple[str, ...], ...]:
    """The declared categories in ``by`` order (the cube's axes)."""
    return tuple(keys[column] for column in by)
