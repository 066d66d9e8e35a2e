"""Consent through the facade: the developmental firewall in the review pack, withdrawal
that deletes media, pupil "no media" flags, shares, audited reads and safe denials."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from cpdcore import Actor, Cpd, Role, RoleAssignment
from cpdcore.app import ActingCpd
from cpdcore.clocks import FixedClock
from cpdcore.domain.consent import Audience, ItemKind, ItemRef, Purpose
from cpdcore.domain.cycles import CyclePhase
from cpdcore.domain.evidence import Evidence, EvidenceKind
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.media import MediaKind
from cpdcore.domain.roster import MisClass, PupilMediaConsent
from cpdcore.errors import ConsentRequired, NotFound, PermissionDenied
from cpdcore.memory import InMemoryMisSource

T = TrustId("t")
NORTH = SchoolId("north")
YEAR = "2026-27"
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200
SECRET = "Year 9 lesson where Amy lost the class"


class World:
    """Amy teaches 9X2 (one pupil there has no media consent) and 9Y1 (all may be
    filmed); Hal leads North and appraises Amy; Bob and Cat teach there; Tia leads the
    trust; Rex is a researcher."""

    def __init__(self) -> None:
        self.clock = FixedClock(datetime(2026, 9, 1, 8, tzinfo=UTC))
        self.mis = InMemoryMisSource(
            classes_=[MisClass("9X2", "north", "9X2", 2), MisClass("9Y1", "north", "9Y1", 2)],
            media_consent_=[
                PupilMediaConsent("p1", "9X2", True),
                PupilMediaConsent("p2", "9X2", False),
                PupilMediaConsent("p3", "9Y1", True),
                PupilMediaConsent("p4", "9Y1", True),
            ],
        )
        self.cpd = Cpd.open(
            "memory://", media="memory://", mis=self.mis, clock=self.clock, entry_points=False
        )
        admin = self.cpd.as_actor(Actor.system(T, "set-up"))
        self.admin = admin
        admin.set_up_trust("Trust")
        admin.add_school("North", school_id=NORTH)
        self.people = {}
        for key, role, school in [
            ("amy", Role.APPRAISEE, NORTH),
            ("bob", Role.APPRAISEE, NORTH),
            ("cat", Role.OBSERVER, NORTH),
            ("hal", Role.SCHOOL_LEADER, NORTH),
            ("tia", Role.TRUST_LEADER, None),
            ("rex", Role.RESEARCHER, None),
        ]:
            roles = [RoleAssignment(role, school)]
            if school is None:
                roles.append(RoleAssignment(Role.APPRAISEE, NORTH))
            self.people[key] = admin.add_staff(key.title(), "X", roles=roles, staff_id=StaffId(key))
        cycle = self.act("tia").open_cycle(YEAR)
        self.act("tia").advance_cycle(cycle.id, CyclePhase.OBJECTIVE_SETTING)
        self.act("hal").assign_appraiser(StaffId("amy"), StaffId("hal"), YEAR)
        self.clock.set(datetime(2026, 11, 2, 9, tzinfo=UTC))

    def act(self, key: str) -> ActingCpd:
        """The use cases for a person with the roles they hold now (as a host would)."""
        return self.cpd.as_actor(Actor.for_staff(self.admin.staff_member(StaffId(key))))

    def clip(self, class_label: str = "9Y1") -> Evidence:
        assert self.cpd.media is not None
        info = self.cpd.media.put(T, io.BytesIO(MP4), kind=MediaKind.VIDEO)
        return self.act("amy").log_evidence(
            EvidenceKind.VIDEO_CLIP,
            SECRET,
            media_id=info.media_id,
            class_label=class_label,
        )

    def pack_titles(self, reader: str) -> list[str]:
        pack = self.act(reader).review_pack(StaffId("amy"))
        return [e.title for e in pack.other_evidence]


@pytest.fixture
def world() -> World:
    return World()


def ref(evidence: Evidence) -> ItemRef:
    return ItemRef(ItemKind.EVIDENCE, evidence.id)


def test_a_developmental_clip_enters_the_pack_only_with_consent_and_leaves_on_withdrawal(
    world: World,
) -> None:
    clip = world.clip()
    amy = world.act("amy")
    assert world.pack_titles("hal") == []
    amy.grant_consent(Purpose.TRAINING_LIBRARY, Audience.LINE_MANAGER, category=ItemKind.EVIDENCE)
    amy.grant_consent(Purpose.APPRAISAL_EVIDENCE, Audience.LINE_MANAGER, category=ItemKind.EVIDENCE)
    assert world.pack_titles("hal") == [], "a category consent never passes the firewall"
    consent = amy.grant_consent(Purpose.APPRAISAL_EVIDENCE, Audience.LINE_MANAGER, item=ref(clip))
    assert world.pack_titles("hal") == [SECRET]
    assert world.pack_titles("amy") == [SECRET]
    world.clock.advance(timedelta(minutes=1))
    amy.withdraw_consent(consent.id)
    assert world.pack_titles("hal") == []
    assert world.pack_titles("amy") == []


def test_media_bytes_are_gone_after_withdrawal(world: World) -> None:
    clip = world.clip()
    assert world.cpd.media is not None and clip.media_id is not None
    amy = world.act("amy")
    consent = amy.grant_consent(Purpose.DEVELOPMENTAL_REVIEW, Audience.LINE_MANAGER, item=ref(clip))
    assert b"".join(world.act("hal").open_media(ref(clip), "developmental_review")) == MP4
    result = amy.withdraw_consent(consent.id)
    assert result.media_deleted == (clip.media_id,)
    with pytest.raises(NotFound):
        world.cpd.media.info(T, clip.media_id)
    with pytest.raises(ConsentRequired):
        world.act("hal").open_media(ref(clip), "developmental_review")


def test_withdrawal_keeps_media_when_asked_or_still_consented(world: World) -> None:
    clip = world.clip()
    assert world.cpd.media is not None and clip.media_id is not None
    amy = world.act("amy")
    first = amy.grant_consent(Purpose.DEVELOPMENTAL_REVIEW, Audience.LINE_MANAGER, item=ref(clip))
    second = amy.grant_consent(Purpose.TRUST_SHARING, Audience.TRUST, item=ref(clip))
    assert amy.withdraw_consent(first.id).media_deleted == ()
    assert amy.withdraw_consent(second.id, keep_media=True).media_deleted == ()
    assert world.cpd.media.info(T, clip.media_id).size == len(MP4)


def test_a_pupil_without_media_consent_blocks_a_share(world: World) -> None:
    clip = world.clip("9X2")
    amy = world.act("amy")
    amy.grant_consent(Purpose.DEVELOPMENTAL_REVIEW, Audience.LEARNING_GROUP, item=ref(clip))
    with pytest.raises(ConsentRequired, match="no media consent") as info:
        amy.share_item(
            ref(clip), "developmental_review", "learning_group", members=[StaffId("bob")]
        )
    assert SECRET not in str(info.value)
    assert info.value.audience == "learning_group"
    # Private audiences stay open: the observer share is allowed.
    amy.grant_consent(Purpose.DEVELOPMENTAL_REVIEW, Audience.OBSERVER, item=ref(clip))
    amy.share_item(ref(clip), "developmental_review", "observer", members=[StaffId("cat")])
    # ...and the appraisal route is closed too, even with consent for the item.
    amy.grant_consent(Purpose.APPRAISAL_EVIDENCE, Audience.LINE_MANAGER, item=ref(clip))
    assert world.pack_titles("hal") == []


def test_a_clip_in_a_fully_consented_class_can_be_shared_until_withdrawal(world: World) -> None:
    clip = world.clip("9Y1")
    amy = world.act("amy")
    consent = amy.grant_consent(
        Purpose.DEVELOPMENTAL_REVIEW, Audience.LEARNING_GROUP, item=ref(clip)
    )
    share = amy.share_item(
        ref(clip), "developmental_review", "learning_group", members=[StaffId("bob")]
    )
    assert world.act("bob").may(ref(clip), "developmental_review").share_id == share.id
    with pytest.raises(ConsentRequired):
        world.act("cat").open_item(ref(clip), "developmental_review")
    result = amy.withdraw_consent(consent.id)
    assert result.shares_revoked == (share.id,)
    with pytest.raises(ConsentRequired):
        world.act("bob").open_item(ref(clip), "developmental_review")


def test_unknown_pupil_flags_fail_closed(world: World) -> None:
    clip = world.clip("10Z9")
    amy = world.act("amy")
    amy.grant_consent(Purpose.DEVELOPMENTAL_REVIEW, Audience.LINE_MANAGER, item=ref(clip))
    decision = world.act("hal").may(ref(clip), "developmental_review")
    assert not decision.allowed
    assert "cannot be checked" in decision.because


def test_release_evidence_records_and_withdraws_item_consent(world: World) -> None:
    amy = world.act("amy")
    note = amy.log_evidence(EvidenceKind.REFLECTION, "Hinge questions", text="went well")
    amy.release_evidence(note.id)
    records = amy.consents()
    assert {(c.purpose, c.audience, c.item_id) for c in records} == {
        (Purpose.APPRAISAL_EVIDENCE, Audience.LINE_MANAGER, note.id),
        (Purpose.APPRAISAL_EVIDENCE, Audience.SCHOOL_LEADERS, note.id),
    }
    assert all(c.wording and c.wording_version for c in records)
    assert world.act("hal").evidence(note.id).title == "Hinge questions"
    world.clock.advance(timedelta(minutes=1))
    amy.release_evidence(note.id, released=False)
    assert all(c.withdrawn_at is not None for c in amy.consents())
    with pytest.raises(PermissionDenied):
        world.act("hal").evidence(note.id)
    amy.release_evidence(note.id)
    assert world.act("hal").evidence(note.id).id == note.id


def test_expired_consent_stops_access_without_any_call(world: World) -> None:
    amy = world.act("amy")
    note = amy.log_evidence(EvidenceKind.REFLECTION, "Wait time", text="x")
    amy.grant_consent(
        Purpose.APPRAISAL_EVIDENCE,
        Audience.LINE_MANAGER,
        item=ref(note),
        expires_at=world.clock.now() + timedelta(days=7),
    )
    assert world.pack_titles("hal") == ["Wait time"]
    world.clock.advance(timedelta(days=8))
    assert world.pack_titles("hal") == []


@pytest.mark.parametrize(
    ("reader", "purpose", "error", "names"),
    [
        ("bob", "appraisal_evidence", PermissionDenied, "appraiser or the school_leader"),
        ("tia", "appraisal_evidence", PermissionDenied, "appraiser or the school_leader"),
        ("rex", "research", PermissionDenied, "aggregates"),
        ("hal", "appraisal_evidence", ConsentRequired, "appraisal_evidence"),
        ("hal", "training_library", ConsentRequired, "training_library"),
    ],
)
def test_denials_name_the_missing_role_or_consent_but_not_the_content(
    world: World, reader: str, purpose: str, error: type[Exception], names: str
) -> None:
    clip = world.clip()
    with pytest.raises(error, match=names) as info:
        world.act(reader).open_item(ref(clip), purpose)
    assert SECRET not in str(info.value)


def test_only_the_subject_grants_and_shares(world: World) -> None:
    clip = world.clip()
    with pytest.raises(PermissionDenied, match="only amy"):
        world.act("hal").grant_consent("appraisal_evidence", "line_manager", item=ref(clip))
    with pytest.raises(PermissionDenied, match="only amy"):
        world.act("hal").share_item(ref(clip), "developmental_review", "trust")


def test_reads_of_personal_data_are_audited(world: World) -> None:
    clip = world.clip()
    amy = world.act("amy")
    amy.grant_consent(Purpose.DEVELOPMENTAL_REVIEW, Audience.LINE_MANAGER, item=ref(clip))
    world.act("hal").open_item(ref(clip), "developmental_review")
    world.act("hal").review_pack(StaffId("amy"))
    reads = amy.reads_of()
    assert [(e.action, e.actor_id) for e in reads] == [
        ("item.opened", "hal"),
        ("review_pack.prepared", "hal"),
    ]
    assert reads[0].record_id == clip.id
