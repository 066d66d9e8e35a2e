"""Use cases for the school-priority alignment report and the MIS trend correlation.

Both are for leaders and researchers and both only ever answer about groups:

* :meth:`AlignmentUseCases.alignment_report` rebuilds the year's
  :class:`~cpdcore.domain.alignment.AlignmentFact` records (one per person, activity and
  SIP priority) and answers the table through the anonymised aggregation use case
  (record kind :data:`ALIGNMENT_KIND`), so small cells are suppressed by the chosen
  disclosure policy, with secondary suppression, the LP audit and the differencing ledger.
* :meth:`AlignmentUseCases.trend_correlation` compares the weekly MIS outcomes of classes
  whose teachers took part in observation CPD on a focus or priority with the other
  classes, before and after a cut-over, as a difference-in-differences summary with a
  confidence interval, suppressed below the :class:`~cpdcore.domain.trends.TrendRules`
  thresholds (including a minimum number of teachers, so it never describes one person).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from cpdcore.domain.aggregation.policies import parse_policy
from cpdcore.domain.aggregation.suppression import CellStatus
from cpdcore.domain.aggregation.tables import AggregateQuery, parse_measure
from cpdcore.domain.alignment import AlignmentFact, alignment_facts, club_codes
from cpdcore.domain.cpd_activities import CpdActivity
from cpdcore.domain.identifiers import SchoolId, StaffId
from cpdcore.domain.objectives import Objective
from cpdcore.domain.observations import Observation, ObservationFocus
from cpdcore.domain.roster import OutcomeAggregate, TeachingLink
from cpdcore.domain.trends import (
    OutcomeMeasure,
    TrendRules,
    TrendSummary,
    difference_in_differences,
    outcome_points,
)
from cpdcore.domain.video_clubs import ClubSession, SessionStatus, VideoClub
from cpdcore.errors import ValidationError
from cpdcore.ports import QueryLedger
from cpdcore.services.aggregation import (
    AGGREGATABLE_KINDS,
    AggregationAnswer,
    AggregationRequest,
    AggregationUseCases,
)
from cpdcore.services.context import Transaction, all_pages

__all__ = ["ALIGNMENT_KIND", "AlignmentReport", "AlignmentUseCases"]

ALIGNMENT_KIND = "alignment_facts"
"""The aggregatable record kind of alignment facts (person attribute ``person_id``)."""

AGGREGATABLE_KINDS[ALIGNMENT_KIND] = (AlignmentFact, "person_id")


@attrs.frozen
class AlignmentReport:
    """The alignment table of a year (and term): SIP priority × activity, protected."""

    academic_year: str
    term: str | None
    school_id: SchoolId | None
    measure: str
    answer: AggregationAnswer

    def rows(self) -> list[dict[str, object]]:
        """One row per cell: ``sip_code``, ``activity``, ``value`` (or ``None``), ``flag``."""
        return [
            {
                **dict(zip(self.answer.dims, cell.key, strict=True)),
                "value": cell.value,
                "flag": cell.flag,
                "published": cell.status == CellStatus.PUBLISHED,
            }
            for cell in self.answer.cells
        ]

    def render_text(self) -> str:
        """A plain-text table; withheld cells show the policy's symbol."""
        scope = f"school {self.school_id}" if self.school_id else "trust"
        period = f"{self.academic_year}" + (f" {self.term} term" if self.term else "")
        lines = [f"Priority alignment, {scope}, {period} ({self.measure})"]
        for row in self.rows():
            shown = row["value"] if row["published"] else row["flag"]
            lines.append(f"  {row['sip_code']:<16} {row['activity']:<12} {shown}")
        return "\n".join(lines)


def _focus_links(tx: Transaction) -> dict[tuple[str, str], tuple[str, ...]]:
    return {
        (f.school_id, f.code): f.sip_codes
        for f in all_pages(tx.repo(ObservationFocus), tx.actor.trust_id)
    }


