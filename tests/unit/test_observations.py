"""Observations and clips: agreed focus, acceptance before capture, non-evaluative notes,
policy-limited clips, comments and reflections, and the developmental firewall through
the facade (review pack and portfolio)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpdcore import Actor, Cpd, Role, RoleAssignment
from cpdcore.app import ActingCpd
from cpdcore.clocks import FixedClock
from cpdcore.domain.clips import (
    HARD_MAX_CLIP_SECONDS,
    Clip,
    ClipKind,
    ObservationPolicy,
    Reflection,
    Setting,
    TimedComment,
    add_comment,
    add_reflection,
    duration_problems,
)
from cpdcore.domain.consent import Audience, Purpose
from cpdcore.domain.cycles import CyclePhase
from cpdcore.domain.identifiers import MediaId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    MeasureUnit,
    ObjectiveCategory,
    ObjectiveTerms,
    SuccessCriterion,
)
from cpdcore.domain.observations import (
    Observation,
    ObservationNote,
    ObservationRequest,
    RequestStatus,
    accept,
    add_note,
    cancel,
    decline,
    judgement_problems,
)
from cpdcore.errors import ConsentRequired, NotFound, PermissionDenied, ValidationError
from cpdcore.memory import InMemoryMediaStore
from cpdcore.serialization import from_dict, to_dict

T = TrustId("t")
NORTH = SchoolId("north")
AT = datetime(2026, 10, 5, 9, tzinfo=UTC)
YEAR = "2026-27"
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100


def request(**overrides: Any) -> ObservationRequest:
    values: dict[str, Any] = {
        "id": "r1",
        "trust_id": T,
        "school_id": NORTH,
        "observer_id": StaffId("ben"),
        "teacher_id": StaffId("amy"),
        "focus_code": "questioning",
        "planned_for": date(2026, 10, 6),
        "requested_at": AT,
    }
    values.update(overrides)
    return ObservationRequest(**values)


def observation() -> Observation:
    return Observation(
        id="o1",
        trust_id=T,
        school_id=NORTH,
        observer_id=StaffId("ben"),
        teacher_id=StaffId("amy"),
        focus_code="questioning",
        observed_on=date(2026, 10, 6),
    )


def clip(**overrides: Any) -> Clip:
    values: dict[str, Any] = {
        "id": "c1",
        "trust_id": T,
        "school_id": NORTH,
        "subject_id": StaffId("amy"),
        "recorded_by": StaffId("ben"),
        "kind": ClipKind.VIDEO,
        "media_id": MediaId("m1"),
        "title": "Hinge question",
        "captured_on": date(2026, 10, 6),
        "recorded_at": AT,
        "duration_seconds": 90,
        "class_label": "9X2",
    }
    values.update(overrides)
    return Clip(**values)


# Domain ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "judged"),
    [
        ("Grade 2 lesson overall", True),
        ("This was a good lesson", True),
        ("Requires improvement on pace", True),
        ("I'd give it 7/10", True),
        ("Rated highly by pupils", True),
        ("Pupils waited 3 seconds before answering", False),
        ("Asked 12 questions; 5 were open", False),
        ("Year 9 grade boundaries were discussed", False),
    ],
)
def test_developmental_notes_describe_and_never_grade(text: str, judged: bool) -> None:
    assert bool(judgement_problems(text)) is judged
    note = ObservationNote(text=text, by="ben", written_at=AT)
    if judged:
        with pytest.raises(ValidationError, match="describe, they do not judge"):
            add_note(observation(), note)
    else:
        assert add_note(observation(), note).notes == (note,)


def test_an_observation_has_no_grade_field() -> None:
    names = {f.name for f in Observation.__attrs_attrs__}
    assert not names & {"grade", "score", "judgement", "rating", "outcome"}


def test_only_the_observer_writes_notes() -> None:
    with pytest.raises(ValidationError, match="only the observer"):
        add_note(observation(), ObservationNote(text="Calm start", by="amy", written_at=AT))


def test_a_request_is_answered_once() -> None:
    accepted = accept(request(), at=AT, consent_ids=["c1", "c2"])
    assert accepted.status is RequestStatus.ACCEPTED
    for answer in (
        lambda r: accept(r, at=AT, consent_ids=["c3"]),
        lambda r: decline(r, at=AT),
        lambda r: cancel(r, at=AT),
    ):
        with pytest.raises(ValidationError, match="already accepted"):
            answer(accepted)
    with pytest.raises(ValidationError, match="consent"):
        accept(request(), at=AT, consent_ids=[])
    with pytest.raises(ValidationError, match="cannot observe themselves"):
        request(teacher_id=StaffId("ben"))


def test_clip_length_follows_the_school_policy() -> None:
    policy = ObservationPolicy.default(T, NORTH)
    assert policy.max_clip_seconds == 120
    assert duration_problems(120, policy) == []
    assert "at most 120 s" in duration_problems(121, policy)[0].message
    with pytest.raises(ValidationError, match="1 to 600"):
        ObservationPolicy(id=NORTH, trust_id=T, school_id=NORTH, max_clip_seconds=601)
    assert HARD_MAX_CLIP_SECONDS == 600


@pytest.mark.parametrize(
    ("overrides", "where"),
    [
        ({"title": " "}, "title"),
        ({"duration_seconds": 0}, "duration_seconds"),
        ({"kind": ClipKind.PHOTO}, "duration_seconds"),
        ({"class_label": None}, "class_label"),
        ({"class_label": None, "setting": Setting.ASSEMBLY}, "class_label"),
    ],
)
def test_clips_must_fit_their_kind_and_setting(overrides: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as info:
        clip(**overrides)
    assert where in [p.where for p in info.value.problems]


def test_a_staff_meeting_clip_needs_no_class() -> None:
    assert clip(class_label=None, setting=Setting.STAFF_MEETING).class_label is None


@given(
    seconds=st.lists(st.integers(min_value=0, max_value=90), min_size=1, max_size=8),
)
def test_timed_comments_stay_inside_the_clip_and_in_order(seconds: list[int]) -> None:
    current = clip()
    for second in seconds:
        current = add_comment(
            current, TimedComment(second=second, text="Look here", by="cara", written_at=AT)
        )
    assert [c.second for c in current.comments] == sorted(seconds)
    with pytest.raises(ValidationError, match="outside the clip"):
        add_comment(current, TimedComment(second=91, text="x", by="cara", written_at=AT))


def test_only_the_teacher_reflects_on_their_clip() -> None:
    reflection = Reflection(text="I rushed the pause", written_at=AT)
    assert add_reflection(clip(), reflection, by="amy").reflections == (reflection,)
    with pytest.raises(ValidationError, match="only amy"):
        add_reflection(clip(), reflection, by="ben")


def test_clips_and_observations_survive_a_serialization_round_trip() -> None:
    commented = add_comment(clip(), TimedComment(second=3, text="Pause", by="b", written_at=AT))
    assert from_dict(Clip, to_dict(commented)) == commented
    noted = add_note(observation(), ObservationNote(text="Calm start", by="ben", written_at=AT))
    assert from_dict(Observation, to_dict(noted)) == noted


# Facade -----------------------------------------------------------------------------------


class World:
    def __init__(self) -> None:
        self.clock = FixedClock(datetime(2026, 9, 1, 8, tzinfo=UTC))
        self.media = InMemoryMediaStore()
        self.cpd = Cpd.open("memory://", media=self.media, clock=self.clock, entry_points=False)
        admin = self.cpd.as_actor(Actor.system(T, "set-up"))
        admin.set_up_trust("Trust")
        admin.add_school("North", school_id=NORTH)
        roles = {
            "amy": (Role.APPRAISEE,),
            "ben": (Role.APPRAISEE, Role.OBSERVER),
            "hal": (Role.SCHOOL_LEADER, Role.APPRAISER),
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

    def act(self, key: str) -> ActingCpd:
        return self.cpd.as_actor(Actor.for_staff(self.people[key]))

    def accepted(self) -> Observation:
        made = self.act("ben").request_observation(
            StaffId("amy"),
            "oracy",
            school_id=NORTH,
            planned_for=date(2026, 10, 6),
            class_label="9X2",
        )
        return self.act("amy").accept_observation(made.id)


@pytest.fixture
def world() -> World:
    return World()


def test_the_focus_must_come_from_the_school_list(world: World) -> None:
    with pytest.raises(ValidationError, match=r"unknown focus 'wait-time'.*oracy"):
        world.act("ben").request_observation(
            StaffId("amy"), "wait-time", school_id=NORTH, planned_for=date(2026, 10, 6)
        )
    oracy = next(f for f in world.act("hal").observation_focuses(NORTH) if f.code == "oracy")
    assert oracy.sip_codes == ("SIP-ORACY",)
    with pytest.raises(ValidationError, match="unknown SIP priority 'SIP-X'"):
        world.act("hal").save_observation_focus(NORTH, "oracy", "Oracy", sip_priorities=["SIP-X"])


def test_only_the_teacher_accepts_and_consent_comes_first(world: World) -> None:
    made = world.act("ben").request_observation(
        StaffId("amy"), "questioning", school_id=NORTH, planned_for=date(2026, 10, 6)
    )
    with pytest.raises(PermissionDenied, match="only amy"):
        world.act("ben").accept_observation(made.id)
    with pytest.raises(NotFound):
        world.act("ben").add_observation_note(made.id, "Calm start")
    observation = world.act("amy").accept_observation(made.id, wording="You may watch me.")
    consents = world.act("amy").consents()
    assert {c.audience for c in consents} == {Audience.SELF, Audience.OBSERVER}
    assert {c.wording for c in consents} == {"You may watch me."}
    assert world.act("ben").observation(observation.id).teacher_id == "amy"
    with pytest.raises(PermissionDenied):
        world.act("hal").observation(observation.id)


def test_declined_requests_leave_no_observation(world: World) -> None:
    made = world.act("ben").request_observation(
        StaffId("amy"), "questioning", school_id=NORTH, planned_for=date(2026, 10, 6)
    )
    assert world.act("amy").decline_observation(made.id).status is RequestStatus.DECLINED
    assert world.act("amy").observations() == []


def test_formal_observations_are_for_the_appraisal_side(world: World) -> None:
    with pytest.raises(PermissionDenied, match="formal observation"):
        world.act("ben").request_observation(
            StaffId("amy"), "oracy", school_id=NORTH, planned_for=date(2026, 10, 6), kind="formal"
        )
    made = world.act("hal").request_observation(
        StaffId("amy"), "oracy", school_id=NORTH, planned_for=date(2026, 10, 6), kind="formal"
    )
    assert made.kind.value == "formal"


def test_withdrawing_observer_consent_ends_the_observers_access(world: World) -> None:
    observation = world.accepted()
    ben = world.act("ben")
    ben.add_observation_note(observation.id, "Pairs rehearsed answers.")
    made = ben.upload_clip(observation.id, io.BytesIO(MP4), title="Pairs", duration_seconds=40)
    amy = world.act("amy")
    observer = next(c for c in amy.consents() if c.audience is Audience.OBSERVER)
    amy.withdraw_consent(observer.id)
    for read in (
        lambda: ben.observation(observation.id),
        lambda: ben.clip(made.id),
        lambda: ben.add_observation_note(observation.id, "More"),
        lambda: ben.upload_clip(observation.id, io.BytesIO(MP4), title="x", duration_seconds=5),
    ):
        with pytest.raises(ConsentRequired, match="observer"):
            read()
    assert amy.clip(made.id).title == "Pairs"


def test_long_clips_are_refused_and_leave_no_media(world: World) -> None:
    observation = world.accepted()
    with pytest.raises(ValidationError, match="at most 120 s"):
        world.act("ben").upload_clip(
            observation.id, io.BytesIO(MP4), title="Whole lesson", duration_seconds=3000
        )
    world.act("hal").set_observation_policy(NORTH, max_clip_seconds=300)
    made = world.act("ben").upload_clip(
        observation.id, io.BytesIO(MP4), title="Longer", duration_seconds=250
    )
    assert [m.media_id for m in world.media.list(T)] == [made.media_id]
    with pytest.raises(ValidationError, match="not an accepted video type"):
        world.act("ben").upload_clip(
            observation.id, io.BytesIO(b"not a video"), title="Bad", duration_seconds=5
        )
    assert len(list(world.media.list(T))) == 1


def test_comments_and_reflections_through_the_facade(world: World) -> None:
    observation = world.accepted()
    made = world.act("ben").upload_clip(
        observation.id, io.BytesIO(MP4), title="Pairs", duration_seconds=40
    )
    world.act("ben").comment_on_clip(made.id, 12, "Listen to the second pair")
    world.act("amy").reflect_on_clip(made.id, "More wait time next time")
    stored = world.act("amy").clip(made.id)
    assert [(c.second, c.by) for c in stored.comments] == [(12, "ben")]
    assert stored.reflections[0].text == "More wait time next time"
    assert b"".join(world.act("amy").open_clip_media(made.id)) == MP4
    with pytest.raises(PermissionDenied):
        world.act("hal").comment_on_clip(made.id, 1, "Leaders do not see it")


def test_developmental_observations_reach_appraisal_only_with_item_consent(
    world: World,
) -> None:
    hal, amy = world.act("hal"), world.act("amy")
    cycle = hal.open_cycle(YEAR, school_id=NORTH)
    hal.advance_cycle(cycle.id, CyclePhase.OBJECTIVE_SETTING)
    hal.assign_appraiser(StaffId("amy"), StaffId("hal"), YEAR)
    terms = ObjectiveTerms(
        title="Oracy in Year 9",
        category=ObjectiveCategory.PUPIL_PROGRESS,
        starts_on=date(2026, 9, 15),
        due_on=date(2027, 6, 30),
        success_criteria=(
            SuccessCriterion("Talk rubric", MeasureUnit.PERCENTAGE, Decimal(75), Decimal(60)),
        ),
    )
    objective, second = (
        amy.create_objective(cycle.id, attrs.evolve(terms, title=title), propose=True)
        for title in ("Oracy in Year 9", "Reading in Year 8")
    )
    hal.agree_objective(objective.id)
    hal.agree_objective(second.id)
    world.clock.set(datetime(2026, 10, 6, 9, tzinfo=UTC))
    observation = world.accepted()
    secret = "Pairs rehearsed answers before sharing"
    world.act("ben").add_observation_note(observation.id, secret)

    def visible() -> bool:
        pack = hal.review_pack(StaffId("amy"))
        portfolio = hal.portfolio(StaffId("amy"))
        in_pack = secret in str(to_dict(pack))
        # The portfolio lists items by title: the filed observation's title.
        assert in_pack == ("Peer observation" in str(to_dict(portfolio)))
        return in_pack

    assert not visible()
    with pytest.raises(ConsentRequired, match="appraisal_evidence"):
        hal.open_item(f"observation:{observation.id}", Purpose.APPRAISAL_EVIDENCE)
    # A category consent never lets a developmental item in.
    amy.grant_consent(Purpose.APPRAISAL_EVIDENCE, Audience.LINE_MANAGER, category="evidence")
    assert not visible()
    with pytest.raises(PermissionDenied, match="only amy"):
        world.act("ben").release_observation_for_appraisal(observation.id)
    evidence = amy.release_observation_for_appraisal(observation.id, objective_ids=[objective.id])
    assert evidence.author_id == "ben" and evidence.objective_ids == (objective.id,)
    assert visible()
    world.clock.advance(timedelta(hours=1))
    amy.release_evidence(evidence.id, False)
    assert not visible()
