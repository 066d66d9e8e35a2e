"""Video clubs (professional learning communities) around one pedagogical theme.

A :class:`VideoClub` has a facilitator (a head of department or a peer mentor), members
and a theme (a focus code such as ``questioning``), optionally tied to SIP priorities.
It meets in :class:`ClubSession`\\ s. For each session the facilitator plans a playlist of
clips; the session then records discussion notes, :class:`Insight`\\ s ("what worked, why,
how to adapt", tagged to SIP priorities) and :class:`FollowUpAction`\\ s with due dates.

Whether the club may watch a clip is decided by :func:`club_may_watch`, both when the
facilitator adds it and again whenever the playlist is viewed, so a consent withdrawn or a
pupil's "no media" flag raised in between takes the clip out of the meeting.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import attrs

from cpdcore.domain.access import Facts, PupilMedia, Resource
from cpdcore.domain.consent import Audience, Purpose, find_consent
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.timestamps import aware_utc
from cpdcore.errors import Problem, ValidationError

__all__ = [
    "CLUB_PURPOSES",
    "ClubSession",
    "DiscussionNote",
    "FollowUpAction",
    "Insight",
    "PlaylistCheck",
    "PlaylistEntry",
    "PlaylistItem",
    "PlaylistView",
    "SessionStatus",
    "VideoClub",
    "add_action",
    "add_insight",
    "add_member",
    "add_to_playlist",
    "club_may_watch",
    "complete_action",
    "open_actions",
    "remove_member",
]

CLUB_PURPOSES = (Purpose.DEVELOPMENTAL_REVIEW, Purpose.TRAINING_LIBRARY)
"""Purposes a club watches a clip for: shared with the club, or in the training library."""


def _non_blank(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError.single(attribute.name, "must be non-empty text")


@attrs.frozen
class VideoClub:
    """A learning group: facilitator, members, theme and the SIP priorities it serves."""

    id: str
    trust_id: TrustId
    school_id: SchoolId
    name: str = attrs.field(validator=_non_blank)
    theme: str = attrs.field(validator=_non_blank)
    """The focus code the club studies (``questioning``)."""
    facilitator_id: StaffId = attrs.field(validator=_non_blank)
    members: tuple[StaffId, ...] = ()
    sip_codes: tuple[str, ...] = ()
    active: bool = True
    version: int = 0

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        if len(set(self.members)) != len(self.members):
            problems.append(Problem("members", "a member is listed twice"))
        if self.facilitator_id in self.members:
            problems.append(
                Problem("members", "the facilitator takes part already; do not list them")
            )
        if problems:
            raise ValidationError(problems)

    @property
    def participants(self) -> tuple[StaffId, ...]:
        """The facilitator, then the members."""
        return (self.facilitator_id, *self.members)


def add_member(club: VideoClub, staff_id: StaffId) -> VideoClub:
    """The club with one more member (no change if they already take part)."""
    if staff_id in club.participants:
        return club
    return attrs.evolve(club, members=(*club.members, staff_id))


def remove_member(club: VideoClub, staff_id: StaffId) -> VideoClub:
    """The club without ``staff_id``; the facilitator cannot be removed this way."""
    if staff_id == club.facilitator_id:
        raise ValidationError.single(
            "staff_id", "the facilitator leads the club; name a new facilitator first"
        )
    return attrs.evolve(club, members=tuple(m for m in club.members if m != staff_id))


class SessionStatus(enum.Enum):
    """A session is scheduled, then held (or cancelled)."""

    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


@attrs.frozen
class PlaylistEntry:
    """A clip planned for a session, from ``start_second``, with the facilitator's prompt."""

    clip_id: str
    added_by: str
    added_at: datetime = attrs.field(validator=aware_utc)
    start_second: int = 0
    prompt: str = ""


@attrs.frozen
class DiscussionNote:
    """A note of what the group discussed."""

    text: str
    by: str
    written_at: datetime = attrs.field(validator=aware_utc)


@attrs.frozen
class Insight:
    """What worked, why, and how to adapt it; tagged to the SIP priorities it serves."""

    id: str
    what_worked: str
    why: str
    how_to_adapt: str
    by: str
    written_at: datetime = attrs.field(validator=aware_utc)
    sip_codes: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(name, "must be non-empty text")
            for name in ("what_worked", "why", "how_to_adapt")
            if not getattr(self, name).strip()
        ]
        if problems:
            raise ValidationError(problems)


@attrs.frozen
class FollowUpAction:
    """Something a member will try before a due date."""

    id: str
    assignee_id: StaffId
    description: str
    due_on: date
    set_by: str
    set_at: datetime = attrs.field(validator=aware_utc)
    done_on: date | None = None


@attrs.frozen
class ClubSession:
    """One meeting of a club: when, its playlist, and what came out of it."""

    id: str
    trust_id: TrustId
    school_id: SchoolId
    club_id: str
    title: str = attrs.field(validator=_non_blank)
    scheduled_for: datetime = attrs.field(validator=aware_utc)
    minutes: int = 60
    status: SessionStatus = SessionStatus.SCHEDULED
    playlist: tuple[PlaylistEntry, ...] = ()
    notes: tuple[DiscussionNote, ...] = ()
    insights: tuple[Insight, ...] = ()
    actions: tuple[FollowUpAction, ...] = ()
    version: int = 0

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.minutes <= 600:
            raise ValidationError.single(
                "minutes", f"{self.minutes} is not a meeting length; give 1 to 600 minutes"
            )


