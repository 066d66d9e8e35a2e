"""The review pack: everything a mid-year or final review meeting needs, collated.

For one appraisee and cycle it gathers the objectives with their success criteria and
latest progress, milestone states, evidence grouped by objective and by Teachers'
Standard, CPD hours, both parties' comments and the outcomes. Only evidence for which
:func:`~cpdcore.domain.evidence.released_for_appraisal` is true is included; the pack never
decides that itself.

:func:`build_review_pack` is pure; rendering (JSON, HTML) happens in the application layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

import attrs

from cpdcore.domain.cpd_activities import CpdActivity, CpdKind
from cpdcore.domain.cycles import AppraisalCycle, CyclePhase
from cpdcore.domain.evidence import Evidence, EvidenceKind, EvidencePurpose, released_for_appraisal
from cpdcore.domain.objectives import (
    MeasureUnit,
    MilestoneState,
    Objective,
    ObjectiveCategory,
    ObjectiveStatus,
    Outcome,
    Party,
    milestone_states,
)
from cpdcore.domain.progress import ProgressUpdate, fraction_of_target, latest_by_criterion
from cpdcore.domain.review_meetings import ReviewComment, ReviewStage
from cpdcore.domain.sip import SipPriority
from cpdcore.domain.standards import TeachersStandard

__all__ = [
    "PackComment",
    "PackCpd",
    "PackCpdActivity",
    "PackCriterion",
    "PackEvidence",
    "PackMilestone",
    "PackObjective",
    "PackSip",
    "PackStandard",
    "ReviewPack",
    "build_review_pack",
]


@attrs.frozen
class PackCriterion:
    """A success criterion with its latest measurement (if any)."""

    code: str
    description: str
    unit: MeasureUnit
    baseline: Decimal | None
    target: Decimal
    weight: Decimal | None
    latest_value: Decimal | None = None
    measured_on: date | None = None
    latest_note: str = ""
    fraction_of_target: Decimal | None = None
    """Share of the way from baseline to target reached (0–1), when measurable."""


@attrs.frozen
class PackMilestone:
    """A milestone with its state on the pack's date."""

    code: str
    description: str
    due_on: date
    state: MilestoneState
    done_on: date | None = None


@attrs.frozen
class PackEvidence:
    """An evidence item as shown in a pack (metadata and text; media stays in the store)."""

    evidence_id: str
    kind: EvidenceKind
    title: str
    captured_on: date
    author: str
    purpose: EvidencePurpose
    text: str = ""
    url: str | None = None
    class_label: str | None = None
    has_media: bool = False
    standards: tuple[TeachersStandard, ...] = ()


@attrs.frozen
class PackComment:
    """A comment written for the review, labelled with whose voice it is."""

    party: Party
    author: str
    stage: ReviewStage
    written_at: datetime
    text: str


@attrs.frozen
class PackSip:
    """A SIP priority an objective serves."""

    code: str
    title: str


@attrs.frozen
class PackObjective:
    """One objective with everything the meeting discusses about it."""

    objective_id: str
    title: str
    description: str
    category: ObjectiveCategory
    status: ObjectiveStatus
    weight: Decimal | None
    starts_on: date
    due_on: date
    standards: tuple[TeachersStandard, ...]
    sip_priorities: tuple[PackSip, ...]
    support_needed: str
    criteria: tuple[PackCriterion, ...]
    milestones: tuple[PackMilestone, ...]
    evidence: tuple[PackEvidence, ...]
    comments: tuple[PackComment, ...]
    outcome: Outcome | None = None
    outcome_note: str = ""
    withdrawn_reason: str = ""


@attrs.frozen
class PackStandard:
    """Released evidence linked to one Teachers' Standard."""

    standard: TeachersStandard
    title: str
    evidence: tuple[PackEvidence, ...]


