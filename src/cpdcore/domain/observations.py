"""Observations of teaching: a focus agreed beforehand, the teacher's acceptance, notes.

An observer asks to watch a colleague teach with one *focus* chosen from the school's
list (:class:`ObservationFocus`: questioning, transitions, checking for understanding…),
each focus linked to SIP priorities and Teachers' Standards. Nothing happens until the
observed teacher accepts the :class:`ObservationRequest`; acceptance is when consent is
recorded, before any capture. The accepted request becomes an :class:`Observation` that
holds the observer's notes.

Developmental observations are non-evaluative by construction: an :class:`Observation`
has no grade, score or judgement field, and :func:`judgement_problems` rejects notes that
smuggle a grade in as text ("grade 2", "requires improvement", "7/10"). Formal
observations (:attr:`ObservationKind.FORMAL`) are a separate kind that only the appraisal
side requests; they are part of performance management from the start.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import attrs

from cpdcore.domain.access import Resource
from cpdcore.domain.consent import ItemKind
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.standards import TeachersStandard
from cpdcore.domain.timestamps import aware_utc
from cpdcore.errors import Problem, ValidationError

__all__ = [
    "DEFAULT_FOCUSES",
    "FOCUS_CODE_PATTERN",
    "FocusTemplate",
    "Observation",
    "ObservationFocus",
    "ObservationKind",
    "ObservationNote",
    "ObservationRequest",
    "RequestStatus",
    "accept",
    "add_note",
    "cancel",
    "decline",
    "focus_for",
    "judgement_problems",
    "observation_from_request",
    "observation_resource",
    "sip_codes_of",
]

FOCUS_CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
"""A focus code: 1–40 lower-case letters, digits, ``_`` or ``-`` (``questioning``)."""


class ObservationKind(enum.Enum):
    """Developmental (peer, coaching, video club) or formal (performance management)."""

    DEVELOPMENTAL = "developmental"
    FORMAL = "formal"


class RequestStatus(enum.Enum):
    """Where a request stands; only ``REQUESTED`` can change."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


