"""Evidence: kinds and content rules, linking with history, release for appraisal, access."""

from __future__ import annotations

from datetime import UTC, date, datetime

import hypothesis.strategies as st
import pytest
from hypothesis import given

from cpdcore import Actor, Cpd, PermissionDenied, Role, RoleAssignment, ValidationError
from cpdcore.app import ActingCpd
from cpdcore.clocks import FixedClock
from cpdcore.domain.evidence import (
    Evidence,
    EvidenceKind,
    EvidencePurpose,
    LinkAction,
    link,
    released_for_appraisal,
    unlink,
)
from cpdcore.domain.identifiers import EvidenceId, MediaId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.organisation import StaffMember
from cpdcore.domain.standards import TeachersStandard
from cpdcore.serialization import from_dict, to_dict

AT = datetime(2026, 10, 1, 9, tzinfo=UTC)
T = TrustId("t")
NORTH = SchoolId("north")


def item(**overrides: object) -> Evidence:
    values: dict[str, object] = {
        "id": EvidenceId("e1"),
        "trust_id": T,
        "school_id": NORTH,
        "owner_id": StaffId("amy"),
        "author_id": "amy",
        "kind": EvidenceKind.REFLECTION,
        "title": "After 9X2",
        "captured_on": date(2026, 10, 1),
        "recorded_at": AT,
        "text": "Pupils needed more wait time.",
    }
    values.update(overrides)
    return Evidence(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"title": " "}, "title"),
        ({"kind": EvidenceKind.PHOTO}, "media_id"),
        ({"kind": EvidenceKind.VIDEO_CLIP, "text": ""}, "media_id"),
        ({"kind": EvidenceKind.LINK}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"text": ""}, "text"),
    ],
)
def test_items_must_fit_their_kind(overrides: dict[str, object], where: str) -> None:
    with pytest.raises(ValidationError) as info:
        item(**overrides)
    assert where in [p.where for p in info.value.problems]


def test_a_clip_has_a_media_reference_and_the_class_it_was_captured_in() -> None:
    clip = item(kind=EvidenceKind.VIDEO_CLIP, text="", media_id=MediaId("m1"), class_label="9X2")
    assert clip.class_label == "9X2"
    assert not clip.about_someone_else
    assert item(author_id="ben", kind=EvidenceKind.PEER_FEEDBACK).about_someone_else


def test_linking_and_unlinking_keeps_history() -> None:
    linked = link(item(), by="amy", at=AT, objective_id=ObjectiveId("o1"))
    linked = link(linked, by="amy", at=AT, standard=TeachersStandard.TS4)
    assert link(linked, by="amy", at=AT, standard=TeachersStandard.TS4) == linked
    gone = unlink(linked, by="amy", at=AT, objective_id=ObjectiveId("o1"))
    assert gone.objective_ids == ()
    assert gone.standards == (TeachersStandard.TS4,)
    assert [c.action for c in gone.link_history] == [
        LinkAction.LINKED,
        LinkAction.LINKED,
        LinkAction.UNLINKED,
    ]
    with pytest.raises(ValidationError, match="not linked"):
        unlink(gone, by="amy", at=AT, objective_id=ObjectiveId("o1"))


def test_only_marked_items_are_released_for_appraisal() -> None:
    assert not released_for_appraisal(item())
    assert released_for_appraisal(item(appraisal_evidence=True, purpose=EvidencePurpose.FORMAL))
    # A developmental item needs its owner's consent for the item, not just the flag.
    assert not released_for_appraisal(item(appraisal_evidence=True))


@given(
    kind=st.sampled_from([k for k in EvidenceKind if k is not EvidenceKind.LINK]),
    purpose=st.sampled_from(list(EvidencePurpose)),
    standards=st.lists(st.sampled_from(list(TeachersStandard)), unique=True, max_size=3),
    released=st.booleans(),
    class_label=st.none() | st.text(min_size=1, max_size=6),
)
def test_items_survive_a_serialization_round_trip(
    *,
    kind: EvidenceKind,
    purpose: EvidencePurpose,
    standards: list[TeachersStandard],
    released: bool,
    class_label: str | None,
) -> None:
    evidence = item(
        kind=kind,
        purpose=purpose,
        standards=tuple(standards),
        appraisal_evidence=released,
        class_label=class_label,
        media_id=MediaId("m1"),
    )
    evidence = link(evidence, by="amy", at=AT, objective_id=ObjectiveId("o1"))
    assert from_dict(Evidence, to_dict(evidence)) == evidence