@attrs.frozen
class PackCpdActivity:
    """A CPD activity in the cycle's year."""

    kind: CpdKind
    title: str
    provider: str
    started_on: date
    hours: Decimal
    reflection: str
    has_certificate: bool


@attrs.frozen
class PackCpd:
    """The appraisee's CPD in the cycle's academic year."""

    academic_year: str
    total_hours: Decimal
    activities: tuple[PackCpdActivity, ...]


@attrs.frozen
class ReviewPack:
    """Everything for one appraisee's review meeting in one cycle, as of one day."""

    appraisee_id: str
    appraisee_name: str
    appraiser_name: str | None
    school_name: str
    cycle_id: str
    cycle_name: str
    academic_year: str
    phase: CyclePhase
    stage: ReviewStage
    as_of: date
    objectives: tuple[PackObjective, ...]
    evidence_by_standard: tuple[PackStandard, ...]
    other_evidence: tuple[PackEvidence, ...]
    """Released evidence linked to neither an objective nor a standard."""
    cpd: PackCpd
    comments: tuple[PackComment, ...]
    """Comments about the cycle as a whole (objective comments sit with each objective)."""


def _pack_evidence(evidence: Evidence, names: Mapping[str, str]) -> PackEvidence:
    return PackEvidence(
        evidence_id=evidence.id,
        kind=evidence.kind,
        title=evidence.title,
        captured_on=evidence.captured_on,
        author=names.get(evidence.author_id, evidence.author_id),
        purpose=evidence.purpose,
        text=evidence.text,
        url=evidence.url,
        class_label=evidence.class_label,
        has_media=evidence.media_id is not None,
        standards=evidence.standards,
    )


def _pack_comment(comment: ReviewComment, names: Mapping[str, str]) -> PackComment:
    return PackComment(
        party=comment.party,
        author=names.get(comment.author_id, comment.author_id),
        stage=comment.stage,
        written_at=comment.written_at,
        text=comment.text,
    )


def _criteria(objective: Objective, updates: Iterable[ProgressUpdate]) -> tuple[PackCriterion, ...]:
    latest = latest_by_criterion(u for u in updates if u.objective_id == objective.id)
    result = []
    for criterion in objective.terms.success_criteria:
        update = latest.get(criterion.code)
        result.append(
            PackCriterion(
                code=criterion.code,
                description=criterion.description,
                unit=criterion.unit,
                baseline=criterion.baseline,
                target=criterion.target,
                weight=criterion.weight,
                latest_value=update.value if update else None,
                measured_on=update.measured_on if update else None,
                latest_note=update.note if update else "",
                fraction_of_target=_four_places(fraction_of_target(criterion, update.value))
                if update
                else None,
            )
        )
    return tuple(result)