def _focus_code(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not FOCUS_CODE_PATTERN.match(value):
        raise ValidationError.single(
            attribute.name,
            f"{value!r} is not a focus code; use 1-40 lower-case letters, digits, '_' or '-', "
            "e.g. questioning",
        )


def _non_blank(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.single(attribute.name, "must be non-empty text")


@attrs.frozen
class FocusTemplate:
    """A suggested focus: code, title and the standards it usually serves."""

    code: str
    title: str
    standards: tuple[TeachersStandard, ...]


DEFAULT_FOCUSES: tuple[FocusTemplate, ...] = (
    FocusTemplate("questioning", "Questioning", (TeachersStandard.TS4, TeachersStandard.TS6)),
    FocusTemplate("transitions", "Transitions", (TeachersStandard.TS4, TeachersStandard.TS7)),
    FocusTemplate(
        "student-collaboration",
        "Student collaboration",
        (TeachersStandard.TS1, TeachersStandard.TS5),
    ),
    FocusTemplate(
        "checking-for-understanding",
        "Checking for understanding",
        (TeachersStandard.TS2, TeachersStandard.TS6),
    ),
    FocusTemplate(
        "oracy", "Structured talk and oracy", (TeachersStandard.TS3, TeachersStandard.TS4)
    ),
)
"""The focus list a school starts from; links to SIP priorities are the school's own."""


@attrs.frozen
class ObservationFocus:
    """One entry of a school's focus list, linked to SIP priorities and standards."""

    id: str
    trust_id: TrustId
    school_id: SchoolId
    code: str = attrs.field(validator=_focus_code)
    title: str = attrs.field(validator=_non_blank)
    sip_codes: tuple[str, ...] = ()
    """Codes of the SIP priorities this focus serves (``SIP-ORACY``)."""
    standards: tuple[TeachersStandard, ...] = ()
    description: str = ""
    active: bool = True
    version: int = 0

    @staticmethod
    def key(school_id: str, code: str) -> str:
        """The record id of a school's focus: one per code and school."""
        return f"{school_id}:{code}"


def focus_for(
    focuses: Iterable[ObservationFocus], code: str, where: str = "focus"
) -> ObservationFocus:
    """The active focus with ``code``; ``ValidationError`` listing the accepted codes."""
    usable = {f.code: f for f in focuses if f.active}
    if code not in usable:
        accepted = ", ".join(sorted(usable)) or "none (add the school's focus list first)"
        raise ValidationError.single(where, f"unknown focus {code!r}; accepted: {accepted}")
    return usable[code]


@attrs.frozen
class ObservationRequest:
    """An observer's request to watch ``teacher_id`` teach, with the focus agreed."""

    id: str
    trust_id: TrustId
    school_id: SchoolId
    observer_id: StaffId
    teacher_id: StaffId
    focus_code: str = attrs.field(validator=_focus_code)
    planned_for: date
    requested_at: datetime = attrs.field(validator=aware_utc)
    kind: ObservationKind = ObservationKind.DEVELOPMENTAL
    class_label: str | None = None
    """The class to be observed (``9X2``); clips from it are checked against its pupils'
    media consent."""
    message: str = ""
    status: RequestStatus = RequestStatus.REQUESTED
    responded_at: datetime | None = attrs.field(default=None, validator=aware_utc)
    response_note: str = ""
    consent_ids: tuple[str, ...] = ()
    """The consents the teacher gave on accepting (purpose developmental_review)."""
    version: int = 0

    def __attrs_post_init__(self) -> None:
        if self.observer_id == self.teacher_id:
            raise ValidationError.single(
                "teacher_id", "an observer cannot observe themselves; name a colleague"
            )


def _respond(
    request: ObservationRequest, to: RequestStatus, at: datetime, **changes: Any
) -> ObservationRequest:
    if request.status is not RequestStatus.REQUESTED:
        raise ValidationError.single(
            "status",
            f"observation request {request.id!r} is already {request.status.value}; only a "
            f"request that is still {RequestStatus.REQUESTED.value} can become {to.value}",
        )
    return attrs.evolve(request, status=to, responded_at=at, **changes)


def accept(
    request: ObservationRequest, *, at: datetime, consent_ids: Iterable[str]
) -> ObservationRequest:
    """The request accepted at ``at`` with the consents recorded for it."""
    ids = tuple(consent_ids)
    if not ids:
        raise ValidationError.single(
            "consent_ids", "an observation is accepted only with the teacher's consent recorded"
        )
    return _respond(request, RequestStatus.ACCEPTED, at, consent_ids=ids)


def decline(request: ObservationRequest, *, at: datetime, note: str = "") -> ObservationRequest:
    """The request declined by the teacher (no reason is required)."""
    return _respond(request, RequestStatus.DECLINED, at, response_note=note)


def cancel(request: ObservationRequest, *, at: datetime) -> ObservationRequest:
    """The request withdrawn by the observer before the teacher answered."""
    return _respond(request, RequestStatus.CANCELLED, at)


_JUDGEMENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bgrade\s*[1-4]\b", re.IGNORECASE), "a lesson grade"),
    (
        re.compile(r"\b(requires improvement|inadequate|outstanding lesson|good lesson)\b", re.I),
        "an inspection-style judgement",
    ),
    (re.compile(r"\b\d{1,2}\s*/\s*(5|10)\b"), "a score"),
    (re.compile(r"\b(rated|scored)\b", re.IGNORECASE), "a rating"),
)


def judgement_problems(text: str, where: str = "text") -> list[Problem]:
    """Problems for a developmental note that grades the lesson instead of describing it.

    Developmental notes say what happened and what was noticed; a grade turns a peer
    observation into a judgement and destroys the trust the process relies on.
    """
    problems = [
        Problem(
            where,
            f"developmental notes describe, they do not judge: {match.group(0)!r} reads as "
            f"{label}; write what you saw and heard instead",
        )
        for pattern, label in _JUDGEMENTS
        if (match := pattern.search(text)) is not None
    ]
    if not text.strip():
        problems.append(Problem(where, "must be non-empty text"))
    return problems


@attrs.frozen
class ObservationNote:
    """One note: what was seen or heard, optionally at a minute of the lesson."""

    text: str
    by: str
    written_at: datetime = attrs.field(validator=aware_utc)
    minute: int | None = None


@attrs.frozen
class Observation:
    """An accepted observation and its notes. There is no grade field, by design."""

    id: str
    trust_id: TrustId
    school_id: SchoolId
    observer_id: StaffId
    teacher_id: StaffId
    focus_code: str
    observed_on: date
    kind: ObservationKind = ObservationKind.DEVELOPMENTAL
    class_label: str | None = None
    notes: tuple[ObservationNote, ...] = ()
    version: int = 0


def observation_from_request(request: ObservationRequest) -> Observation:
    """The observation an accepted request becomes (same id, so consents stay attached)."""
    if request.status is not RequestStatus.ACCEPTED:
        raise ValidationError.single(
            "status", f"request {request.id!r} is {request.status.value}, not accepted"
        )
    return Observation(
        id=request.id,
        trust_id=request.trust_id,
        school_id=request.school_id,
        observer_id=request.observer_id,
        teacher_id=request.teacher_id,
        focus_code=request.focus_code,
        observed_on=request.planned_for,
        kind=request.kind,
        class_label=request.class_label,
    )


def add_note(observation: Observation, note: ObservationNote) -> Observation:
    """The observation with one more note; developmental notes must not judge."""
    problems: list[Problem] = []
    if note.by != observation.observer_id:
        problems.append(Problem("by", "only the observer writes observation notes"))
    if observation.kind is ObservationKind.DEVELOPMENTAL:
        problems += judgement_problems(note.text)
    elif not note.text.strip():
        problems.append(Problem("text", "must be non-empty text"))
    if note.minute is not None and not 0 <= note.minute <= 300:
        problems.append(Problem("minute", f"{note.minute} is not a minute of a lesson (0-300)"))
    if problems:
        raise ValidationError(problems)
    return attrs.evolve(observation, notes=(*observation.notes, note))


def observation_resource(observation: Observation) -> Resource:
    """The access facts of an observation (its notes carry no media)."""
    return Resource(
        kind=ItemKind.OBSERVATION,
        id=observation.id,
        trust_id=observation.trust_id,
        subject_id=observation.teacher_id,
        school_id=observation.school_id,
        author_id=observation.observer_id,
        formal=observation.kind is ObservationKind.FORMAL,
    )


def sip_codes_of(focuses: Mapping[str, ObservationFocus], code: str) -> tuple[str, ...]:
    """The SIP codes a focus serves (none for a focus no longer on the list)."""
    focus = focuses.get(code)
    return () if focus is None else focus.sip_codes