class School:
    """Amy and Ben teach at North, Cat at South; Hal leads North and appraises Amy."""

    def __init__(self) -> None:
        self.cpd = Cpd.open("memory://", clock=FixedClock(AT), entry_points=False)
        admin = self.cpd.as_actor(Actor.system(T, "set-up"))
        admin.set_up_trust("Trust")
        admin.add_school("North", school_id=NORTH)
        admin.add_school("South", school_id=SchoolId("south"))
        self.people: dict[str, StaffMember] = {}
        for key, role, school in [
            ("amy", Role.APPRAISEE, NORTH),
            ("ben", Role.APPRAISEE, NORTH),
            ("cat", Role.APPRAISEE, SchoolId("south")),
            ("hal", Role.SCHOOL_LEADER, NORTH),
        ]:
            self.people[key] = admin.add_staff(
                key, "X", roles=[RoleAssignment(role, school)], staff_id=StaffId(key)
            )
        self.act("hal").assign_appraiser(StaffId("amy"), StaffId("hal"), "2026-27")

    def act(self, key: str) -> ActingCpd:
        return self.cpd.as_actor(Actor.for_staff(self.people[key]))


@pytest.fixture
def school() -> School:
    return School()


def test_owner_logs_links_and_releases(school: School) -> None:
    amy = school.act("amy")
    logged = amy.log_evidence("reflection", "After 9X2", text="Wait time.", standards=["ts7"])
    assert logged.standards == (TeachersStandard.TS7,)
    assert logged.author_id == "amy"
    linked = amy.link_evidence(logged.id, standard="TS4")
    assert linked.standards == (TeachersStandard.TS7, TeachersStandard.TS4)
    released = amy.release_evidence(logged.id)
    assert released.appraisal_evidence
    assert not amy.release_evidence(logged.id, released=False).appraisal_evidence


def test_colleagues_may_give_feedback_but_not_release_or_log_other_kinds(school: School) -> None:
    ben = school.act("ben")
    feedback = ben.log_evidence(
        EvidenceKind.PEER_FEEDBACK, "Peer visit", owner_id=StaffId("amy"), text="Great pace."
    )
    assert (feedback.owner_id, feedback.author_id) == ("amy", "ben")
    with pytest.raises(PermissionDenied, match="colleagues may log"):
        ben.log_evidence(EvidenceKind.REFLECTION, "x", owner_id=StaffId("amy"), text="y")
    with pytest.raises(PermissionDenied, match="only the owner"):
        ben.log_evidence(
            EvidenceKind.PEER_FEEDBACK,
            "x",
            owner_id=StaffId("amy"),
            text="y",
            appraisal_evidence=True,
        )
    with pytest.raises(PermissionDenied, match="no school"):
        school.act("cat").log_evidence(
            EvidenceKind.PEER_FEEDBACK, "x", owner_id=StaffId("amy"), text="y"
        )
    with pytest.raises(PermissionDenied, match="owner"):
        ben.release_evidence(feedback.id)


def test_the_appraiser_may_file_a_formal_observation_as_appraisal_evidence(
    school: School,
) -> None:
    note = school.act("hal").log_evidence(
        EvidenceKind.OBSERVATION_NOTE,
        "Formal observation",
        owner_id=StaffId("amy"),
        purpose="formal",
        text="Secure subject knowledge.",
        appraisal_evidence=True,
    )
    assert note.appraisal_evidence


def test_unreleased_items_are_hidden_from_everyone_but_owner_and_author(school: School) -> None:
    amy = school.act("amy")
    private = amy.log_evidence(EvidenceKind.REFLECTION, "Private", text="Not yet.")
    shared = amy.log_evidence(
        EvidenceKind.REFLECTION, "Shared", text="Yes.", appraisal_evidence=True
    )
    assert {e.title for e in amy.evidence_of()} == {"Private", "Shared"}
    assert [e.title for e in school.act("hal").evidence_of(StaffId("amy"))] == ["Shared"]
    assert school.act("ben").evidence_of(StaffId("amy")) == []
    with pytest.raises(PermissionDenied, match="not released"):
        school.act("hal").evidence(private.id)
    assert school.act("hal").evidence(shared.id).id == shared.id


def test_links_to_someone_elses_objectives_are_refused_with_the_path(school: School) -> None:
    with pytest.raises(ValidationError) as info:
        school.act("amy").log_evidence(
            EvidenceKind.REFLECTION, "x", text="y", objective_ids=[ObjectiveId("nope")]
        )
    assert info.value.where == "objective_ids[0]"
    with pytest.raises(ValidationError) as bad_standard:
        school.act("amy").log_evidence(EvidenceKind.REFLECTION, "x", text="y", standards=["TS0"])
    assert bad_standard.value.where == "standards[0]"
