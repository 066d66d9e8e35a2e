"""A teacher's portfolio of practice: their development over the years, in one view.

What a teacher takes to a promotion or threshold application: objectives and their
outcomes per academic year, evidence grouped by Teachers' Standard, CPD hours and
certificates. Built from stored records by :func:`build_portfolio`; the caller decides
which evidence may be shown (all of it to its owner, released items to anyone else).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal

import attrs

from cpdcore.domain.cpd_activities import CpdActivity
from cpdcore.domain.cycles import AppraisalCycle
from cpdcore.domain.evidence import Evidence, EvidenceKind
from cpdcore.domain.identifiers import StaffId
from cpdcore.domain.line_management import academic_year_of
from cpdcore.domain.objectives import (
    Objective,
    ObjectiveCategory,
    ObjectiveStatus,
    Outcome,
)
from cpdcore.domain.organisation import StaffMember
from cpdcore.domain.standards import TeachersStandard

__all__ = [
    "Portfolio",
    "PortfolioItem",
    "PortfolioObjective",
    "PortfolioYear",
    "StandardItems",
    "build_portfolio",
]


@attrs.frozen
class PortfolioItem:
    """One evidence item as listed in a portfolio."""

    evidence_id: str
    kind: EvidenceKind
    title: str
    captured_on: date


@attrs.frozen
class PortfolioObjective:
    """An objective of one year with its outcome (``None`` while not yet reviewed)."""

    objective_id: str
    title: str
    category: ObjectiveCategory
    status: ObjectiveStatus
    outcome: Outcome | None
    standards: tuple[TeachersStandard, ...]


@attrs.frozen
class PortfolioYear:
    """One academic year of a portfolio."""

    academic_year: str
    objectives: tuple[PortfolioObjective, ...]
    cpd_hours: Decimal
    cpd_activities: int
    certificates: tuple[PortfolioItem, ...]


@attrs.frozen
class StandardItems:
    """The evidence linked to one Teachers' Standard."""

    standard: TeachersStandard
    title: str
    items: tuple[PortfolioItem, ...]


@attrs.frozen
class Portfolio:
    """A person's portfolio of practice over every year on record, newest year first."""

    staff_id: StaffId
    name: str
    years: tuple[PortfolioYear, ...]
    evidence_by_standard: tuple[StandardItems, ...]
    total_cpd_hours: Decimal


def _item(evidence: Evidence) -> PortfolioItem:
    return PortfolioItem(
        evidence_id=evidence.id,
        kind=evidence.kind,
        title=evidence.title,
        captured_on=evidence.captured_on,
    )


def build_portfolio(
    staff: StaffMember,
    *,
    cycles: Iterable[AppraisalCycle],
    objectives: Iterable[Objective],
    evidence: Iterable[Evidence],
    activities: Iterable[CpdActivity],
    show: Callable[[Evidence], bool],
) -> Portfolio:
    """Assemble ``staff``'s portfolio; only evidence for which ``show`` is true appears.

    Draft and withdrawn objectives are left out: a portfolio shows commitments made.
    """
    year_of_cycle = {c.id: c.academic_year for c in cycles}
    own_objectives = [
        o
        for o in objectives
        if o.appraisee_id == staff.id
        and o.status not in {ObjectiveStatus.DRAFT, ObjectiveStatus.WITHDRAWN}
    ]
    shown = sorted(
        (e for e in evidence if e.owner_id == staff.id and show(e)),
        key=lambda e: (e.captured_on, e.id),
    )
    own_activities = [a for a in activities if a.staff_id == staff.id]
    years = (
        {year_of_cycle.get(o.cycle_id, "") for o in own_objectives}
        | {a.academic_year for a in own_activities}
        | {academic_year_of(e.captured_on) for e in shown if e.kind is EvidenceKind.CERTIFICATE}
    ) - {""}
    portfolio_years = []
    for year in sorted(years, reverse=True):
        year_activities = [a for a in own_activities if a.academic_year == year]
        portfolio_years.append(
            PortfolioYear(
                academic_year=year,
                objectives=tuple(
                    PortfolioObjective(
                        objective_id=o.id,
                        title=o.terms.title,
                        category=o.terms.category,
                        status=o.status,
                        outcome=o.outcome,
                        standards=o.terms.standards,
                    )
                    for o in sorted(own_objectives, key=lambda o: (o.terms.starts_on, o.id))
                    if year_of_cycle.get(o.cycle_id) == year
                ),
                cpd_hours=sum((a.hours for a in year_activities), Decimal(0)),
                cpd_activities=len(year_activities),
                certificates=tuple(
                    _item(e)
                    for e in shown
                    if e.kind is EvidenceKind.CERTIFICATE
                    and academic_year_of(e.captured_on) == year
                ),
            )
        )
    by_standard = tuple(
        StandardItems(
            standard=standard,
            title=standard.title,
            items=tuple(_item(e) for e in shown if standard in e.standards),
        )
        for standard in TeachersStandard
    )
    return Portfolio(
        staff_id=staff.id,
        name=staff.display_name,
        years=tuple(portfolio_years),
        evidence_by_standard=tuple(s for s in by_standard if s.items),
        total_cpd_hours=sum((a.hours for a in own_activities), Decimal(0)),
    )
