"""Observation-based CPD end to end, through the facade, on memory:// and on SQLite:
request -> accept with consent -> clip upload -> share with a club -> session playlist ->
withdrawal before the meeting removes the clip and deletes its media -> insights tagged
to SIP-ORACY appear in the school's alignment report."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cpdcore import Actor, Cpd, Role, RoleAssignment
from cpdcore.aggregation_io import SqliteQueryLedger
from cpdcore.app import ActingCpd
from cpdcore.clocks import FixedClock
from cpdcore.domain.clips import Setting
from cpdcore.domain.consent import Audience, ConsentRecord, Purpose
from cpdcore.domain.events import Event
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.roster import MisClass, PupilMediaConsent
from cpdcore.errors import ConsentRequired, NotFound, PermissionDenied
from cpdcore.hookspecs import hookimpl
from cpdcore.memory import InMemoryMediaStore, InMemoryMisSource

T = TrustId("t")
NORTH = SchoolId("north")
YEAR = "2026-27"
START = datetime(2026, 10, 5, 8, 30, tzinfo=UTC)
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000
"""Enough of an MP4 header for the media store's type sniffing."""

MEMBERS = ("amy", "carla", "dan", "eve", "finn")


class EventLog:
    """A host plugin that keeps every event cpdcore sends after commit."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    @hookimpl
    def cpdcore_event(self, event: Event) -> None:
        self.events.append(event)

    def names(self) -> list[str]:
        return [e.name for e in self.events]


def _mis() -> InMemoryMisSource:
    return InMemoryMisSource(
        classes_=[MisClass("9X2", "north", "9X2", pupils=2)],
        media_consent_=[
            PupilMediaConsent("p1", "9X2", media_allowed=True),
            PupilMediaConsent("p2", "9X2", media_allowed=True),
        ],
    )


@pytest.fixture(params=["memory", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'cpd.db'}"
    clock = FixedClock(START)
    log = EventLog()
    media = InMemoryMediaStore()
    cpd = Cpd.open(url, media=media, mis=_mis(), clock=clock, plugins=[log])
    admin = cpd.as_actor(Actor.system(T, "set-up"))
    admin.set_up_trust("Trust")
    admin.add_school("North", school_id=NORTH)
    people: dict[str, ActingCpd] = {}
    head = admin.add_staff(
        "Hana",
        "Head",
        staff_id=StaffId("head"),
        roles=[RoleAssignment(r, NORTH) for r in (Role.SCHOOL_LEADER, Role.FACILITATOR)],
    )
    people["head"] = cpd.as_actor(Actor.for_staff(head))
    for key in ("ben", *MEMBERS):
        staff = admin.add_staff(
            key.title(),
            "Teacher",
            staff_id=StaffId(key),
            roles=[RoleAssignment(Role.APPRAISEE, NORTH), RoleAssignment(Role.OBSERVER, NORTH)],
        )
        people[key] = cpd.as_actor(Actor.for_staff(staff))
    people["head"].add_sip_priority(
        "SIP-ORACY", "Oracy across the curriculum", YEAR, school_id=NORTH
    )
    people["head"].add_default_focuses(NORTH, sip_links={"oracy": ["SIP-ORACY"]})
    yield cpd, clock, log, media, people
    cpd.close()


def test_observation_to_club_to_alignment_report(world: Any, tmp_path: Path) -> None:
    cpd, clock, log, media, people = world
    head, ben, amy = people["head"], people["ben"], people["amy"]

    # Request with an agreed focus; nothing can be captured before the teacher accepts.
    request = ben.request_observation(
        StaffId("amy"), "oracy", school_id=NORTH, planned_for=date(2026, 10, 6), class_label="9X2"
    )
    with pytest.raises(NotFound):
        ben.upload_clip(request.id, io.BytesIO(MP4), title="Early", duration_seconds=30)
    assert list(media.list(T)) == []

    observation = amy.accept_observation(request.id)
    consents = amy.consents()
    assert {(c.purpose, c.audience) for c in consents} == {
        (Purpose.DEVELOPMENTAL_REVIEW, Audience.SELF),
        (Purpose.DEVELOPMENTAL_REVIEW, Audience.OBSERVER),
    }
    assert all(c.item_id == observation.id for c in consents)

    clock.advance(timedelta(days=1))
    ben.add_observation_note(observation.id, "Pairs rehearsed answers before sharing.", minute=12)
    clip = ben.upload_clip(
        observation.id, io.BytesIO(MP4), title="Think-pair-share", duration_seconds=90
    )
    assert clip.subject_id == "amy" and clip.class_label == "9X2"
    assert media.info(T, clip.media_id).content_type == "video/mp4"

    # A club on the theme; the teacher shares her clip; the head shares one of her own.
    club = head.create_club(
        NORTH,
        "Oracy video club",
        "oracy",
        members=[StaffId(m) for m in MEMBERS],
        sip_priorities=["SIP-ORACY"],
    )
    share = amy.share_clip_with_club(clip.id, club.id)
    own = head.record_own_clip(
        io.BytesIO(MP4),
        school_id=NORTH,
        title="Staff briefing: modelling talk",
        duration_seconds=60,
        setting=Setting.STAFF_MEETING,
    )
    head.share_clip_with_club(own.id, club.id)
    session = head.schedule_session(club.id, "Talk moves", START + timedelta(days=14))
    head.add_to_playlist(session.id, clip.id, start_second=10, prompt="What did pairs say?")
    head.add_to_playlist(session.id, own.id)

    carla = people["carla"]
    planned = carla.session_playlist(session.id)
    assert planned.clip_ids == (clip.id, own.id)
    assert b"".join(carla.open_playlist_clip(session.id, clip.id)) == MP4
    # Someone outside the club sees nothing.
    with pytest.raises(PermissionDenied, match="take part"):
        ben.session_playlist(session.id)

    # Withdrawal between planning and the meeting: out of the playlist, media deleted.
    clock.advance(timedelta(days=2))
    withdrawal = amy.withdraw_consent(share.consent_id)
    assert share.id in withdrawal.shares_revoked
    assert clip.media_id in withdrawal.media_deleted
    with pytest.raises(NotFound):
        media.info(T, clip.media_id)
    after = carla.session_playlist(session.id)
    assert after.clip_ids == (own.id,)
    assert [w.clip_id for w in after.withheld] == [clip.id]
    with pytest.raises(ConsentRequired):
        carla.open_playlist_clip(session.id, clip.id)
    later = head.schedule_session(club.id, "Next", START + timedelta(days=30))
    with pytest.raises(ConsentRequired):
        head.add_to_playlist(later.id, clip.id)

    # The meeting: insights tagged to SIP-ORACY, an action, held.
    clock.set(START + timedelta(days=14, hours=8))
    for person in ("carla", "dan", "eve"):
        people[person].add_insight(
            session.id,
            what_worked="Sentence stems on the board",
            why="Everyone had a way in",
            how_to_adapt="Fewer stems for Year 11",
            sip_priorities=["SIP-ORACY"],
        )
    head.assign_action(session.id, StaffId("dan"), "Try stems in 10B", due_on=date(2026, 11, 6))
    held = head.mark_session_held(session.id)
    assert len(held.insights) == 3 and held.actions[0].assignee_id == "dan"

    ledger = SqliteQueryLedger(tmp_path / "ledger.sqlite3")
    try:
        report = head.alignment_report(YEAR, school_id=NORTH, policy="k:3", ledger=ledger)
    finally:
        ledger.close()
    cells = {(r["sip_code"], r["activity"]): r for r in report.rows()}
    insight = cells[("SIP-ORACY", "insight")]
    assert insight["published"] and insight["value"] == 3
    assert cells[("SIP-ORACY", "club")]["value"] == 6  # the head and five members
    observed = cells[("SIP-ORACY", "observation")]  # two people only: suppressed
    assert not observed["published"] and observed["value"] is None and observed["flag"] == "c"
    assert "SIP-ORACY" in report.render_text()

    names = log.names()
    for expected in (
        "observation.requested",
        "observation.accepted",
        "clip.shared",
        "club_session.scheduled",
    ):
        assert expected in names
    assert cpd.verify_audit(T) == []
    assert all(isinstance(c, ConsentRecord) for c in consents)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cpdcore.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cpd_clubs_lists_sessions_and_exports_the_playlist_manifest(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cpd.db'}"
    clock = FixedClock(START)
    with Cpd.open(url, media=InMemoryMediaStore(), mis=_mis(), clock=clock) as cpd:
        admin = cpd.as_actor(Actor.system(T, "set-up"))
        admin.set_up_trust("Trust")
        admin.add_school("North", school_id=NORTH)
        head = cpd.as_actor(
            Actor.for_staff(
                admin.add_staff(
                    "Hana",
                    "Head",
                    staff_id=StaffId("head"),
                    roles=[
                        RoleAssignment(r, NORTH) for r in (Role.SCHOOL_LEADER, Role.FACILITATOR)
                    ],
                )
            )
        )
        amy = cpd.as_actor(
            Actor.for_staff(
                admin.add_staff(
                    "Amy",
                    "Teacher",
                    staff_id=StaffId("amy"),
                    roles=[RoleAssignment(Role.APPRAISEE, NORTH)],
                )
            )
        )
        head.add_default_focuses(NORTH)
        club = head.create_club(NORTH, "Oracy club", "oracy", members=[StaffId("amy")])
        briefing = head.record_own_clip(
            io.BytesIO(MP4),
            school_id=NORTH,
            title="Briefing",
            duration_seconds=30,
            setting=Setting.STAFF_MEETING,
        )
        lesson = amy.record_own_clip(
            io.BytesIO(MP4),
            school_id=NORTH,
            title="9X2 talk",
            duration_seconds=40,
            setting=Setting.LESSON,
            class_label="9X2",
        )
        head.share_clip_with_club(briefing.id, club.id)
        amy.share_clip_with_club(lesson.id, club.id)
        session = head.schedule_session(club.id, "Talk moves", START + timedelta(days=7))
        head.add_to_playlist(session.id, briefing.id)
        head.add_to_playlist(session.id, lesson.id)

    listed = _cli("clubs", "sessions", "--db", url, "--as", "amy")
    assert listed.returncode == 0, listed.stderr
    assert session.id[:8] in listed.stdout and "scheduled" in listed.stdout
    out = tmp_path / "manifest.json"
    exported = _cli("clubs", "playlist", session.id, "--out", str(out), "--db", url, "--as", "amy")
    assert exported.returncode == 0, exported.stderr
    manifest = json.loads(out.read_text(encoding="utf-8"))
    assert [c["clip_id"] for c in manifest["clips"]] == [briefing.id]
    # Without a live MIS or an imported roster the 9X2 pupils cannot be checked: withheld.
    assert [w["clip_id"] for w in manifest["withheld"]] == [lesson.id]
    assert manifest["session"]["title"] == "Talk moves"
    assert exported.stdout == ""  # messages go to stderr, data to --out
    assert exported.stderr.splitlines() == [
        f"1 clip(s), 1 withheld: {out}",
        f"withheld {lesson.id}: pupil media consent for class 9X2 could not be checked (no MIS "
        "connected and no imported roster lists the class; run `cpd import oneroster FOLDER` "
        "or pass --mis URL)",
    ]
    # --out - (the default) writes the same manifest to stdout.
    to_stdout = _cli("clubs", "playlist", session.id, "--out", "-", "--db", url, "--as", "amy")
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert json.loads(to_stdout.stdout) == manifest
    assert "withheld: stdout" in to_stdout.stderr
    # With a live MIS it is the MIS that answers (this empty one does not know 9X2 either).
    checked = _cli(
        "clubs", "playlist", session.id, "--db", url, "--as", "amy", "--mis", "memory://"
    )
    assert checked.returncode == 0, checked.stderr
    assert "could not be checked (no MIS connected" not in checked.stderr
    assert f"withheld {lesson.id}: a pupil in the clip's class has no media consent" in (
        checked.stderr
    )
    assert "pupils' media consent checked with memory://" in checked.stderr
    # An --out in a folder that does not exist is refused before any work, in one line.
    nowhere = _cli(
        "clubs", "playlist", session.id, "--out", str(tmp_path / "no" / "m.json"), "--db", url
    )
    assert nowhere.returncode == 2
    assert nowhere.stderr == (
        f"cpd: error: {tmp_path / 'no' / 'm.json'}: cannot be written: the folder "
        f"{tmp_path / 'no'} does not exist\n"
    )
    refused = _cli(
        "clubs", "playlist", session.id, "--out", str(out), "--db", url, "--as", "nobody"
    )
    assert refused.returncode != 0 and "nobody" in refused.stderr


def test_the_demo_runs_a_video_club_and_writes_an_alignment_report() -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, str(root / "examples" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=root,
    )
    assert result.returncode == 0, result.stderr
    assert "alignment.txt" in result.stdout
    report = (root / "demo-output" / "alignment.txt").read_text(encoding="utf-8")
    values = [line.split()[-1] for line in report.splitlines()[1:]]
    assert "c" in values  # some cells suppressed
    assert any(v.isdigit() and int(v) >= 10 for v in values)  # and some published
    summary = (root / "demo-output" / "summary.txt").read_text(encoding="utf-8")
    assert "video club clips on the playlist: 1" in summary
