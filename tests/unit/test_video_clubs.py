"""Video clubs: who may share and plan, pupils' media flags at sharing and at viewing,
the training library, members added after a share, sessions, insights and actions."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest

from cpdcore import Actor, Cpd, Role, RoleAssignment
from cpdcore.app import ActingCpd
from cpdcore.clocks import FixedClock
from cpdcore.domain.clips import Clip
from cpdcore.domain.consent import Audience, Purpose
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.roster import MisClass, PupilMediaConsent
from cpdcore.domain.video_clubs import VideoClub, add_member, remove_member
from cpdcore.errors import ConsentRequired, PermissionDenied, ValidationError
from cpdcore.memory import InMemoryMediaStore, InMemoryMisSource

T = TrustId("t")
NORTH = SchoolId("north")
YEAR = "2026-27"
START = datetime(2026, 10, 5, 9, tzinfo=UTC)
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100


class World:
    def __init__(self) -> None:
        self.clock = FixedClock(START)
        self.mis = InMemoryMisSource(
            classes_=[
                MisClass("9X2", "north", "9X2", pupils=2),
                MisClass("8Y1", "north", "8Y1", pupils=1),
            ],
            media_consent_=[
                PupilMediaConsent("p1", "9X2", media_allowed=True),
                PupilMediaConsent("p2", "9X2", media_allowed=True),
                PupilMediaConsent("p3", "8Y1", media_allowed=False),
            ],
        )
        self.media = InMemoryMediaStore()
        self.cpd = Cpd.open(
            "memory://", media=self.media, mis=self.mis, clock=self.clock, entry_points=False
        )
        admin = self.cpd.as_actor(Actor.system(T, "set-up"))
        admin.set_up_trust("Trust")
        admin.add_school("North", school_id=NORTH)
        roles = {
            "hod": (Role.FACILITATOR,),
            "hal": (Role.SCHOOL_LEADER,),
            "amy": (Role.APPRAISEE,),
            "ben": (Role.OBSERVER,),
            "cara": (Role.APPRAISEE,),
            "dan": (Role.APPRAISEE,),
        }
        self.people = {
            key: admin.add_staff(
                key.title(),
                "X",
                roles=[RoleAssignment(r, NORTH) for r in held],
                staff_id=StaffId(key),
            )
            for key, held in roles.items()
        }
        self.act("hal").add_sip_priority("SIP-ORACY", "Oracy", YEAR, school_id=NORTH)
        self.act("hal").add_default_focuses(NORTH, sip_links={"oracy": ["SIP-ORACY"]})
        self.club = self.act("hod").create_club(
            NORTH,
            "Questioning club",
            "questioning",
            members=[StaffId("amy"), StaffId("cara")],
            sip_priorities=["SIP-ORACY"],
        )

    def act(self, key: str) -> ActingCpd:
        return self.cpd.as_actor(Actor.for_staff(self.people[key]))

    def clip_of_amy(self, class_label: str = "9X2") -> Clip:
        request = self.act("ben").request_observation(
            StaffId("amy"),
            "questioning",
            school_id=NORTH,
            planned_for=date(2026, 10, 6),
            class_label=class_label,
        )
        observation = self.act("amy").accept_observation(request.id)
        return self.act("ben").upload_clip(
            observation.id, io.BytesIO(MP4), title="Hinge question", duration_seconds=60
        )


@pytest.fixture
def world() -> World:
    return World()


def test_membership_rules() -> None:
    club = VideoClub(
        id="c",
        trust_id=T,
        school_id=NORTH,
        name="Club",
        theme="questioning",
        facilitator_id=StaffId("hod"),
    )
    grown = add_member(club, StaffId("amy"))
    assert grown.participants == ("hod", "amy")
    assert add_member(grown, StaffId("amy")) == grown
    assert add_member(grown, StaffId("hod")) == grown
    with pytest.raises(ValidationError, match="facilitator"):
        remove_member(grown, StaffId("hod"))
    with pytest.raises(ValidationError, match="listed twice"):
        VideoClub(
            id="c",
            trust_id=T,
            school_id=NORTH,
            name="Club",
            theme="questioning",
            facilitator_id=StaffId("hod"),
            members=(StaffId("amy"), StaffId("amy")),
        )


def test_only_facilitators_and_leaders_start_clubs(world: World) -> None:
    with pytest.raises(PermissionDenied, match="facilitator or school_leader"):
        world.act("amy").create_club(NORTH, "Mine", "questioning")
    with pytest.raises(ValidationError, match="focus list"):
        world.act("hod").create_club(NORTH, "Mine", "juggling")


def test_only_the_teacher_shares_and_pupils_without_media_consent_block_it(
    world: World,
) -> None:
    clip = world.clip_of_amy()
    with pytest.raises(PermissionDenied, match="only amy"):
        world.act("ben").share_clip_with_club(clip.id, world.club.id)
    blocked = world.clip_of_amy("8Y1")
    with pytest.raises(ConsentRequired, match="no media"):
        world.act("amy").share_clip_with_club(blocked.id, world.club.id)
    # Nothing was recorded for the refused share.
    assert all(c.item_id != blocked.id for c in world.act("amy").consents())


def test_an_unshared_clip_cannot_be_planned(world: World) -> None:
    clip = world.clip_of_amy()
    session = world.act("hod").schedule_session(world.club.id, "S1", START + timedelta(days=7))
    with pytest.raises(ConsentRequired, match="has not shared"):
        world.act("hod").add_to_playlist(session.id, clip.id)
    world.act("amy").share_clip_with_club(clip.id, world.club.id)
    with pytest.raises(PermissionDenied):
        world.act("cara").add_to_playlist(session.id, clip.id)
    planned = world.act("hod").add_to_playlist(session.id, clip.id)
    assert [e.clip_id for e in planned.playlist] == [clip.id]
    with pytest.raises(ValidationError, match="already on"):
        world.act("hod").add_to_playlist(session.id, clip.id)


def test_a_no_media_flag_raised_after_planning_takes_the_clip_out(world: World) -> None:
    clip = world.clip_of_amy()
    world.act("amy").share_clip_with_club(clip.id, world.club.id)
    session = world.act("hod").schedule_session(world.club.id, "S1", START + timedelta(days=7))
    world.act("hod").add_to_playlist(session.id, clip.id)
    assert world.act("cara").session_playlist(session.id).clip_ids == (clip.id,)
    world.mis.media_consent_[1] = PupilMediaConsent("p2", "9X2", media_allowed=False)
    view = world.act("cara").session_playlist(session.id)
    assert view.clip_ids == ()
    assert "no media consent" in view.withheld[0].because
    with pytest.raises(ConsentRequired):
        world.act("cara").open_playlist_clip(session.id, clip.id)


def test_members_added_later_do_not_see_earlier_shares(world: World) -> None:
    clip = world.clip_of_amy()
    world.act("amy").share_clip_with_club(clip.id, world.club.id)
    session = world.act("hod").schedule_session(world.club.id, "S1", START + timedelta(days=7))
    world.act("hod").add_to_playlist(session.id, clip.id)
    world.act("hod").add_club_member(world.club.id, StaffId("dan"))
    assert world.act("dan").session_playlist(session.id).clip_ids == ()
    # Sharing again names the club's current participants.
    world.act("amy").share_clip_with_club(clip.id, world.club.id)
    assert world.act("dan").session_playlist(session.id).clip_ids == (clip.id,)


def test_a_training_library_clip_can_be_watched_by_any_club(world: World) -> None:
    clip = world.clip_of_amy()
    world.act("amy").grant_consent(Purpose.TRAINING_LIBRARY, Audience.TRUST, item=f"clip:{clip.id}")
    session = world.act("hod").schedule_session(world.club.id, "S1", START + timedelta(days=7))
    world.act("hod").add_to_playlist(session.id, clip.id)
    view = world.act("cara").session_playlist(session.id)
    assert view.clip_ids == (clip.id,)
    assert "training library" in view.items[0].because
    manifest = world.act("hod").playlist_manifest(session.id)
    assert manifest["clips"][0]["clip_id"] == clip.id and manifest["withheld"] == []


def test_sessions_record_notes_insights_and_actions(world: World) -> None:
    session = world.act("hod").schedule_session(world.club.id, "S1", START + timedelta(days=7))
    world.act("amy").record_discussion(session.id, "We noticed wait time mattered.")
    world.act("cara").add_insight(
        session.id,
        what_worked="Cold calling after think time",
        why="Everyone prepared an answer",
        how_to_adapt="Use mini-whiteboards in Year 7",
        sip_priorities=["SIP-ORACY"],
    )
    with pytest.raises(ValidationError, match="unknown SIP priority"):
        world.act("cara").add_insight(
            session.id, what_worked="a", why="b", how_to_adapt="c", sip_priorities=["NOPE"]
        )
    with pytest.raises(ValidationError, match="before the session"):
        world.act("hod").assign_action(
            session.id, StaffId("amy"), "Try it", due_on=date(2026, 9, 1)
        )
    with pytest.raises(ValidationError, match="not in club"):
        world.act("hod").assign_action(
            session.id, StaffId("ben"), "Try it", due_on=date(2026, 11, 1)
        )
    planned = world.act("hod").assign_action(
        session.id, StaffId("amy"), "Try it in 9X2", due_on=date(2026, 11, 1)
    )
    action = planned.actions[0]
    with pytest.raises(PermissionDenied):
        world.act("cara").complete_action(session.id, action.id)
    done = world.act("amy").complete_action(session.id, action.id)
    assert done.actions[0].done_on == START.date()
    held = world.act("hod").mark_session_held(session.id)
    assert held.status.value == "held"
    with pytest.raises(PermissionDenied):
        world.act("ben").session(session.id)
    assert [s.id for s in world.act("amy").club_sessions()] == [session.id]
    assert world.act("hal").session(session.id).insights[0].sip_codes == ("SIP-ORACY",)
