"""Evidence of practice: notes, feedback, photos, clips, documents, links, reflections.

Each item belongs to one person (``owner_id``, whose practice it shows) and was written or
captured by ``author_id`` (the owner, or a peer giving feedback). It may be linked to
objectives and Teachers' Standards after the fact and unlinked again; every link change
is kept in ``link_history``.

Whether an item may be used in appraisal is decided by one function,
:func:`released_for_appraisal`. Review packs and every future reader of appraisal evidence
call it, so that the consent rules can later replace its body in one place.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime

import attrs

from cpdcore.domain.consent import Audience, ConsentRecord, ItemKind, ItemRef, Purpose, find_consent
from cpdcore.domain.identifiers import EvidenceId, MediaId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.standards import TeachersStandard
from cpdcore.domain.timestamps import aware_utc
from cpdcore.errors import Problem, ValidationError

__all__ = [
    "MEDIA_KINDS",
    "WRITTEN_BY_OTHERS",
    "Evidence",
    "EvidenceKind",
    "EvidencePurpose",
    "LinkAction",
    "LinkChange",
    "evidence_problems",
    "link",
    "released_for_appraisal",
    "set_released",
    "unlink",
]


class EvidenceKind(enum.Enum):
    """What sort of evidence an item is."""

    OBSERVATION_NOTE = "observation_note"
    PEER_FEEDBACK = "peer_feedback"
    PHOTO = "photo"
    VIDEO_CLIP = "video_clip"
    DOCUMENT = "document"
    LINK = "link"
    REFLECTION = "reflection"
    CERTIFICATE = "certificate"


MEDIA_KINDS = frozenset({EvidenceKind.PHOTO, EvidenceKind.VIDEO_CLIP})
"""Kinds that are a media item and so need a ``media_id``."""

WRITTEN_BY_OTHERS = frozenset({EvidenceKind.OBSERVATION_NOTE, EvidenceKind.PEER_FEEDBACK})
"""Kinds a colleague may record about someone else."""


class EvidencePurpose(enum.Enum):
    """Developmental evidence supports growth; formal evidence is for performance management."""

    DEVELOPMENTAL = "developmental"
    FORMAL = "formal"


class LinkAction(enum.Enum):
    """Whether a link was made or removed."""

    LINKED = "linked"
    UNLINKED = "unlinked"


@attrs.frozen
class LinkChange:
    """One link made or removed, to an objective or to a standard."""

    action: LinkAction
    at: datetime = attrs.field(validator=aware_utc)
    by: str
    objective_id: ObjectiveId | None = None
    standard: TeachersStandard | None = None


@attrs.frozen
class Evidence:
    """One item of evidence about ``owner_id``'s practice."""

    id: EvidenceId
    trust_id: TrustId
    school_id: SchoolId
    owner_id: StaffId
    author_id: str
    kind: EvidenceKind
    title: str
    captured_on: date
    recorded_at: datetime = attrs.field(validator=aware_utc)
    text: str = ""
    media_id: MediaId | None = None
    url: str | None = None
    class_label: str | None = None
    """The class the photo or clip was captured in (e.g. ``9X2``)."""
    purpose: EvidencePurpose = EvidencePurpose.DEVELOPMENTAL
    objective_ids: tuple[ObjectiveId, ...] = ()
    standards: tuple[TeachersStandard, ...] = ()
    link_history: tuple[LinkChange, ...] = ()
    appraisal_evidence: bool = False
    """Filed as appraisal evidence. It releases a *formal* item by itself; a developmental
    item is released only by its owner's consent (see :func:`released_for_appraisal`)."""
    version: int = 0

    def __attrs_post_init__(self) -> None:
        problems = evidence_problems(self)
        if problems:
            raise ValidationError(problems)

    @property
    def about_someone_else(self) -> bool:
        """True when the author is not the person the evidence is about (peer feedback)."""
        return self.author_id != self.owner_id


