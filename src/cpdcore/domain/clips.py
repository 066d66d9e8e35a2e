"""Clips and photos of practice: metadata beside media kept in the media store.

A :class:`Clip` names the media item by id (the bytes stay in the media store, encrypted
by the media adapter) and says whose practice it shows (``subject_id``), who recorded it,
where (a lesson in a class, an assembly, a staff meeting) and how long it is. Clips are
short on purpose: a school's :class:`ObservationPolicy` caps their length (default
:data:`DEFAULT_MAX_CLIP_SECONDS`, never above :data:`HARD_MAX_CLIP_SECONDS`); the media
store's own size limits still apply on top.

Colleagues comment at a second of the clip (:class:`TimedComment`); the teacher it shows
adds :class:`Reflection`\\ s. Leaders record clips of their own practice the same way,
with no observation behind them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import attrs

from cpdcore.domain.access import Resource
from cpdcore.domain.consent import ItemKind
from cpdcore.domain.identifiers import MediaId, SchoolId, StaffId, TrustId
from cpdcore.domain.media import MediaKind
from cpdcore.domain.timestamps import aware_utc
from cpdcore.errors import Problem, ValidationError

__all__ = [
    "DEFAULT_MAX_CLIP_SECONDS",
    "HARD_MAX_CLIP_SECONDS",
    "SETTINGS_WITH_PUPILS",
    "Clip",
    "ClipKind",
    "ObservationPolicy",
    "Reflection",
    "Setting",
    "TimedComment",
    "add_comment",
    "add_reflection",
    "clip_problems",
    "clip_resource",
    "duration_problems",
]

DEFAULT_MAX_CLIP_SECONDS = 120
"""Longest clip a school accepts unless its observation policy says otherwise."""

HARD_MAX_CLIP_SECONDS = 600
"""No policy may allow clips longer than this: clubs watch moments, not lessons."""


def _max_seconds(_instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if not isinstance(value, int) or not 1 <= value <= HARD_MAX_CLIP_SECONDS:
        raise ValidationError.single(
            attribute.name,
            f"{value!r} seconds is not accepted; give 1 to {HARD_MAX_CLIP_SECONDS} seconds",
        )


@attrs.frozen
class ObservationPolicy:
    """A school's rules for captured media; one record per school (id = school id)."""

    id: str
    trust_id: TrustId
    school_id: SchoolId
    max_clip_seconds: int = attrs.field(default=DEFAULT_MAX_CLIP_SECONDS, validator=_max_seconds)
    version: int = 0

    @classmethod
    def default(cls, trust_id: TrustId, school_id: SchoolId) -> ObservationPolicy:
        """The policy of a school that has not set its own."""
        return cls(id=school_id, trust_id=trust_id, school_id=school_id)


class ClipKind(enum.Enum):
    """A short video or a still photo."""

    VIDEO = "video"
    PHOTO = "photo"

    @property
    def media_kind(self) -> MediaKind:
        """The media-store kind (accepted types and size limit) for this clip kind."""
        return MediaKind.VIDEO if self is ClipKind.VIDEO else MediaKind.PHOTO


class Setting(enum.Enum):
    """Where the clip was captured; lessons and assemblies show pupils."""

    LESSON = "lesson"
    ASSEMBLY = "assembly"
    STAFF_MEETING = "staff_meeting"
    OTHER = "other"


SETTINGS_WITH_PUPILS = frozenset({Setting.LESSON, Setting.ASSEMBLY})
"""Settings whose clips need a class (or group) to check pupils' media consent against."""


@attrs.frozen
class TimedComment:
    """A comment at second ``second`` of a clip (0 for a photo)."""

    second: int
    text: str
    by: str
    written_at: datetime = attrs.field(validator=aware_utc)


@attrs.frozen
class Reflection:
    """The teacher's own reflection on a clip of their practice."""

    text: str
    written_at: datetime = attrs.field(validator=aware_utc)


@attrs.frozen
class Clip:
    """A clip or photo of ``subject_id``'s practice, recorded by ``recorded_by``."""

    id: str
    trust_id: TrustId
    school_id: SchoolId
    subject_id: StaffId
    recorded_by: StaffId
    kind: ClipKind
    media_id: MediaId
    title: str
    captured_on: date
    recorded_at: datetime = attrs.field(validator=aware_utc)
    duration_seconds: int = 0
    observation_id: str | None = None
    setting: Setting = Setting.LESSON
    class_label: str | None = None
    """The class (or group) the pupils in the clip belong to, as the MIS names it."""
    focus_code: str | None = None
    comments: tuple[TimedComment, ...] = ()
    reflections: tuple[Reflection, ...] = ()
    version: int = 0

    def __attrs_post_init__(self) -> None:
        problems = clip_problems(self)
        if problems:
            raise ValidationError(problems)


def clip_problems(clip: Clip) -> list[Problem]:
    """What is wrong with a clip: a title, a duration that fits its kind, a class to check."""
    problems: list[Problem] = []
    if not clip.title.strip():
        problems.append(Problem("title", "must be non-empty text"))
    if clip.kind is ClipKind.VIDEO and clip.duration_seconds < 1:
        problems.append(Problem("duration_seconds", "a video clip lasts at least one second"))
    if clip.kind is ClipKind.PHOTO and clip.duration_seconds != 0:
        problems.append(Problem("duration_seconds", "a photo has no duration; give 0"))
    if clip.setting in SETTINGS_WITH_PUPILS and not clip.class_label:
        problems.append(
            Problem(
                "class_label",
                f"a clip from a {clip.setting.value} shows pupils: name their class so their "
                "media consent can be checked",
            )
        )
    return problems


def duration_problems(
    seconds: int, policy: ObservationPolicy, where: str = "duration_seconds"
) -> list[Problem]:
    """A problem when a clip is longer than the school's policy allows."""
    if seconds > policy.max_clip_seconds:
        return [
            Problem(
                where,
                f"the clip lasts {seconds} s; this school's observation policy accepts clips "
                f"of at most {policy.max_clip_seconds} s: trim it to the moment that matters",
            )
        ]
    return []


def add_comment(clip: Clip, comment: TimedComment) -> Clip:
    """The clip with a comment at a second inside it."""
    problems: list[Problem] = []
    if not comment.text.strip():
        problems.append(Problem("text", "must be non-empty text"))
    if not 0 <= comment.second <= clip.duration_seconds:
        problems.append(
            Problem(
                "second",
                f"{comment.second} is outside the clip; give 0 to {clip.duration_seconds}",
            )
        )
    if problems:
        raise ValidationError(problems)
    ordered = sorted((*clip.comments, comment), key=lambda c: (c.second, c.written_at))
    return attrs.evolve(clip, comments=tuple(ordered))


def add_reflection(clip: Clip, reflection: Reflection, *, by: str) -> Clip:
    """The clip with the teacher's reflection; only the teacher it shows reflects on it."""
    if by != clip.subject_id:
        raise ValidationError.single(
            "by", f"only {clip.subject_id}, whose practice the clip shows, adds reflections"
        )
    if not reflection.text.strip():
        raise ValidationError.single("text", "must be non-empty text")
    return attrs.evolve(clip, reflections=(*clip.reflections, reflection))


def clip_resource(clip: Clip) -> Resource:
    """The access facts of a clip: media that may show the pupils of ``class_label``."""
    return Resource(
        kind=ItemKind.CLIP,
        id=clip.id,
        trust_id=clip.trust_id,
        subject_id=clip.subject_id,
        school_id=clip.school_id,
        author_id=clip.recorded_by if clip.recorded_by != clip.subject_id else None,
        has_media=True,
        class_label=clip.class_label,
    )
