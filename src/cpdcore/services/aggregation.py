"""Use cases for anonymised aggregates: answer a query safely, or refuse it.

:func:`answer_query` is the whole pipeline for any input reduced to person-cells (a file,
a DataFrame, a SQL table or the store): build the cube, replay an identical earlier
answer, otherwise protect the table (policy, secondary suppression, LP audit) or add
differentially private noise, check the differencing ledger, record the answer and return
it with its manifest. :class:`AggregationUseCases` runs it on the store for the acting
person, with their trust and school scope, and audits it.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from cpdcore.__about__ import __version__
from cpdcore.domain.aggregation.differencing import DisclosureRefused
from cpdcore.domain.aggregation.policies import DisclosurePolicy
from cpdcore.domain.aggregation.privacy import (
    DEFAULT_BUDGET,
    DpRequest,
    check_budget,
    sensitivity,
)
from cpdcore.domain.aggregation.suppression import CellStatus, ProtectedCell, protect
from cpdcore.domain.aggregation.tables import (
    ALL,
    AggregateQuery,
    CellKey,
    MeasureKind,
)
from cpdcore.domain.cpd_activities import CpdActivity
from cpdcore.domain.evidence import Evidence
from cpdcore.domain.identifiers import SchoolId
from cpdcore.domain.objectives import Objective
from cpdcore.domain.observations import Observation
from cpdcore.domain.organisation import Role, StaffMember
from cpdcore.errors import ConfigurationError, PermissionDenied, ValidationError
from cpdcore.ports import AggregationPushDown, QueryLedger
from cpdcore.services.context import UseCases, all_pages

__all__ = [
    "AGGREGATABLE_KINDS",
    "AGGREGATE_PATHS",
    "AggregationAnswer",
    "AggregationRequest",
    "AggregationUseCases",
    "Progress",
    "aggregate_frame",
    "answer_query",
]

Progress = Callable[[str], None]
"""Called with the name of each step as it starts (the CLI draws a progress bar)."""

AGGREGATABLE_KINDS: dict[str, tuple[type[Any], str]] = {
    "staff": (StaffMember, "id"),
    "objectives": (Objective, "appraisee_id"),
    "cpd_activities": (CpdActivity, "staff_id"),
    "evidence": (Evidence, "owner_id"),
    "observations": (Observation, "teacher_id"),
}
"""Record kinds the store can aggregate: name -> (record class, person attribute).