class AlignmentUseCases(AggregationUseCases):
    """How CPD maps onto school priorities, and how outcome trends moved alongside it."""

    def refresh_alignment(self, academic_year: str) -> int:
        """Rebuild the trust's alignment facts of a year; returns how many there are."""
        self._aggregation_scope()
        with self._transaction() as tx:
            trust = self.actor.trust_id
            facts = alignment_facts(
                academic_year=academic_year,
                focus_links=_focus_links(tx),
                observations=all_pages(tx.repo(Observation), trust),
                clubs=all_pages(tx.repo(VideoClub), trust),
                sessions=all_pages(tx.repo(ClubSession), trust),
                objectives=all_pages(tx.repo(Objective), trust),
                activities=all_pages(tx.repo(CpdActivity), trust),
            )
            repo = tx.repo(AlignmentFact)
            wanted = {f.id: f for f in facts}
            for old in all_pages(repo, trust, where={"academic_year": academic_year}):
                new = wanted.pop(old.id, None)
                if new is None:
                    repo.remove(old)
                elif attrs.evolve(new, version=old.version) != old:
                    repo.update(attrs.evolve(new, version=old.version))
            for fact in wanted.values():
                repo.add(fact)
            tx.audit(
                "alignment.refreshed",
                "AlignmentFact",
                academic_year,
                payload={"facts": len(facts)},
            )
        return len(facts)

    def alignment_report(
        self,
        academic_year: str,
        *,
        term: str | None = None,
        school_id: SchoolId | None = None,
        measure: str = "persons",
        policy: str = "ons-10-5",
        ledger: QueryLedger | None = None,
    ) -> AlignmentReport:
        """Per SIP priority and activity, how many people took part (``persons``), how
        many items (``records``) or how many minutes (``sum:minutes``), protected by the
        disclosure ``policy``. Leaders see their schools; trust leaders the trust."""
        self.refresh_alignment(academic_year)
        where = {"academic_year": academic_year}
        if term is not None:
            where["term"] = term
        if school_id is not None:
            where["school_id"] = school_id
        query = AggregateQuery(
            by=("sip_code", "activity"),
            where=tuple(sorted(where.items())),
            measure=parse_measure(measure),
        )
        request = AggregationRequest(query, parse_policy(policy), requester=self.actor.id)
        answer = self.aggregate(ALIGNMENT_KIND, request, ledger=ledger)
        return AlignmentReport(academic_year, term, school_id, measure, answer)

    def trend_correlation(
        self,
        *,
        cutover: date,
        since: date,
        until: date,
        focus: str | None = None,
        sip_priority: str | None = None,
        measure: OutcomeMeasure | str = OutcomeMeasure.BEHAVIOUR,
        rules: TrendRules | None = None,
    ) -> TrendSummary:
        """Compare classes whose teachers took part in observation CPD on ``focus`` (or
        on any focus or club serving ``sip_priority``) between ``since`` and ``until``
        with the other classes of the actor's schools, before and after ``cutover``.

        Taking part means being observed or observing with that focus, or attending a
        held video-club session on it. Outcomes are the class-level weekly aggregates the
        MIS import stored.
        """
        if (focus is None) == (sip_priority is None):
            raise ValidationError.single("focus", "name exactly one of focus or sip_priority")
        if not since < cutover < until:
            raise ValidationError.single(
                "cutover", "give since < cutover < until, so there are weeks on both sides"
            )
        chosen = OutcomeMeasure(measure) if isinstance(measure, str) else measure
        scope = self._aggregation_scope()
        with self._transaction() as tx:
            trust = self.actor.trust_id
            links = _focus_links(tx)

            def serves(school_id: str, code: str, extra: Iterable[str] = ()) -> bool:
                if focus is not None:
                    return code == focus
                return sip_priority in (*links.get((school_id, code), ()), *extra)

            took_part: set[StaffId] = set()
            for obs in all_pages(tx.repo(Observation), trust):
                if since <= obs.observed_on < until and serves(obs.school_id, obs.focus_code):
                    took_part.update((obs.teacher_id, obs.observer_id))
            clubs = {
                c.id: c
                for c in all_pages(tx.repo(VideoClub), trust)
                if serves(c.school_id, c.theme, club_codes(c, links))
            }
            for session in all_pages(tx.repo(ClubSession), trust):
                club = clubs.get(session.club_id)
                day = session.scheduled_for.date()
                if club and session.status is SessionStatus.HELD and since <= day < until:
                    took_part.update(club.participants)
            teachers: dict[str, frozenset[str]] = {}
            for link in all_pages(tx.repo(TeachingLink), trust, where={"active": True}):
                if scope is None or link.school_id in scope:
                    teachers[link.class_id] = teachers.get(link.class_id, frozenset()) | {
                        link.staff_id
                    }
            rows = [
                r
                for r in all_pages(tx.repo(OutcomeAggregate), trust)
                if (scope is None or r.school_id in scope) and since <= r.week_start < until
            ]
            treated = {c for c, people in teachers.items() if people & took_part}
            summary = difference_in_differences(
                outcome_points(rows, chosen),
                treated=treated,
                teachers=teachers,
                cutover=cutover,
                measure=chosen,
                rules=rules,
            )
            tx.audit(
                "trend_correlation.answered",
                "TrendSummary",
                focus or sip_priority or "",
                payload={
                    "measure": chosen.value,
                    "cutover": cutover.isoformat(),
                    "suppressed": summary.suppressed,
                },
            )
        return summary
