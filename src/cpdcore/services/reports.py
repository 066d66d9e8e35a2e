"""Reports for people: the review pack (JSON and HTML) and the portfolio of practice.

The HTML pack is one self-contained page (styles inline, no scripts, fonts or images
fetched from elsewhere) rendered from the Jinja2 templates shipped in
``cpdcore/templates`` with autoescaping on, so nothing a user typed can become markup.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

import jinja2

from cpdcore.domain.cpd_activities import CpdActivity
from cpdcore.domain.cycles import AppraisalCycle, cycle_for_school
from cpdcore.domain.evidence import Evidence
from cpdcore.domain.identifiers import CycleId, StaffId
from cpdcore.domain.line_management import academic_year_of
from cpdcore.domain.objectives import MeasureUnit, Objective
from cpdcore.domain.organisation import Role, School, StaffMember
from cpdcore.domain.portfolio import Portfolio, build_portfolio
from cpdcore.domain.progress import ProgressUpdate
from cpdcore.domain.review_meetings import ReviewComment, ReviewStage
from cpdcore.domain.review_pack import ReviewPack, build_review_pack
from cpdcore.domain.sip import SipPriority, available_priorities
from cpdcore.domain.standards import TeachersStandard
from cpdcore.errors import NotFound, ValidationError
from cpdcore.serialization import to_dict
from cpdcore.services.consent import appraisal_evidence_filter
from cpdcore.services.context import Transaction, UseCases, all_pages, appraiser_of

__all__ = ["ReportUseCases", "render_review_pack_html"]

_LEADERS = frozenset({Role.SCHOOL_LEADER, Role.TRUST_LEADER})
_STAGE_LABELS = {ReviewStage.MID_YEAR: "Mid-year", ReviewStage.FINAL: "Final"}


_LABELS = {"inset": "INSET", "mid_year": "Mid-year", "mid_year_review": "Mid-year review"}


def _label(value: str) -> str:
    return _LABELS.get(value) or value.replace("_", " ").capitalize()


def _day(value: date | None) -> str:
    return "" if value is None else f"{value.day} {value:%B %Y}"


def _num(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f")


def _measure(value: Decimal | None, unit: MeasureUnit) -> str:
    if value is None:
        return "–"
    if unit is MeasureUnit.YES_NO:
        return "Yes" if value == 1 else "No"
    if unit is MeasureUnit.PERCENTAGE:
        return f"{_num(value)}%"
    return _num(value)


def _share(value: Decimal | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


def _standard(code: str) -> str:
    standard = TeachersStandard(code)
    name = "Part Two" if standard is TeachersStandard.PART_TWO else code
    return f"{name}: {standard.title}"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cpdcore", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        label=_label, day=_day, num=_num, measure=_measure, share=_share, standard=_standard
    )
    return env


def render_review_pack_html(pack: ReviewPack) -> str:
    """The pack as a self-contained, printable, accessible HTML page."""
    template = _environment().get_template("review_pack.html.j2")
    return template.render(pack=pack, stage_label=_STAGE_LABELS[pack.stage])


class ReportUseCases(UseCases):
    """Review packs and portfolios, for the appraisee, their appraiser and leaders."""

    def review_pack(
        self,
        appraisee_id: StaffId,
        *,
        cycle_id: CycleId | None = None,
        stage: ReviewStage | str = ReviewStage.MID_YEAR,
        as_of: date | None = None,
    ) -> ReviewPack:
        """Collate the review pack of ``appraisee_id`` for a cycle (default: this year's)."""
        review_stage = ReviewStage(stage) if isinstance(stage, str) else stage
        with self._transaction() as tx:
            trust_id = self.actor.trust_id
            day = as_of or tx.now.date()
            appraisee = tx.repo(StaffMember).get(trust_id, appraisee_id)
            cycle = _cycle(tx, appraisee, cycle_id, day)
            objectives = all_pages(
                tx.repo(Objective),
                trust_id,
                where={"appraisee_id": appraisee_id, "cycle_id": cycle.id},
            )
            school_id = (
                objectives[0].school_id
                if objectives
                else next((s for s in appraisee.schools if cycle.applies_to(s)), None)
            )
            if school_id is None:
                raise ValidationError.single(
                    "appraisee_id", f"{appraisee_id} works at no school in cycle {cycle.id!r}"
                )
            appraiser_id = appraiser_of(tx, appraisee_id, day)
            self._require_pack_reader(appraisee_id, appraiser_id, school_id)
            evidence = all_pages(tx.repo(Evidence), trust_id, where={"owner_id": appraisee_id})
            is_released = appraisal_evidence_filter(tx, appraisee_id, self._adapters.mis)
            comments = all_pages(
                tx.repo(ReviewComment),
                trust_id,
                where={"appraisee_id": appraisee_id, "cycle_id": cycle.id},
            )
            authors = {e.author_id for e in evidence} | {c.author_id for c in comments}
            if appraiser_id:
                authors.add(appraiser_id)
            names = _names(tx, authors | {appraisee_id})
            pack = build_review_pack(
                appraisee_id=appraisee_id,
                appraisee_name=appraisee.display_name,
                appraiser_name=names.get(appraiser_id) if appraiser_id else None,
                school_name=tx.repo(School).get(trust_id, school_id).name,
                cycle=cycle,
                stage=review_stage,
                as_of=day,
                objectives=objectives,
                progress=all_pages(
                    tx.repo(ProgressUpdate),
                    trust_id,
                    where={"appraisee_id": appraisee_id, "cycle_id": cycle.id},
                ),
                evidence=evidence,
                activities=all_pages(
                    tx.repo(CpdActivity), trust_id, where={"staff_id": appraisee_id}
                ),
                comments=comments,
                sip_priorities=available_priorities(
                    all_pages(
                        tx.repo(SipPriority),
                        trust_id,
                        where={"academic_year": cycle.academic_year},
                    ),
                    school_id,
                    cycle.academic_year,
                ),
                names=names,
                is_released=is_released,
            )
            tx.audit(
                "review_pack.prepared",
                "ReviewPack",
                f"{cycle.id}:{appraisee_id}",
                school_id=school_id,
                subject_id=appraisee_id,
                payload={"stage": review_stage.value},
            )
        return pack

    def review_pack_json(self, appraisee_id: StaffId, **options: Any) -> dict[str, Any]:
        """:meth:`review_pack` as a JSON-safe dictionary (with ``schema_version``)."""
        return to_dict(self.review_pack(appraisee_id, **options))

    def review_pack_html(self, appraisee_id: StaffId, **options: Any) -> str:
        """:meth:`review_pack` as a self-contained HTML page."""
        return render_review_pack_html(self.review_pack(appraisee_id, **options))

    def portfolio(self, staff_id: StaffId | None = None) -> Portfolio:
        """A person's portfolio over all years (default the actor's own).

        Its owner sees all their evidence; anyone else (their appraiser, a leader) sees
        only evidence released for appraisal.
        """
        staff_id = staff_id or self.actor.staff_id
        if staff_id is None:
            raise ValidationError.single("staff_id", "name the person whose portfolio to build")
        with self._transaction() as tx:
            trust_id = self.actor.trust_id
            person = tx.repo(StaffMember).get(trust_id, staff_id)
            own = staff_id == self.actor.staff_id
            if not own:
                appraiser_id = appraiser_of(tx, staff_id, tx.now.date())
                school = person.schools[0] if person.schools else None
                self._require_pack_reader(staff_id, appraiser_id, school)
            return build_portfolio(
                person,
                cycles=all_pages(tx.repo(AppraisalCycle), trust_id),
                objectives=all_pages(
                    tx.repo(Objective), trust_id, where={"appraisee_id": staff_id}
                ),
                evidence=all_pages(tx.repo(Evidence), trust_id, where={"owner_id": staff_id}),
                activities=all_pages(tx.repo(CpdActivity), trust_id, where={"staff_id": staff_id}),
                show=(
                    (lambda _e: True)
                    if own
                    else appraisal_evidence_filter(tx, staff_id, self._adapters.mis)
                ),
            )

    def _require_pack_reader(
        self, person: StaffId, appraiser_id: StaffId | None, school_id: Any
    ) -> None:
        me = self.actor.staff_id
        if me is not None and me in (person, appraiser_id):
            return
        self._require(_LEADERS, school_id, "reading another person's review pack or portfolio")


def _cycle(
    tx: Transaction, appraisee: StaffMember, cycle_id: CycleId | None, day: date
) -> AppraisalCycle:
    repo = tx.repo(AppraisalCycle)
    if cycle_id is not None:
        return repo.get(tx.actor.trust_id, cycle_id)
    year = academic_year_of(day)
    cycles = all_pages(repo, tx.actor.trust_id, where={"academic_year": year})
    for school in appraisee.schools:
        found = cycle_for_school(cycles, school, year)
        if found is not None:
            return found
    raise NotFound("AppraisalCycle", year, f"the schools of {appraisee.id}")


def _names(tx: Transaction, ids: set[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for staff_id in ids:
        person = tx.repo(StaffMember).find(tx.actor.trust_id, staff_id)
        if person is not None:
            names[staff_id] = person.display_name
    return names
