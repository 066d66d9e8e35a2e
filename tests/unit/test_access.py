"""The pure access decision: table-driven rules and laws over random facts."""

from __future__ import annotations

from datetime import UTC, datetime

import hypothesis.strategies as st
import pytest
from hypothesis import given

from cpdcore.domain.access import Action, Facts, PupilMedia, Resource, can
from cpdcore.domain.actors import Actor
from cpdcore.domain.consent import Audience, ConsentRecord, ItemKind, Purpose, Share, withdraw
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.organisation import Role, RoleAssignment
from cpdcore.errors import ConsentRequired, PermissionDenied

AT = datetime(2026, 10, 1, 9, tzinfo=UTC)
T = TrustId("t")
NORTH = SchoolId("north")
CLIP = Resource(
    kind=ItemKind.EVIDENCE,
    id="e1",
    trust_id=T,
    subject_id=StaffId("amy"),
    school_id=NORTH,
    has_media=True,
    class_label="9X2",
)


def person(staff: str, *roles: Role, trust: TrustId = T) -> Actor:
    return Actor(trust, StaffId(staff), tuple(RoleAssignment(r, NORTH) for r in roles))


def grant(purpose: Purpose, audience: Audience, item: str | None = "e1") -> ConsentRecord:
    return ConsentRecord(
        id=f"{purpose.value}-{audience.value}-{item}",
        trust_id=T,
        subject_id=StaffId("amy"),
        item_kind=ItemKind.EVIDENCE,
        item_id=item,
        purpose=purpose,
        audience=audience,
        granted_at=AT,
        granted_by="amy",
        wording="I agree.",
        wording_version="1",
    )


HAL = person("hal", Role.SCHOOL_LEADER)
BOB = person("bob", Role.APPRAISEE)
APPRAISER = Facts(appraisees=frozenset({"amy"}))


@pytest.mark.parametrize(
    ("actor", "purpose", "facts", "allowed", "reason"),
    [
        (person("amy"), Purpose.RESEARCH, Facts(), True, "own items"),
        (person("amy", trust=TrustId("x")), Purpose.DEVELOPMENTAL_REVIEW, Facts(), False, "trust"),
        (BOB, Purpose.RESEARCH, Facts(), False, "aggregates"),
        (BOB, Purpose.APPRAISAL_EVIDENCE, APPRAISER, False, "appraisal_evidence"),
        (
            BOB,
            Purpose.APPRAISAL_EVIDENCE,
            Facts(
                consents=(grant(Purpose.APPRAISAL_EVIDENCE, Audience.LINE_MANAGER),),
                appraisees=frozenset({"amy"}),
                pupil_media=PupilMedia.ALLOWED,
            ),
            True,
            "consent",
        ),
        (
            BOB,
            Purpose.APPRAISAL_EVIDENCE,
            Facts(
                consents=(grant(Purpose.APPRAISAL_EVIDENCE, Audience.LINE_MANAGER, None),),
                appraisees=frozenset({"amy"}),
            ),
            False,
            "for this item",
        ),
        (
            HAL,
            Purpose.APPRAISAL_EVIDENCE,
            Facts(consents=(grant(Purpose.APPRAISAL_EVIDENCE, Audience.LINE_MANAGER),)),
            False,
            "school_leaders",
        ),
        (
            person("tia", Role.TRUST_LEADER),
            Purpose.APPRAISAL_EVIDENCE,
            Facts(consents=(grant(Purpose.APPRAISAL_EVIDENCE, Audience.SCHOOL_LEADERS),)),
            False,
            "appraiser or the school_leader",
        ),
        (
            BOB,
            Purpose.TRUST_SHARING,
            Facts(consents=(grant(Purpose.TRUST_SHARING, Audience.TRUST, None),)),
            True,
            "consent",
        ),
        (
            BOB,
            Purpose.TRUST_SHARING,
            Facts(
                consents=(grant(Purpose.TRUST_SHARING, Audience.TRUST),),
                pupil_media=PupilMedia.REFUSED,
            ),
            False,
            "no media consent",
        ),
        (
            BOB,
            Purpose.TRUST_SHARING,
            Facts(
                consents=(grant(Purpose.TRUST_SHARING, Audience.TRUST),),
                pupil_media=PupilMedia.UNKNOWN,
            ),
            False,
            "cannot be checked",
        ),
    ],
)
def test_read_rules(
    actor: Actor, purpose: Purpose, facts: Facts, allowed: bool, reason: str
) -> None:
    decision = can(actor, Action.READ, CLIP, purpose, AT, facts=facts)
    assert decision.allowed is allowed
    assert reason in decision.because


