"""Anonymised aggregation: disclosure-control policies, tables, suppression, the LP audit,
the differencing defence, differential-privacy budgets and research-extract rules.

Everything here is pure; the LP audit imports SciPy (the ``stats`` extra) only when it runs.
"""

from cpdcore.domain.aggregation.audit import AuditReport, CellInterval, LinkedLine
from cpdcore.domain.aggregation.differencing import (
    BudgetExhausted,
    DisclosureRefused,
    decide_difference,
)
from cpdcore.domain.aggregation.policies import (
    PRESETS,
    DisclosurePolicy,
    Publication,
    parse_policy,
    publish_count,
)
from cpdcore.domain.aggregation.suppression import (
    CellStatus,
    ProtectedCell,
    ProtectedTable,
    protect,
)
from cpdcore.domain.aggregation.tables import (
    ALL,
    AggregateQuery,
    CellStats,
    Cube,
    Measure,
    MeasureKind,
    parse_measure,
)

__all__ = [
    "ALL",
    "PRESETS",
    "AggregateQuery",
    "AuditReport",
    "BudgetExhausted",
    "CellInterval",
    "CellStats",
    "CellStatus",
    "Cube",
    "DisclosurePolicy",
    "DisclosureRefused",
    "LinkedLine",
    "Measure",
    "MeasureKind",
    "ProtectedCell",
    "ProtectedTable",
    "Publication",
    "decide_difference",
    "parse_measure",
    "parse_policy",
    "protect",
    "publish_count",
]