def build_review_pack(
    *,
    appraisee_id: str,
    appraisee_name: str,
    appraiser_name: str | None,
    school_name: str,
    cycle: AppraisalCycle,
    stage: ReviewStage,
    as_of: date,
    objectives: Iterable[Objective],
    progress: Iterable[ProgressUpdate],
    evidence: Iterable[Evidence],
    activities: Iterable[CpdActivity],
    comments: Iterable[ReviewComment],
    sip_priorities: Mapping[str, SipPriority],
    names: Mapping[str, str],
    is_released: Callable[[Evidence], bool] = released_for_appraisal,
) -> ReviewPack:
    """Collate a review pack; drafts and unreleased evidence are left out.

    ``is_released`` decides which evidence is appraisal evidence for this pack; the use case
    passes the consent-aware predicate
    :func:`cpdcore.services.consent.appraisal_evidence_filter` for the reader.

    ``names`` maps staff ids to display names for authors; unknown ids are shown as is.
    Comments from a later stage than ``stage`` are left out (a mid-year pack never shows
    final-review comments). Objectives are listed heaviest first, withdrawn ones last.
    """
    updates = list(progress)
    released = sorted(
        (e for e in evidence if e.owner_id == appraisee_id and is_released(e)),
        key=lambda e: (e.captured_on, e.id),
    )
    stages = {ReviewStage.MID_YEAR} if stage is ReviewStage.MID_YEAR else set(ReviewStage)
    kept_comments = sorted(
        (
            c
            for c in comments
            if c.appraisee_id == appraisee_id and c.cycle_id == cycle.id and c.stage in stages
        ),
        key=lambda c: (c.written_at, c.party is not Party.APPRAISEE, c.id),
    )
    chosen = sorted(
        (
            o
            for o in objectives
            if o.appraisee_id == appraisee_id
            and o.cycle_id == cycle.id
            and o.status is not ObjectiveStatus.DRAFT
        ),
        key=lambda o: (
            o.status is ObjectiveStatus.WITHDRAWN,
            -(o.terms.weight or 0),
            o.terms.starts_on,
            o.id,
        ),
    )
    pack_objectives = tuple(
        PackObjective(
            objective_id=o.id,
            title=o.terms.title,
            description=o.terms.description,
            category=o.terms.category,
            status=o.status,
            weight=o.terms.weight,
            starts_on=o.terms.starts_on,
            due_on=o.terms.due_on,
            standards=o.terms.standards,
            sip_priorities=tuple(
                PackSip(code, sip_priorities[code].title if code in sip_priorities else "")
                for code in o.terms.sip_priorities
            ),
            support_needed=o.terms.support_needed,
            criteria=_criteria(o, updates),
            milestones=tuple(
                PackMilestone(
                    code=m.milestone.code,
                    description=m.milestone.description,
                    due_on=m.milestone.due_on,
                    state=m.state,
                    done_on=m.done_on,
                )
                for m in milestone_states(o, as_of)
            ),
            evidence=tuple(_pack_evidence(e, names) for e in released if o.id in e.objective_ids),
            comments=tuple(
                _pack_comment(c, names) for c in kept_comments if c.objective_id == o.id
            ),
            outcome=o.outcome,
            outcome_note=o.outcome_note,
            withdrawn_reason=o.withdrawn_reason,
        )
        for o in chosen
    )
    by_standard = tuple(
        PackStandard(
            standard=standard,
            title=standard.title,
            evidence=tuple(_pack_evidence(e, names) for e in released if standard in e.standards),
        )
        for standard in TeachersStandard
    )
    year_activities = sorted(
        (
            a
            for a in activities
            if a.staff_id == appraisee_id and a.academic_year == cycle.academic_year
        ),
        key=lambda a: (a.started_on, a.id),
    )
    return ReviewPack(
        appraisee_id=appraisee_id,
        appraisee_name=appraisee_name,
        appraiser_name=appraiser_name,
        school_name=school_name,
        cycle_id=cycle.id,
        cycle_name=cycle.name,
        academic_year=cycle.academic_year,
        phase=cycle.phase,
        stage=stage,
        as_of=as_of,
        objectives=pack_objectives,
        evidence_by_standard=tuple(s for s in by_standard if s.evidence),
        other_evidence=tuple(
            _pack_evidence(e, names) for e in released if not e.objective_ids and not e.standards
        ),
        cpd=PackCpd(
            academic_year=cycle.academic_year,
            total_hours=sum((a.hours for a in year_activities), Decimal(0)),
            activities=tuple(
                PackCpdActivity(
                    kind=a.kind,
                    title=a.title,
                    provider=a.provider,
                    started_on=a.started_on,
                    hours=a.hours,
                    reflection=a.reflection,
                    has_certificate=a.certificate_evidence_id is not None,
                )
                for a in year_activities
            ),
        ),
        comments=tuple(_pack_comment(c, names) for c in kept_comments if c.objective_id is None),
    )


def _four_places(value: Decimal | None) -> Decimal | None:
    """Round a share to four decimal places for display and JSON (``0.5926``)."""
    return None if value is None else value.quantize(Decimal("0.0001"))