def add_to_playlist(session: ClubSession, entry: PlaylistEntry) -> ClubSession:
    """The session with ``entry`` appended (a clip appears once per playlist)."""
    if session.status is not SessionStatus.SCHEDULED:
        raise ValidationError.single(
            "session", f"session {session.id!r} is {session.status.value}; plan scheduled ones"
        )
    if any(e.clip_id == entry.clip_id for e in session.playlist):
        raise ValidationError.single(
            "clip_id", f"clip {entry.clip_id!r} is already on this session's playlist"
        )
    if entry.start_second < 0:
        raise ValidationError.single("start_second", "give a second of the clip, 0 or more")
    return attrs.evolve(session, playlist=(*session.playlist, entry))


def add_insight(session: ClubSession, insight: Insight) -> ClubSession:
    """The session with one more insight."""
    return attrs.evolve(session, insights=(*session.insights, insight))


def add_action(session: ClubSession, club: VideoClub, action: FollowUpAction) -> ClubSession:
    """The session with a follow-up action for a member of the club."""
    problems: list[Problem] = []
    if action.assignee_id not in club.participants:
        problems.append(
            Problem("assignee_id", f"{action.assignee_id} is not in club {club.name!r}")
        )
    if not action.description.strip():
        problems.append(Problem("description", "must be non-empty text"))
    if action.due_on < session.scheduled_for.date():
        problems.append(
            Problem(
                "due_on",
                f"{action.due_on.isoformat()} is before the session "
                f"({session.scheduled_for.date().isoformat()}); give a later date",
            )
        )
    if problems:
        raise ValidationError(problems)
    return attrs.evolve(session, actions=(*session.actions, action))


def complete_action(session: ClubSession, action_id: str, on: date) -> ClubSession:
    """The session with action ``action_id`` marked done on ``on``."""
    if not any(a.id == action_id for a in session.actions):
        raise ValidationError.single("action_id", f"no action {action_id!r} in this session")
    return attrs.evolve(
        session,
        actions=tuple(
            attrs.evolve(a, done_on=a.done_on or on) if a.id == action_id else a
            for a in session.actions
        ),
    )


@attrs.frozen
class PlaylistCheck:
    """Whether a club may watch a clip now, and why (never the clip's content)."""

    clip_id: str
    playable: bool
    because: str
    purpose: Purpose | None = None
    consent_id: str | None = None


@attrs.frozen
class PlaylistItem:
    """A clip the viewer may watch in the session, as planned by the facilitator."""

    clip_id: str
    title: str
    kind: str
    duration_seconds: int
    start_second: int
    prompt: str
    because: str


@attrs.frozen
class PlaylistView:
    """A session's playlist as one viewer sees it now: what plays, what was withheld."""

    session_id: str
    club_id: str
    items: tuple[PlaylistItem, ...]
    withheld: tuple[PlaylistCheck, ...]

    @property
    def clip_ids(self) -> tuple[str, ...]:
        """Ids of the clips that play, in playlist order."""
        return tuple(i.clip_id for i in self.items)


def club_may_watch(
    resource: Resource, club: VideoClub, facts: Facts, as_of: datetime
) -> PlaylistCheck:
    """Decide whether ``club`` may watch the clip described by ``resource`` at ``as_of``.

    Yes when no pupil in the clip's class is flagged "no media" (or unknown), and either
    its teacher shared it with this club under an active consent (a share whose group is
    the club) or put it in the training library for the whole trust. ``facts`` are the
    teacher's consents, the clip's shares and the MIS answer, as for
    :func:`~cpdcore.domain.access.can`.
    """
    if resource.trust_id != club.trust_id:
        return PlaylistCheck(resource.id, False, "the clip belongs to another trust")
    if resource.has_media and facts.pupil_media in (PupilMedia.REFUSED, PupilMedia.UNKNOWN):
        return PlaylistCheck(
            resource.id,
            False,
            "a pupil in the clip's class has no media consent in the MIS (or the flags "
            "cannot be checked); it stays with the teacher and observer",
        )
    consents = {c.id: c for c in facts.consents}
    for share in facts.shares:
        consent = consents.get(share.consent_id)
        if (
            share.item == resource.ref
            and share.group_id == club.id
            and share.purpose in CLUB_PURPOSES
            and share.active(as_of)
            and consent is not None
            and consent.subject_id == resource.subject_id
            and consent.active(as_of)
            and consent.covers(resource.ref)
        ):
            return PlaylistCheck(
                resource.id,
                True,
                f"shared with the club under consent {consent.id}",
                share.purpose,
                consent.id,
            )
    library = find_consent(
        facts.consents,
        subject_id=resource.subject_id,
        item=resource.ref,
        purpose=Purpose.TRAINING_LIBRARY,
        audience=Audience.TRUST,
        as_of=as_of,
    )
    if library is not None:
        return PlaylistCheck(
            resource.id,
            True,
            f"in the training library under consent {library.id}",
            Purpose.TRAINING_LIBRARY,
            library.id,
        )
    return PlaylistCheck(
        resource.id,
        False,
        f"{resource.subject_id} has not shared this clip with the club (learning_group "
        "consent) nor put it in the training library, or has withdrawn that consent",
    )


def open_actions(sessions: Iterable[ClubSession]) -> list[FollowUpAction]:
    """Actions not yet done, earliest due first (overdue ones included)."""
    found = [a for s in sessions for a in s.actions if a.done_on is None]
    return sorted(found, key=lambda a: (a.due_on, a.id))