def evidence_problems(evidence: Evidence) -> list[Problem]:
    """What is wrong with an item: a title, content that fits its kind, a safe link."""
    problems: list[Problem] = []
    if not evidence.title.strip():
        problems.append(Problem("title", "must be non-empty text"))
    kind = evidence.kind
    if kind in MEDIA_KINDS and evidence.media_id is None:
        problems.append(
            Problem("media_id", f"a {kind.value} needs a media_id from the media store")
        )
    if kind is EvidenceKind.LINK and not evidence.url:
        problems.append(Problem("url", "a link needs a url"))
    if evidence.url is not None and not evidence.url.startswith(("https://", "http://")):
        problems.append(
            Problem("url", f"{evidence.url!r} is not accepted; use an http:// or https:// address")
        )
    if not (evidence.text.strip() or evidence.media_id or evidence.url):
        problems.append(Problem("text", "give text, a media_id or a url; the item is empty"))
    if len(set(evidence.objective_ids)) != len(evidence.objective_ids):
        problems.append(Problem("objective_ids", "an objective is listed twice"))
    if len(set(evidence.standards)) != len(evidence.standards):
        problems.append(Problem("standards", "a standard is listed twice"))
    return problems


def released_for_appraisal(
    evidence: Evidence,
    consents: Iterable[ConsentRecord] | None = None,
    as_of: datetime | None = None,
) -> bool:
    """True if the item is part of its owner's appraisal record (review packs, appraisal RAG).

    The single decision point. A formal item filed as appraisal evidence
    (``appraisal_evidence``) is. Otherwise the owner must have an active
    ``APPRAISAL_EVIDENCE`` consent among ``consents`` at ``as_of`` for their appraiser or
    school leaders; a developmental item needs one *for this item* (the developmental
    firewall: a category consent never counts, and neither does the flag alone). Without
    ``consents`` and ``as_of`` only filed formal items are released (fail closed). Who may
    read a released item is decided by :func:`cpdcore.domain.access.can`.
    """
    formal = evidence.purpose is EvidencePurpose.FORMAL
    if formal and evidence.appraisal_evidence:
        return True
    if consents is None or as_of is None:
        return False
    records = tuple(consents)
    item = ItemRef(ItemKind.EVIDENCE, evidence.id)
    return any(
        find_consent(
            records,
            subject_id=evidence.owner_id,
            item=item,
            purpose=Purpose.APPRAISAL_EVIDENCE,
            audience=audience,
            as_of=as_of,
            item_specific=not formal,
        )
        is not None
        for audience in (Audience.LINE_MANAGER, Audience.SCHOOL_LEADERS)
    )


def set_released(evidence: Evidence, released: bool) -> Evidence:
    """The item with its appraisal release flag set."""
    return attrs.evolve(evidence, appraisal_evidence=released)


def link(
    evidence: Evidence,
    *,
    by: str,
    at: datetime,
    objective_id: ObjectiveId | None = None,
    standard: TeachersStandard | None = None,
) -> Evidence:
    """Link the item to an objective and/or a standard; existing links are left alone."""
    _need_target(objective_id, standard)
    objectives = evidence.objective_ids
    standards = evidence.standards
    if objective_id is not None and objective_id not in objectives:
        objectives = (*objectives, objective_id)
    if standard is not None and standard not in standards:
        standards = (*standards, standard)
    if (objectives, standards) == (evidence.objective_ids, evidence.standards):
        return evidence
    change = LinkChange(
        action=LinkAction.LINKED, at=at, by=by, objective_id=objective_id, standard=standard
    )
    return attrs.evolve(
        evidence,
        objective_ids=objectives,
        standards=standards,
        link_history=(*evidence.link_history, change),
    )


def unlink(
    evidence: Evidence,
    *,
    by: str,
    at: datetime,
    objective_id: ObjectiveId | None = None,
    standard: TeachersStandard | None = None,
) -> Evidence:
    """Remove a link; the removal is kept in ``link_history``. Absent links raise."""
    _need_target(objective_id, standard)
    if objective_id is not None and objective_id not in evidence.objective_ids:
        raise ValidationError.single(
            "objective_id", f"evidence {evidence.id!r} is not linked to objective {objective_id!r}"
        )
    if standard is not None and standard not in evidence.standards:
        raise ValidationError.single(
            "standard", f"evidence {evidence.id!r} is not linked to {standard.value}"
        )
    change = LinkChange(
        action=LinkAction.UNLINKED, at=at, by=by, objective_id=objective_id, standard=standard
    )
    return attrs.evolve(
        evidence,
        objective_ids=tuple(o for o in evidence.objective_ids if o != objective_id),
        standards=tuple(s for s in evidence.standards if s != standard),
        link_history=(*evidence.link_history, change),
    )


def _need_target(objective_id: ObjectiveId | None, standard: TeachersStandard | None) -> None:
    if objective_id is None and standard is None:
        raise ValidationError.single(
            "objective_id", "name an objective_id or a standard (or both) to link"
        )
