"""Use cases for video clubs: clubs, sharing clips with them, sessions and playlists,
discussion, insights and follow-up actions.

Sharing is the teacher's act: :meth:`VideoClubUseCases.share_clip_with_club` records a
``LEARNING_GROUP`` consent for that club (unless one stands) and a share naming the
club's current participants. The facilitator can then put the clip on a session's
playlist, and every view of the playlist checks again (consent, share, pupils' media
flags, and the viewer's own access), so a consent withdrawn between planning and the
meeting takes the clip out, and the consent use case deletes its media.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

import attrs

from cpdcore.domain.access import Action, PupilMedia, can
from cpdcore.domain.clips import Clip, clip_resource
from cpdcore.domain.consent import Audience, ConsentRecord, ItemKind, Purpose, Share, find_consent
from cpdcore.domain.identifiers import SchoolId, StaffId
from cpdcore.domain.organisation import Role, StaffMember
from cpdcore.domain.timestamps import utc
from cpdcore.domain.video_clubs import (
    ClubSession,
    DiscussionNote,
    FollowUpAction,
    Insight,
    PlaylistCheck,
    PlaylistEntry,
    PlaylistItem,
    PlaylistView,
    SessionStatus,
    VideoClub,
    add_action,
    add_insight,
    add_member,
    add_to_playlist,
    club_may_watch,
    complete_action,
    remove_member,
)
from cpdcore.errors import ConsentRequired, PermissionDenied, Problem, ValidationError
from cpdcore.services.consent import grant_in_transaction
from cpdcore.services.context import Transaction, UseCases, all_pages, new_id
from cpdcore.services.observations import (
    check_sip_codes,
    clip_facts,
    load_clip,
    school_focuses,
)

__all__ = ["VideoClubUseCases"]

_SETS_UP_CLUBS = frozenset({Role.FACILITATOR, Role.SCHOOL_LEADER})
_LEADERS = frozenset({Role.SCHOOL_LEADER})


class VideoClubUseCases(UseCases):
    """Learning communities that watch short clips of real lessons around one theme."""

    # Clubs ------------------------------------------------------------------------------
    def create_club(
        self,
        school_id: SchoolId,
        name: str,
        theme: str,
        *,
        facilitator_id: StaffId | None = None,
        members: Iterable[StaffId] = (),
        sip_priorities: Iterable[str] = (),
    ) -> VideoClub:
        """Start a club at a school (facilitators and school leaders); ``theme`` is a code
        from the school's focus list."""
        self._require(_SETS_UP_CLUBS, school_id, "starting a video club")
        leader = facilitator_id or self.actor.staff_id
        if leader is None:
            raise ValidationError.single("facilitator_id", "name the club's facilitator")
        people = tuple(dict.fromkeys(m for m in members if m != leader))
        with self._transaction() as tx:
            _check_staff(tx, (leader, *people))
            if not any(f.code == theme and f.active for f in school_focuses(tx, school_id)):
                raise ValidationError.single(
                    "theme", f"{theme!r} is not on school {school_id}'s observation focus list"
                )
            club = tx.repo(VideoClub).add(
                VideoClub(
                    id=new_id(),
                    trust_id=self.actor.trust_id,
                    school_id=school_id,
                    name=name,
                    theme=theme,
                    facilitator_id=leader,
                    members=people,
                    sip_codes=check_sip_codes(
                        tx, school_id, tuple(sip_priorities), "sip_priorities"
                    ),
                )
            )
            tx.audit(
                "club.created",
                "VideoClub",
                club.id,
                school_id=school_id,
                payload={"theme": theme, "members": len(club.participants)},
            )
        return club

    def add_club_member(self, club_id: str, staff_id: StaffId) -> VideoClub:
        """Add a member (facilitator or school leader). Clips shared earlier are not
        shown to them: each share names the people its teacher agreed to."""
        with self._transaction() as tx:
            club = self._club_to_run(tx, club_id, "adding a club member")
            _check_staff(tx, (staff_id,))
            stored = tx.repo(VideoClub).update(add_member(club, staff_id))
            tx.audit("club.member_added", "VideoClub", club.id, school_id=club.school_id)
        return stored

    def remove_club_member(self, club_id: str, staff_id: StaffId) -> VideoClub:
        """Remove a member (facilitator, leader, or the member themselves)."""
        with self._transaction() as tx:
            club = tx.repo(VideoClub).get(self.actor.trust_id, club_id)
            if self.actor.staff_id != staff_id:
                club = self._club_to_run(tx, club_id, "removing a club member")
            stored = tx.repo(VideoClub).update(remove_member(club, staff_id))
            tx.audit("club.member_removed", "VideoClub", club.id, school_id=club.school_id)
        return stored

    def club(self, club_id: str) -> VideoClub:
        """A club, for its participants and the school's leaders."""
        with self._transaction() as tx:
            club = tx.repo(VideoClub).get(self.actor.trust_id, club_id)
            self._require_participant_or_leader(club, "reading a club")
            return club

    def clubs(self, school_id: SchoolId | None = None) -> list[VideoClub]:
        """Clubs the actor takes part in (all of a school's clubs for its leaders)."""
        with self._transaction() as tx:
            found = all_pages(tx.repo(VideoClub), self.actor.trust_id, school_id=school_id)
        return [c for c in found if self._participant_or_leader(c)]

    # Sharing ----------------------------------------------------------------------------
    def share_clip_with_club(
        self,
        clip_id: str,
        club_id: str,
        *,
        wording: str | None = None,
        wording_version: str | None = None,
    ) -> Share:
        """The teacher a clip shows lets a club watch it.

        Records a ``DEVELOPMENTAL_REVIEW`` consent for ``LEARNING_GROUP`` narrowed to this
        club (unless one stands) and a share naming the club's participants. Raises
        ``ConsentRequired`` when a pupil in the clip's class is flagged "no media" (or
        the flags cannot be checked), before anything is recorded.
        """
        with self._transaction() as tx:
            clip = load_clip(tx, clip_id)
            club = tx.repo(VideoClub).get(self.actor.trust_id, club_id)
            if self.actor.staff_id != clip.subject_id:
                raise PermissionDenied(
                    f"only {clip.subject_id}, whose practice the clip shows, shares it"
                )
            resource = clip_resource(clip)
            facts = clip_facts(tx, resource, self._adapters.mis)
            if facts.pupil_media in (PupilMedia.REFUSED, PupilMedia.UNKNOWN):
                raise ConsentRequired(
                    f"clip {clip.id} shows class {clip.class_label} where a pupil has no media "
                    "consent in the MIS (or the flags cannot be checked); it can be seen only "
                    "by you and your observer",
                    purpose=Purpose.DEVELOPMENTAL_REVIEW.value,
                    audience=Audience.LEARNING_GROUP.value,
                )
            consents = all_pages(
                tx.repo(ConsentRecord), self.actor.trust_id, where={"subject_id": clip.subject_id}
            )
            consent = find_consent(
                consents,
                subject_id=clip.subject_id,
                item=resource.ref,
                purpose=Purpose.DEVELOPMENTAL_REVIEW,
                audience=Audience.LEARNING_GROUP,
                as_of=tx.now,
                group_id=club.id,
            )
            if consent is None:
                consent = grant_in_transaction(
                    tx,
                    subject_id=clip.subject_id,
                    item_kind=ItemKind.CLIP,
                    item_id=clip.id,
                    purpose=Purpose.DEVELOPMENTAL_REVIEW,
                    audience=Audience.LEARNING_GROUP,
                    school_id=clip.school_id,
                    wording=wording,
                    wording_version=wording_version,
                    group_id=club.id,
                )
            share = tx.repo(Share).add(
                Share(
                    id=new_id(),
                    trust_id=self.actor.trust_id,
                    subject_id=clip.subject_id,
                    item_kind=ItemKind.CLIP,
                    item_id=clip.id,
                    purpose=Purpose.DEVELOPMENTAL_REVIEW,
                    audience=Audience.LEARNING_GROUP,
                    consent_id=consent.id,
                    shared_by=self.actor.id,
                    shared_at=tx.now,
                    members=club.participants,
                    group_id=club.id,
                    school_id=clip.school_id,
                )
            )
            tx.audit(
                "clip.shared",
                "Share",
                share.id,
                school_id=clip.school_id,
                subject_id=clip.subject_id,
                payload={"clip": clip.id, "club": club.id, "consent": consent.id},
            )
            tx.emit("clip.shared", clip.id, school_id=clip.school_id, club_id=club.id)
        return share

    # Sessions ---------------------------------------------------------------------------
    def schedule_session(
        self, club_id: str, title: str, scheduled_for: datetime, *, minutes: int = 60
    ) -> ClubSession:
        """Schedule a meeting of the club (its facilitator or a school leader)."""
        with self._transaction() as tx:
            club = self._club_to_run(tx, club_id, "scheduling a club session")
            session = tx.repo(ClubSession).add(
                ClubSession(
                    id=new_id(),
                    trust_id=self.actor.trust_id,
                    school_id=club.school_id,
                    club_id=club.id,
                    title=title,
                    scheduled_for=utc(scheduled_for),
                    minutes=minutes,
                )
            )
            tx.audit("club_session.scheduled", "ClubSession", session.id, school_id=club.school_id)
            tx.emit(
                "club_session.scheduled",
                session.id,
                school_id=club.school_id,
                club_id=club.id,
                scheduled_for=session.scheduled_for.isoformat(),
            )
        return session

    def club_sessions(self, club_id: str | None = None) -> list[ClubSession]:
        """Sessions of the clubs the actor may see, soonest first."""
        clubs = {c.id: c for c in self.clubs()}
        if club_id is not None and club_id not in clubs:
            raise PermissionDenied(f"you take part in no club {club_id!r}")
        with self._transaction() as tx:
            found = [
                s
                for s in all_pages(tx.repo(ClubSession), self.actor.trust_id)
                if s.club_id in clubs and (club_id is None or s.club_id == club_id)
            ]
        return sorted(found, key=lambda s: (s.scheduled_for, s.id))

    def session(self, session_id: str) -> ClubSession:
        """One session with its notes, insights and actions (participants and leaders)."""
        with self._transaction() as tx:
            session, club = self._session(tx, session_id)
            self._require_participant_or_leader(club, "reading a club session")
            return session

    def add_to_playlist(
        self, session_id: str, clip_id: str, *, start_second: int = 0, prompt: str = ""
    ) -> ClubSession:
        """Plan a clip for a session (the facilitator). Only a clip the club may watch
        now can be added: shared with the club, or in the training library, and no pupil
        in it flagged "no media"."""
        with self._transaction() as tx:
            session, club = self._session(tx, session_id)
            self._club_to_run(tx, club.id, "planning a playlist")
            clip = load_clip(tx, clip_id)
            check = self._club_check(tx, clip, club)
            if not check.playable:
                raise ConsentRequired(
                    f"clip {clip.id} cannot go on the playlist: {check.because}",
                    purpose=Purpose.DEVELOPMENTAL_REVIEW.value,
                    audience=Audience.LEARNING_GROUP.value,
                )
            if start_second > clip.duration_seconds:
                raise ValidationError.single(
                    "start_second",
                    f"{start_second} is after the end of the clip ({clip.duration_seconds} s)",
                )
            entry = PlaylistEntry(
                clip_id=clip.id,
                added_by=self.actor.id,
                added_at=tx.now,
                start_second=start_second,
                prompt=prompt,
            )
            stored = tx.repo(ClubSession).update(add_to_playlist(session, entry))
            tx.audit(
                "playlist.clip_added",
                "ClubSession",
                session.id,
                school_id=session.school_id,
                payload={"clip": clip.id},
            )
        return stored

    def session_playlist(self, session_id: str) -> PlaylistView:
        """The playlist as the actor may watch it now: every clip is checked again, so
        one whose consent was withdrawn (or whose class gained a "no media" pupil) is
        listed under ``withheld`` instead."""
        with self._transaction() as tx:
            session, club = self._session(tx, session_id)
            self._require_participant(club, "watching a club playlist")
            items: list[PlaylistItem] = []
            withheld: list[PlaylistCheck] = []
            for entry in session.playlist:
                clip = tx.repo(Clip).find(self.actor.trust_id, entry.clip_id)
                check = (
                    PlaylistCheck(entry.clip_id, False, "the clip has been deleted")
                    if clip is None
                    else self._viewer_check(tx, clip, club)
                )
                if clip is None or not check.playable:
                    withheld.append(check)
                    continue
                items.append(
                    PlaylistItem(
                        clip_id=clip.id,
                        title=clip.title,
                        kind=clip.kind.value,
                        duration_seconds=clip.duration_seconds,
                        start_second=entry.start_second,
                        prompt=entry.prompt,
                        because=check.because,
                    )
                )
            tx.audit(
                "playlist.viewed",
                "ClubSession",
                session.id,
                school_id=session.school_id,
                payload={"shown": [i.clip_id for i in items], "withheld": len(withheld)},
            )
        return PlaylistView(session.id, club.id, tuple(items), tuple(withheld))

    def open_playlist_clip(self, session_id: str, clip_id: str) -> Iterator[bytes]:
        """The bytes of a clip on the session's playlist, if the actor may watch it now."""
        with self._transaction() as tx:
            session, club = self._session(tx, session_id)
            self._require_participant(club, "watching a club playlist")
            if all(e.clip_id != clip_id for e in session.playlist):
                raise ValidationError.single("clip_id", f"clip {clip_id!r} is not on the playlist")
            clip = load_clip(tx, clip_id)
            check = self._viewer_check(tx, clip, club)
            if not check.playable:
                raise ConsentRequired(
                    check.because,
                    purpose=Purpose.DEVELOPMENTAL_REVIEW.value,
                    audience=Audience.LEARNING_GROUP.value,
                )
            tx.audit(
                "media.opened",
                "Clip",
                clip.id,
                school_id=clip.school_id,
                subject_id=clip.subject_id,
                payload={"session": session.id, "consent": check.consent_id},
            )
        return self._media.open(self.actor.trust_id, clip.media_id)

    def playlist_manifest(self, session_id: str) -> dict[str, Any]:
        """A JSON-safe manifest of the session's playlist as the actor may watch it now."""
        view = self.session_playlist(session_id)
        session = self.session(session_id)
        return {
            "schema_version": 1,
            "session": {
                "id": session.id,
                "club_id": session.club_id,
                "title": session.title,
                "scheduled_for": session.scheduled_for.isoformat(),
                "minutes": session.minutes,
            },
            "clips": [attrs.asdict(item) for item in view.items],
            "withheld": [
                {"clip_id": check.clip_id, "because": check.because} for check in view.withheld
            ],
        }

    # What came out of a session ---------------------------------------------------------------
    def record_discussion(self, session_id: str, text: str) -> ClubSession:
        """Note what the group discussed (any participant)."""
        if not text.strip():
            raise ValidationError.single("text", "must be non-empty text")
        note = DiscussionNote(text=text, by=self.actor.id, written_at=self._now())
        return self._change_session(
            session_id,
            "club_session.discussed",
            lambda s, _c: attrs.evolve(s, notes=(*s.notes, note)),
        )

    def add_insight(
        self,
        session_id: str,
        *,
        what_worked: str,
        why: str,
        how_to_adapt: str,
        sip_priorities: Iterable[str] = (),
    ) -> ClubSession:
        """Record what worked, why, and how to adapt it, tagged to SIP priorities."""
        codes = tuple(sip_priorities)
        with self._transaction() as tx:
            session, club = self._session(tx, session_id)
            self._require_participant(club, "adding an insight")
            insight = Insight(
                id=new_id(),
                what_worked=what_worked,
                why=why,
                how_to_adapt=how_to_adapt,
                by=self.actor.id,
                written_at=tx.now,
                sip_codes=check_sip_codes(tx, club.school_id, codes, "sip_priorities"),
            )
            stored = tx.repo(ClubSession).update(add_insight(session, insight))
            tx.audit(
                "club_session.insight",
                "ClubSession",
                session.id,
                school_id=session.school_id,
                payload={"sip_priorities": list(insight.sip_codes)},
            )
        return stored

    def assign_action(
        self, session_id: str, assignee_id: StaffId, description: str, *, due_on: date
    ) -> ClubSession:
        """A follow-up action for a participant, due on ``due_on`` (the facilitator)."""
        with self._transaction() as tx:
            session, club = self._session(tx, session_id)
            self._club_to_run(tx, club.id, "assigning a follow-up action")
            action = FollowUpAction(
                id=new_id(),
                assignee_id=assignee_id,
                description=description,
                due_on=due_on,
                set_by=self.actor.id,
                set_at=tx.now,
            )
            stored = tx.repo(ClubSession).update(add_action(session, club, action))
            tx.audit(
                "club_session.action_assigned",
                "ClubSession",
                session.id,
                school_id=session.school_id,
                subject_id=assignee_id,
                payload={"due_on": due_on.isoformat()},
            )
        return stored

    def complete_action(self, session_id: str, action_id: str) -> ClubSession:
        """Mark an action done (its assignee or the facilitator)."""
        with self._transaction() as tx:
            session, club = self._session(tx, session_id)
            action = next((a for a in session.actions if a.id == action_id), None)
            if action is None or self.actor.staff_id not in (
                action.assignee_id,
                club.facilitator_id,
            ):
                raise PermissionDenied("only the assignee or the facilitator completes an action")
            stored = tx.repo(ClubSession).update(complete_action(session, action_id, tx.now.date()))
            tx.audit("club_session.action_done", "ClubSession", session.id)
        return stored

    def mark_session_held(self, session_id: str) -> ClubSession:
        """Record that the session took place (the facilitator)."""
        return self._set_status(session_id, SessionStatus.HELD)

    def cancel_session(self, session_id: str) -> ClubSession:
        """Cancel a scheduled session (the facilitator)."""
        return self._set_status(session_id, SessionStatus.CANCELLED)

    # Shared steps -------------------------------------------------------------------------
    def _set_status(self, session_id: str, status: SessionStatus) -> ClubSession:
        with self._transaction() as tx:
            session, club = self._session(tx, session_id)
            self._club_to_run(tx, club.id, f"marking a session {status.value}")
            if session.status is not SessionStatus.SCHEDULED:
                raise ValidationError.single(
                    "status", f"the session is already {session.status.value}"
                )
            stored = tx.repo(ClubSession).update(attrs.evolve(session, status=status))
            tx.audit(f"club_session.{status.value}", "ClubSession", session.id)
        return stored

    def _change_session(self, session_id: str, action: str, change: Any) -> ClubSession:
        with self._transaction() as tx:
            session, club = self._session(tx, session_id)
            self._require_participant(club, "writing in a club session")
            stored = tx.repo(ClubSession).update(change(session, club))
            tx.audit(action, "ClubSession", session.id, school_id=session.school_id)
        return stored

    def _session(self, tx: Transaction, session_id: str) -> tuple[ClubSession, VideoClub]:
        session = tx.repo(ClubSession).get(self.actor.trust_id, session_id)
        return session, tx.repo(VideoClub).get(self.actor.trust_id, session.club_id)

    def _club_check(self, tx: Transaction, clip: Clip, club: VideoClub) -> PlaylistCheck:
        resource = clip_resource(clip)
        return club_may_watch(resource, club, clip_facts(tx, resource, self._adapters.mis), tx.now)

    def _viewer_check(self, tx: Transaction, clip: Clip, club: VideoClub) -> PlaylistCheck:
        """The club may watch it, and so may this viewer (their own access decision)."""
        resource = clip_resource(clip)
        facts = clip_facts(tx, resource, self._adapters.mis)
        check = club_may_watch(resource, club, facts, tx.now)
        if not check.playable or check.purpose is None:
            return check
        decision = can(self.actor, Action.READ, resource, check.purpose, tx.now, facts=facts)
        if not decision.allowed:
            return PlaylistCheck(clip.id, False, decision.because)
        return check

    def _participant_or_leader(self, club: VideoClub) -> bool:
        me = self.actor.staff_id
        return (me is not None and me in club.participants) or self.actor.has_any_role(
            _LEADERS, club.school_id
        )

    def _require_participant_or_leader(self, club: VideoClub, doing: str) -> None:
        if not self._participant_or_leader(club):
            raise PermissionDenied(f"{doing} needs you to take part in club {club.name!r}")

    def _require_participant(self, club: VideoClub, doing: str) -> None:
        if self.actor.staff_id not in club.participants:
            raise PermissionDenied(f"{doing} needs you to take part in club {club.name!r}")

    def _club_to_run(self, tx: Transaction, club_id: str, doing: str) -> VideoClub:
        club = tx.repo(VideoClub).get(self.actor.trust_id, club_id)
        if self.actor.staff_id != club.facilitator_id:
            self._require(_LEADERS, club.school_id, doing)
        return club


def _check_staff(tx: Transaction, people: Iterable[StaffId]) -> None:
    problems = [
        Problem(f"members[{i}]", f"unknown staff {person!r}")
        for i, person in enumerate(people)
        if tx.repo(StaffMember).find(tx.actor.trust_id, person) is None
    ]
    if problems:
        raise ValidationError(problems)