def test_an_observer_reads_what_they_recorded_whatever_the_pupils() -> None:
    note = Resource(
        kind=ItemKind.OBSERVATION, id="o1", trust_id=T, subject_id=StaffId("amy"), author_id="cat"
    )
    decision = can(
        person("cat"), Action.READ, note, Purpose.DEVELOPMENTAL_REVIEW, AT, facts=Facts()
    )
    assert decision.allowed and decision.audience is Audience.OBSERVER


def test_learning_group_members_read_through_a_live_share_only() -> None:
    consent = grant(Purpose.DEVELOPMENTAL_REVIEW, Audience.LEARNING_GROUP)
    share = Share(
        id="s1",
        trust_id=T,
        subject_id=StaffId("amy"),
        item_kind=ItemKind.EVIDENCE,
        item_id="e1",
        purpose=Purpose.DEVELOPMENTAL_REVIEW,
        audience=Audience.LEARNING_GROUP,
        consent_id=consent.id,
        shared_by="amy",
        shared_at=AT,
        members=(StaffId("bob"),),
    )
    live = Facts(consents=(consent,), shares=(share,), pupil_media=PupilMedia.ALLOWED)
    assert can(BOB, Action.READ, CLIP, Purpose.DEVELOPMENTAL_REVIEW, AT, facts=live).share_id
    outsider = can(person("cat"), Action.READ, CLIP, Purpose.DEVELOPMENTAL_REVIEW, AT, facts=live)
    assert not outsider.allowed
    ended = Facts(
        consents=(withdraw(consent, at=AT, by="amy"),),
        shares=(share,),
        pupil_media=PupilMedia.ALLOWED,
    )
    assert not can(BOB, Action.READ, CLIP, Purpose.DEVELOPMENTAL_REVIEW, AT, facts=ended).allowed


def test_denials_raise_the_right_error_with_the_missing_consent() -> None:
    with pytest.raises(ConsentRequired) as info:
        can(BOB, Action.READ, CLIP, Purpose.TRAINING_LIBRARY, AT, facts=Facts()).check()
    assert (info.value.purpose, info.value.audience) == ("training_library", "trust")
    with pytest.raises(PermissionDenied, match="only amy"):
        can(
            BOB,
            Action.SHARE,
            CLIP,
            Purpose.TRAINING_LIBRARY,
            AT,
            facts=Facts(),
            audience=Audience.TRUST,
        ).check()


@given(
    purpose=st.sampled_from(list(Purpose)),
    roles=st.lists(st.sampled_from(list(Role)), max_size=3),
    consents=st.lists(
        st.tuples(
            st.sampled_from(list(Purpose)),
            st.sampled_from(list(Audience)),
            st.sampled_from(["e1", None]),
        ),
        max_size=6,
    ),
    appraiser=st.booleans(),
)
def test_laws_default_deny_and_pupil_refusal(
    purpose: Purpose,
    roles: list[Role],
    consents: list[tuple[Purpose, Audience, str | None]],
    appraiser: bool,
) -> None:
    actor = person("bob", *roles)
    records = tuple(grant(p, a, i) for p, a, i in consents)
    appraisees = frozenset({"amy"}) if appraiser else frozenset()
    allowed = can(
        actor,
        Action.READ,
        CLIP,
        purpose,
        AT,
        facts=Facts(consents=records, appraisees=appraisees, pupil_media=PupilMedia.ALLOWED),
    )
    # Default deny: with no consent at all, a non-subject reads nothing.
    bare = can(actor, Action.READ, CLIP, purpose, AT, facts=Facts(appraisees=appraisees))
    assert not bare.allowed
    # A pupil's refusal only ever takes access away.
    refused = can(
        actor,
        Action.READ,
        CLIP,
        purpose,
        AT,
        facts=Facts(consents=records, appraisees=appraisees, pupil_media=PupilMedia.REFUSED),
    )
    assert not refused.allowed
    # Allowed reads always name the consent that allowed them.
    if allowed.allowed:
        assert allowed.consent_id in {r.id for r in records}
