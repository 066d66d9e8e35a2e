"""Anonymised RAG tables: "RAG by school", "RAG by department", across a trust.

RAG statuses are not stored: they are computed on a day from objectives, progress,
evidence and policies (:mod:`cpdcore.services.rag`). :meth:`RagAggregationUseCases.aggregate_rag`
computes them for every current objective in the actor's aggregation scope and hands them
to the same anonymiser as stored records (policy, secondary suppression, LP audit, the
differencing ledger), one row per objective with the appraisee as the person. So a school
leader or researcher sees, for example, how many people have a red objective in each
school, but never one teacher's colour: the identifiable RAG report stays reserved to the
person, their appraiser and leaders.

Columns a RAG aggregate may group, filter or measure by:

``school_id``, ``department`` (one row per department of the appraisee; ``""`` for none),
``rag`` (the colour shown: an override's while one is in force), ``computed`` (the rules'
colour), ``overridden`` (``True``/``False``), ``category`` and ``status`` of the objective,
``cycle_id``. Colours are written as stored: ``red``, ``amber``, ``green``, ``blue``,
``not_started``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from cpdcore.domain.identifiers import ObjectiveId, StaffId
from cpdcore.domain.objectives import Objective, ObjectiveStatus
from cpdcore.domain.organisation import StaffMember
from cpdcore.domain.rag import SchoolDays
from cpdcore.ports import QueryLedger
from cpdcore.services.aggregation import (
    AggregationAnswer,
    AggregationRequest,
    AggregationUseCases,
    Progress,
)
from cpdcore.services.context import all_pages
from cpdcore.services.rag import RagRow, RagUseCases

__all__ = ["RAG_COLUMNS", "RAG_KIND", "RagAggregationUseCases", "rag_records"]

RAG_KIND = "rag"
"""The name ``cpd aggregate --kind`` uses for computed RAG statuses."""

RAG_COLUMNS = (
    "school_id",
    "department",
    "rag",
    "computed",
    "overridden",
    "category",
    "status",
    "cycle_id",
)
"""Columns of a RAG aggregate besides ``person_id``."""


def _no_progress(_step: str) -> None:
    return None


def rag_records(
    rows: Iterable[RagRow], objectives: Mapping[ObjectiveId, Objective]
) -> list[dict[str, str]]:
    """One record per objective and department of its appraisee (person = appraisee)."""
    records: list[dict[str, str]] = []
    for row in rows:
        objective = objectives[row.objective_id]
        base = {
            "person_id": str(row.appraisee_id),
            "school_id": str(row.school_id),
            "rag": row.colour.value,
            "computed": row.computed.value,
            "overridden": str(row.override is not None),
            "category": objective.terms.category.value,
            "status": objective.status.value,
            "cycle_id": str(objective.cycle_id),
        }
        records.extend(
            {**base, "department": str(department)} for department in row.departments or ("",)
        )
    return records


class RagAggregationUseCases(AggregationUseCases, RagUseCases):
    """RAG statuses computed on a day and published only as anonymised aggregates."""

    def aggregate_rag(
        self,
        request: AggregationRequest,
        *,
        as_of: date | None = None,
        calendar: SchoolDays | None = None,
        ledger: QueryLedger | None = None,
        progress: Progress = _no_progress,
    ) -> AggregationAnswer:
        """Answer an aggregate of the RAG statuses on ``as_of`` (default today) of every
        current objective in the actor's scope, e.g. ``by=("school_id", "rag")``.

        Needs an aggregating role (researcher, leader, administrator), not the right to
        read anyone's RAG report. Columns: :data:`RAG_COLUMNS`; measures as for
        :meth:`~cpdcore.services.aggregation.AggregationUseCases.aggregate` (``persons``
        counts appraisees, ``records`` objectives, ``pct:rag=red`` the share of appraisees
        with at least one red objective). Raises ``DisclosureRefused`` when the table could
        single someone out.
        """
        from cpdcore.aggregation_io import person_cells_from_frame
        from cpdcore.extras import require

        pd = require("pandas", "anonymised aggregation")
        scope = self._aggregation_scope()
        day = as_of or self._now().date()
        trust_id = self.actor.trust_id
        progress("reading")
        with self._transaction() as tx:
            staff: dict[StaffId, StaffMember] = {
                s.id: s for s in all_pages(tx.repo(StaffMember), trust_id)
            }
            objectives = [
                o
                for o in all_pages(tx.repo(Objective), trust_id)
                if o.status is not ObjectiveStatus.WITHDRAWN
                and (scope is None or o.school_id in scope)
            ]
            rows = self._rows(tx, objectives, day, calendar, staff=staff)
        records = rag_records(rows, {o.id: o for o in objectives})
        frame = pd.DataFrame(records, columns=["person_id", *RAG_COLUMNS])
        partials = person_cells_from_frame(frame, request.query, RAG_KIND)
        return self._answer_partials(
            f"{RAG_KIND} as of {day.isoformat()}", partials, request, ledger, progress
        )