Names are the storage's kind names (``cpdcore_sqlalchemy`` groups them in SQL over its
promoted columns). Modules that add person-records register them here (alignment facts:
:mod:`cpdcore.services.alignment`). RAG statuses are computed, not stored: see
:meth:`cpdcore.services.rag_aggregation.RagAggregationUseCases.aggregate_rag`.
"""

AGGREGATE_PATHS: dict[str, dict[str, str]] = {"objectives": {"category": "terms.category"}}
"""Nested attributes a kind offers as columns: kind -> column -> dotted path (the store
promotes the same paths, e.g. an objective's ``terms.category`` as ``category``)."""

_AGGREGATORS = frozenset(
    {Role.RESEARCHER, Role.TRUST_LEADER, Role.SCHOOL_LEADER, Role.ADMINISTRATOR}
)


@attrs.frozen
class AggregationRequest:
    """Everything one aggregate needs besides its data."""

    query: AggregateQuery
    policy: DisclosurePolicy
    requester: str
    dp: DpRequest | None = None
    keys: Mapping[str, tuple[str, ...]] | None = None
    """Public group keys (required with ``dp``)."""

    def fingerprint(self, data_digest: str) -> str:
        """Identifies the question and the data: identical pairs get identical answers."""
        dp = attrs.asdict(self.dp) if self.dp else None
        keys = {k: list(v) for k, v in (self.keys or {}).items()}
        return self.query.fingerprint(
            self.policy.name, json.dumps([dp, keys], sort_keys=True), data_digest
        )


@attrs.frozen
class AggregationAnswer:
    """A released table, with its manifest; ``replayed`` when it came from the ledger."""

    dims: tuple[str, ...]
    cells: tuple[ProtectedCell, ...]
    manifest: Mapping[str, Any]
    replayed: bool = False


def _no_progress(_step: str) -> None:
    return None


def answer_query(
    partials: Any,
    request: AggregationRequest,
    ledger: QueryLedger,
    *,
    progress: Progress = _no_progress,
) -> AggregationAnswer:
    """Answer (or refuse) one aggregate over a person-cells frame.

    Raises :class:`~cpdcore.domain.aggregation.DisclosureRefused` when the answer could
    single someone out (differencing, or no safe suppression pattern) and
    :class:`~cpdcore.domain.aggregation.BudgetExhausted` when a DP query overspends.
    """
    from cpdcore.aggregation_io import build_cube

    query = request.query
    progress("grouping")
    build = build_cube(
        partials,
        query,
        ledger.person_key(),
        categories=request.keys if request.dp else None,
    )
    fingerprint = request.fingerprint(build.digest)
    stored = ledger.find_answer(request.requester, fingerprint)
    if stored is not None:
        return _replay(stored)
    if request.dp is not None:
        progress("adding noise")
        cells, dp_info = _noisy_cells(build, request)
        spent, total = ledger.budget(request.requester, request.dp.budget or DEFAULT_BUDGET)
        remaining = check_budget(spent, total, request.dp.epsilon)
        counts = {"cells": len(cells), "published": len(cells), "primary": 0, "secondary": 0}
        audit: dict[str, Any] = {"method": "differential privacy; no suppression"}
        dp_info["budget_remaining"] = remaining
        populations: list[Any] = []
        epsilon = request.dp.epsilon
    else:
        progress("protecting")
        table = protect(build.cube, request.policy, query.measure, clip=query.clip)
        if not table.passed:
            raise DisclosureRefused(
                "refused: no suppression pattern protects every withheld cell of this "
                "table; group more coarsely"
            )
        cells = list(table.cells)
        counts = table.counts()
        audit = {
            "method": "primary rule, line rule, LP audit (scipy HiGHS) until it passes",
            "protection_width": request.policy.width,
            "rounds": sum(p.rounds for p in table.patterns),
            "narrowest_interval": table.narrowest_interval(),
        }
        progress("checking the ledger")
        published = [build.populations[c.key] for c in cells if c.status == CellStatus.PUBLISHED]
        populations = [build.query_population, *published]
        ledger.check_populations(request.requester, populations, request.policy.differencing_k)
        dp_info = None
        epsilon = 0.0
    manifest = {
        "software": f"cpdcore {__version__}",
        "query": query.describe(),
        "policy": {"name": request.policy.name, "source": request.policy.source},
        "requester_digest": hashlib.sha256(request.requester.encode()).hexdigest()[:16],
        "fingerprint": fingerprint,
        "counts": counts,
        "audit": audit,
        "differential_privacy": dp_info,
    }
    answer = AggregationAnswer(query.by, tuple(cells), manifest)
    ledger.record(request.requester, fingerprint, _serialise(answer), populations, epsilon=epsilon)
    return answer


def aggregate_frame(
    frame: Any,
    by: Sequence[str],
    *,
    ledger: str | Path,
    requester: str,
    measure: str = "persons",
    where: Mapping[str, str] | None = None,
    margins: bool = False,
    policy: str = "ons-10-5",
    clip: tuple[float, float] | None = None,
) -> Any:
    """Answer an aggregate over a pandas ``DataFrame`` and return the table as a DataFrame.

    The same pipeline as ``cpd aggregate --input``: the frame needs a ``person_id``
    column; the answer has the ``by`` columns, ``value`` and ``flag``. Raises
    ``DisclosureRefused`` when the query is refused.
    """
    from cpdcore.aggregation_io import SqliteQueryLedger, person_cells_from_frame
    from cpdcore.domain.aggregation.policies import parse_policy
    from cpdcore.domain.aggregation.tables import parse_measure
    from cpdcore.extras import require

    pd = require("pandas", "anonymised aggregation")
    query = AggregateQuery(
        by=tuple(by),
        where=tuple(sorted((where or {}).items())),
        measure=parse_measure(measure),
        margins=margins,
        clip=clip,
    )
    request = AggregationRequest(query, parse_policy(policy), requester)
    book = SqliteQueryLedger(ledger)
    try:
        answer = answer_query(person_cells_from_frame(frame, query, "frame"), request, book)
    finally:
        book.close()
    rows = [
        {**dict(zip(answer.dims, c.key, strict=True)), "value": c.value, "flag": c.flag}
        for c in answer.cells
    ]
    return pd.DataFrame(rows, columns=[*answer.dims, "value", "flag"])


def _serialise(answer: AggregationAnswer) -> dict[str, Any]:
    return {
        "dims": list(answer.dims),
        "cells": [[list(c.key), c.value, c.flag, c.status] for c in answer.cells],
        "manifest": dict(answer.manifest),
    }


def _replay(stored: Mapping[str, Any]) -> AggregationAnswer:
    cells = tuple(
        ProtectedCell(tuple(key), value, flag, status)
        for key, value, flag, status in stored["cells"]
    )
    manifest = {**stored["manifest"], "replayed": True}
    return AggregationAnswer(tuple(stored["dims"]), cells, manifest, replayed=True)


def _noisy_cells(
    build: Any, request: AggregationRequest
) -> tuple[list[ProtectedCell], dict[str, Any]]:
    """Differentially private interior cells (OpenDP); margins are sums of them.

    Margins are computed from the noisy interior cells (post-processing, no extra
    budget), so for people in several groups a margin counts memberships.
    """
    from cpdcore.extras import require

    dp = require("opendp.prelude", "differential privacy")
    np = require("numpy", "differential privacy")
    dp.enable_features("contrib")
    assert request.dp is not None
    query = request.query
    measure = query.measure
    cube = build.cube
    interior = [k for k in cube.cell_keys() if ALL not in k]
    sens = sensitivity(measure, query.clip, request.dp.groups_per_person)
    epsilon = request.dp.epsilon
    # mean and pct release two vectors; each gets half of the budget.
    shares = 2 if measure.kind in (MeasureKind.MEAN, MeasureKind.PCT) else 1

    def noisy_counts(values: list[int], scale_sens: float) -> list[float]:
        scale = scale_sens * shares / epsilon
        meas = dp.m.make_geometric(
            dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=scale
        )
        return [float(v) for v in meas(values)]

    def noisy_sums(values: list[float], scale_sens: float) -> list[float]:
        scale = scale_sens * shares / epsilon
        meas = dp.m.make_laplace(
            dp.vector_domain(dp.atom_domain(T=float, nan=False)),
            dp.l1_distance(T=float),
            scale=scale,
        )
        return [float(v) for v in meas(values)]

    stats = [cube.stats(k) for k in interior]
    persons = noisy_counts([s.persons for s in stats], float(request.dp.groups_per_person))
    values: dict[CellKey, float]
    if measure.kind is MeasureKind.PERSONS:
        values = dict(zip(interior, (max(0.0, round(v)) for v in persons), strict=True))
        numerators, denominators = values, None
    elif measure.kind is MeasureKind.SUM:
        values = dict(zip(interior, noisy_sums([s.total for s in stats], sens), strict=True))
        numerators, denominators = values, None
    elif measure.kind is MeasureKind.MEAN:
        sums = noisy_sums([s.total for s in stats], sens)
        numerators = dict(zip(interior, sums, strict=True))
        denominators = dict(zip(interior, persons, strict=True))
    else:
        matched = noisy_counts([s.matched for s in stats], float(request.dp.groups_per_person))
        numerators = dict(zip(interior, matched, strict=True))
        denominators = dict(zip(interior, persons, strict=True))
    cells: list[ProtectedCell] = []
    for key in cube.cell_keys():
        parts = [k for k in interior if all(v in (ALL, w) for v, w in zip(key, k, strict=True))]
        top = sum(numerators[k] for k in parts)
        if denominators is None:
            shown: float = round(top) if measure.kind is MeasureKind.PERSONS else round(top, 2)
            cells.append(
                ProtectedCell(key, max(0, shown) if measure.kind is MeasureKind.PERSONS else shown)
            )
            continue
        bottom = max(1.0, sum(denominators[k] for k in parts))
        if measure.kind is MeasureKind.PCT:
            ratio = float(np.clip(100.0 * top / bottom, 0.0, 100.0))
            cells.append(ProtectedCell(key, round(ratio, 1)))
        else:
            cells.append(ProtectedCell(key, round(top / bottom, 2)))
    info = {
        "epsilon": epsilon,
        "mechanism": "OpenDP discrete Laplace (counts) / Laplace (sums)",
        "l1_sensitivity": sens,
        "groups_per_person": request.dp.groups_per_person,
        "declared_keys": {k: list(v) for k, v in (request.keys or {}).items()},
    }
    return cells, info


def limit_groups_per_person(partials: Any, by: Sequence[str], limit: int) -> Any:
    """Keep each person in at most ``limit`` interior groups (contribution bounding for DP)."""
    ordered = partials.sort_values([*by])
    rank = ordered.groupby("person_id", sort=False).cumcount()
    return ordered[rank < limit]


class AggregationUseCases(UseCases):
    """Anonymised aggregates over the store, for the acting person."""

    def _aggregation_scope(self) -> tuple[SchoolId, ...] | None:
        """``None`` for trust-wide aggregators, else the schools the actor may aggregate."""
        if any(a.role in _AGGREGATORS and a.school_id is None for a in self.actor.roles):
            return None
        schools = tuple(
            a.school_id for a in self.actor.roles if a.role in _AGGREGATORS and a.school_id
        )
        if not schools:
            names = " or ".join(sorted(r.value for r in _AGGREGATORS))
            raise PermissionDenied(f"aggregating needs the role {names}; {self.actor.id} has none")
        return schools

    def aggregate(
        self,
        kind: str,
        request: AggregationRequest,
        *,
        ledger: QueryLedger | None = None,
        progress: Progress = _no_progress,
    ) -> AggregationAnswer:
        """Answer an aggregate over stored records of ``kind`` within the actor's scope.

        The store groups the records itself when it implements
        :class:`~cpdcore.ports.AggregationPushDown`; otherwise the records are read
        through the repository. The requester is always the actor (the ledger is per
        actor), whatever ``request.requester`` says.
        """
        from cpdcore.aggregation_io import person_cells_from_frame, person_cells_from_rows
        from cpdcore.extras import require

        scope = self._aggregation_scope()
        if kind not in AGGREGATABLE_KINDS:
            raise ValidationError.single(
                "kind",
                f"cannot aggregate {kind!r}; use one of "
                + ", ".join(sorted(AGGREGATABLE_KINDS))
                + " (RAG statuses: aggregate_rag, or cpd aggregate --kind rag)",
            )
        query = request.query
        storage = self._adapters.storage
        progress("reading")
        if isinstance(storage, AggregationPushDown):
            measure = query.measure
            rows = storage.person_cells(
                self.actor.trust_id,
                kind,
                query.by,
                dict(query.where),
                value_column=measure.column
                if measure.kind in (MeasureKind.SUM, MeasureKind.MEAN)
                else None,
                match=(measure.column or "", measure.value or "")
                if measure.kind is MeasureKind.PCT
                else None,
                school_ids=scope,
            )
            partials = person_cells_from_rows(rows, query.by)
        else:
            record_class, person_attribute = AGGREGATABLE_KINDS[kind]
            pd = require("pandas", "anonymised aggregation")
            with self._transaction() as tx:
                records = all_pages(tx.repo(record_class), self.actor.trust_id)
            paths = AGGREGATE_PATHS.get(kind, {})
            flat = [_flatten(r, person_attribute, paths) for r in records]
            if scope is not None:
                flat = [r for r in flat if r.get("school_id") in scope]
            partials = person_cells_from_frame(pd.DataFrame(flat), query, kind)
        return self._answer_partials(kind, partials, request, ledger, progress)

    def _answer_partials(
        self,
        kind: str,
        partials: Any,
        request: AggregationRequest,
        ledger: QueryLedger | None,
        progress: Progress,
    ) -> AggregationAnswer:
        """Answer a person-cells frame for the actor: their ledger (the store's own when it
        keeps one), the pipeline of :func:`answer_query`, and the audit entry."""
        from cpdcore.aggregation_io import SqliteQueryLedger, default_ledger_path

        request = attrs.evolve(request, requester=f"{self.actor.trust_id}:{self.actor.id}")
        query = request.query
        storage = self._adapters.storage
        if request.dp is not None:
            partials = limit_groups_per_person(partials, query.by, request.dp.groups_per_person)
        own_ledger = ledger is None
        if ledger is None:
            opener = getattr(storage, "query_ledger", None)
            ledger = (
                opener(self.actor.trust_id)
                if callable(opener)
                else SqliteQueryLedger(default_ledger_path())
            )
        if not isinstance(ledger, QueryLedger):
            raise ConfigurationError("the storage's query_ledger() does not return a QueryLedger")
        try:
            answer = answer_query(partials, request, ledger, progress=progress)
        finally:
            if own_ledger:
                ledger.close()
        with self._transaction() as tx:
            tx.audit(
                "aggregate.answered",
                "Aggregate",
                str(answer.manifest["fingerprint"])[:32],
                payload={
                    "kind": kind,
                    "query": query.describe(),
                    "policy": request.policy.name,
                    "replayed": answer.replayed,
                },
            )
        return answer


def _flatten(
    record: Any, person_attribute: str, paths: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A record's simple attributes as a row, with its person id and school.

    Values are written as a SQL store groups them: enums by value, flags ``True`` /
    ``False``, dates ISO; decimals become floats so they can be summed. ``paths`` adds
    nested attributes as columns (``{"category": "terms.category"}``).
    """
    row: dict[str, Any] = {}
    for name, value in attrs.asdict(record, recurse=False).items():
        simple = _simple(value)
        if simple is not None:
            row[name] = simple
    for column, path in (paths or {}).items():
        value = record
        for step in path.split("."):
            value = getattr(value, step)
        row[column] = _simple(value)
    row["person_id"] = getattr(record, person_attribute)
    row.setdefault("school_id", getattr(record, "school_id", None))
    return row


def _simple(value: Any) -> str | int | float | None:
    """A value as an aggregate column holds it, or ``None`` for structured values."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (str, int, float)):
        return value
    return None
