"""End-to-end demo of cpdcore, run by ``make demo``.

Builds a small trust (two schools, twelve staff), runs the 2026-27 appraisal cycle to the
mid-year review (objectives agreed, progress measured, evidence and CPD logged, an
appraiser changed mid-year) and writes one teacher's mid-year review pack as HTML and
JSON to ``demo-output/``. It then runs a peer observation with consent, a clip and a
video club session, and writes the trust's priority alignment report (ONS 10-5: the club
cell is published, the small cells show the suppression symbol).
"""

from __future__ import annotations

import io
import json
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from cpdcore import ActingCpd, Actor, Cpd, Role, RoleAssignment
from cpdcore.clocks import FixedClock
from cpdcore.domain.cpd_activities import CpdKind
from cpdcore.domain.cycles import CyclePhase
from cpdcore.domain.evidence import EvidenceKind, EvidencePurpose
from cpdcore.domain.identifiers import CycleId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    MeasureUnit,
    Milestone,
    Objective,
    ObjectiveCategory,
    ObjectiveTerms,
    SuccessCriterion,
)
from cpdcore.domain.organisation import StaffMember
from cpdcore.domain.roster import MisClass, PupilMediaConsent
from cpdcore.memory import InMemoryMisSource
from cpdcore.serialization import to_dict

STORE_URL = f"sqlite:///{Path(__file__).resolve().parents[1]}/demo-output/cpd-{time.time_ns()}.db"
"""Where the demo keeps its data (a fresh SQLite file each run; earlier runs' files are
removed at start). Change this line to try another store, e.g. a PostgreSQL URL."""

OUT = Path(__file__).resolve().parent.parent / "demo-output"
TRUST = TrustId("riverside")
NORTH = SchoolId("northgate")
SOUTH = SchoolId("southbank")
YEAR = "2026-27"


def at(day: date) -> datetime:
    """Half past eight on a school morning, UTC."""
    return datetime(day.year, day.month, day.day, 8, 30, tzinfo=UTC)


def build_people(admin: ActingCpd) -> dict[str, StaffMember]:
    """Twelve staff: a trust leader, two heads, a deputy, eight teachers."""

    def add(key: str, given: str, family: str, *roles: RoleAssignment) -> None:
        people[key] = admin.add_staff(given, family, roles=roles, staff_id=StaffId(key))

    people: dict[str, StaffMember] = {}
    add("ceo", "Grace", "Okafor", RoleAssignment(Role.TRUST_LEADER))
    for school, head, deputy in ((NORTH, "nhead", "ndep"), (SOUTH, "shead", "sdep")):
        add(head, "Head", school.title(), *_roles(school, Role.SCHOOL_LEADER, Role.APPRAISER))
        add(deputy, "Deputy", school.title(), *_roles(school, Role.APPRAISER, Role.APPRAISEE))
    teachers = [
        ("amira", "Amira", "Khan"),
        ("ben", "Ben", "Lewis"),
        ("chloe", "Chloe", "Ward"),
        ("dev", "Dev", "Patel"),
        ("ella", "Ella", "Morgan"),
        ("finn", "Finn", "Reid"),
        ("gita", "Gita", "Shah"),
    ]
    for index, (key, given, family) in enumerate(teachers):
        school = NORTH if index < 4 else SOUTH
        add(key, given, family, *_roles(school, Role.APPRAISEE, Role.OBSERVER))
    return people


def _roles(school: SchoolId, *roles: Role) -> tuple[RoleAssignment, ...]:
    return tuple(RoleAssignment(role, school) for role in roles)


def objectives_for(name: str) -> list[ObjectiveTerms]:
    """Two objectives per teacher, weighted 60/40 and linked to the SIP and standards."""
    return [
        ObjectiveTerms(
            title=f"Hinge questions check understanding in every lesson ({name})",
            category=ObjectiveCategory.TEACHING_PRACTICE,
            starts_on=date(2026, 9, 21),
            due_on=date(2027, 5, 21),
            description="Use a hinge question before moving on, so misconceptions surface.",
            success_criteria=(
                SuccessCriterion(
                    "Pupils answering the hinge question correctly",
                    MeasureUnit.PERCENTAGE,
                    target=Decimal(80),
                    baseline=Decimal(58),
                    weight=Decimal(70),
                ),
                SuccessCriterion(
                    "Peer observations focused on questioning",
                    MeasureUnit.COUNT,
                    target=Decimal(3),
                    baseline=Decimal(0),
                    weight=Decimal(30),
                ),
            ),
            standards=("TS4", "TS6"),
            sip_priorities=("T1",),
            weight=Decimal(60),
            milestones=(
                Milestone("First peer observation", date(2026, 11, 27)),
                Milestone("Hinge questions planned for a whole unit", date(2027, 1, 29)),
            ),
            support_needed="Cover for two peer observations; the questioning video club.",
        ),
        ObjectiveTerms(
            title="Close the reading gap for disadvantaged pupils",
            category=ObjectiveCategory.PUPIL_PROGRESS,
            starts_on=date(2026, 9, 21),
            due_on=date(2027, 7, 9),
            success_criteria=(
                SuccessCriterion(
                    "Disadvantaged pupils at expected reading age",
                    MeasureUnit.PERCENTAGE,
                    target=Decimal(75),
                    baseline=Decimal(62),
                ),
            ),
            standards=("TS2", "TS5"),
            sip_priorities=("T2",),
            weight=Decimal(40),
        ),
    ]


def run_cycle(cpd: Cpd, clock: FixedClock, people: dict[str, StaffMember]) -> CycleId:
    """Run the cycle to mid-year; return the id of the cycle."""

    def act(key: str) -> ActingCpd:
        return cpd.as_actor(Actor.for_staff(people[key]))

    ceo = act("ceo")
    ceo.add_sip_priority("T1", "Responsive teaching: check understanding", YEAR)
    ceo.add_sip_priority("T2", "Reading for every pupil", YEAR)
    act("nhead").add_sip_priority("N1", "Attendance in Year 9", YEAR, school_id=NORTH)
    cycle = ceo.open_cycle(YEAR, name="Riverside appraisal 2026-27")
    ceo.advance_cycle(cycle.id, CyclePhase.OBJECTIVE_SETTING)

    appraisers = {"amira": "nhead", "ben": "nhead", "chloe": "nhead", "dev": "nhead"}
    appraisers |= {"ella": "sdep", "finn": "sdep", "gita": "shead", "sdep": "shead"}
    appraisers |= {"ndep": "nhead"}
    for appraisee, appraiser in appraisers.items():
        act("nhead" if appraiser == "nhead" else "shead").assign_appraiser(
            StaffId(appraisee), StaffId(appraiser), YEAR
        )

    clock.set(at(date(2026, 9, 24)))
    proposed: dict[str, list[Objective]] = {}
    for appraisee in appraisers:
        person = act(appraisee)
        proposed[appraisee] = [
            person.create_objective(cycle.id, terms, propose=True)
            for terms in objectives_for(people[appraisee].given_name)
        ]

    clock.set(at(date(2026, 10, 8)))
    for appraisee, objectives in proposed.items():
        for objective in objectives:
            act(appraisers[appraisee]).agree_objective(objective.id)

    # Amira widens her first objective after agreement: it returns to proposed, then both
    # agree again; the change stays in its history.
    clock.set(at(date(2026, 10, 15)))
    amira_first = proposed["amira"][0]
    act("amira").edit_objective(
        amira_first.id,
        {
            **_as_dict(amira_first.terms),
            "title": "Hinge questions check understanding in Years 8 and 9",
        },
        note="agreed at the October check-in to include Year 8",
    )
    act("nhead").agree_objective(amira_first.id)

    clock.set(at(date(2026, 10, 30)))
    ceo.advance_cycle(cycle.id, CyclePhase.MONITORING)
    return cycle.id


def by_weight(objectives: list[Objective]) -> list[Objective]:
    """Objectives heaviest first (the store lists them by id)."""
    return sorted(objectives, key=lambda o: -(o.terms.weight or 0))


def _as_dict(terms: ObjectiveTerms) -> dict[str, object]:
    data = to_dict(terms)
    data.pop("schema_version")
    return data


def monitor(cpd: Cpd, clock: FixedClock, people: dict[str, StaffMember], cycle_id: CycleId) -> None:
    """Progress, evidence, CPD and a mid-year change of appraiser."""

    def act(key: str) -> ActingCpd:
        return cpd.as_actor(Actor.for_staff(people[key]))

    appraisees = ["amira", "ben", "chloe", "dev", "ella", "finn", "gita", "ndep", "sdep"]
    clock.set(at(date(2026, 11, 6)))
    inset = date(2026, 11, 6)
    for key in appraisees:
        school = act(key).staff_member(StaffId(key)).schools[0]
        head = "nhead" if school == NORTH else "shead"
        act(head).log_cpd(
            CpdKind.INSET,
            "INSET: responsive teaching",
            inset,
            "5",
            staff_id=StaffId(key),
            provider="Riverside Learning Trust",
        )
    for step, (day, hinge, observations) in enumerate(
        [(date(2026, 11, 20), "64", 1), (date(2027, 1, 22), "71", 2)]
    ):
        clock.set(at(day))
        for key in appraisees:
            person = act(key)
            first, second = by_weight(person.objectives())
            person.record_progress(first.id, "c1", hinge, note="Exit-ticket sample")
            person.record_progress(first.id, "c2", observations)
            person.record_progress(second.id, "c1", str(64 + 4 * step))
            if step == 0:
                person.complete_milestone(first.id, "m1", done_on=date(2026, 11, 19))

    amira = act("amira")
    first, second = by_weight(amira.objectives())
    clock.set(at(date(2026, 11, 25)))
    reflection = amira.log_evidence(
        EvidenceKind.REFLECTION,
        "What the hinge questions showed me",
        text="Two thirds of 9X2 chose the distractor about equivalent fractions; I re-taught "
        "it with a number line before moving on.",
        class_label="9X2",
        objective_ids=[first.id],
        standards=["TS6"],
        appraisal_evidence=True,
    )
    act("ben").log_evidence(
        EvidenceKind.PEER_FEEDBACK,
        "Peer observation: questioning in 9X2",
        owner_id=StaffId("amira"),
        text="Every pupil answered on mini-whiteboards; wait time was generous.",
        class_label="9X2",
    )
    amira.release_evidence(
        next(e.id for e in amira.evidence_of() if e.kind is EvidenceKind.PEER_FEEDBACK)
    )
    feedback = next(e for e in amira.evidence_of() if e.kind is EvidenceKind.PEER_FEEDBACK)
    amira.link_evidence(feedback.id, objective_id=first.id)
    amira.link_evidence(feedback.id, standard="TS4")
    amira.log_evidence(
        EvidenceKind.LINK,
        "Hinge question bank for Year 9 fractions",
        url="https://example.org/hinge-questions/fractions",
        objective_ids=[first.id],
        appraisal_evidence=True,
    )
    amira.log_evidence(
        EvidenceKind.REFLECTION,
        "Private notes after a hard lesson",
        text="Not for appraisal: what I want to try differently with 9X4.",
    )
    act("nhead").log_evidence(
        EvidenceKind.OBSERVATION_NOTE,
        "Formal observation: Year 9 fractions",
        owner_id=StaffId("amira"),
        purpose=EvidencePurpose.FORMAL,
        text="Clear hinge question at the transition; responses used to regroup pupils.",
        class_label="9X2",
        objective_ids=[first.id],
        standards=["TS4", "TS6"],
        appraisal_evidence=True,
    )
    certificate = amira.log_evidence(
        EvidenceKind.CERTIFICATE,
        "Certificate: Teaching reading in the secondary classroom",
        text="Online course completed, 6 hours.",
        standards=["TS3"],
        appraisal_evidence=True,
    )
    amira.log_cpd(
        CpdKind.ONLINE_MODULE,
        "Teaching reading in the secondary classroom",
        date(2026, 11, 12),
        "6",
        provider="National reading network",
        certificate_evidence_id=certificate.id,
        reflection="Reciprocal reading now opens each Year 7 lesson; two pupils have gained "
        "a reading-age year.",
        objective_ids=[second.id],
    )
    amira.log_cpd(
        CpdKind.COACHING,
        "Instructional coaching: questioning",
        date(2027, 1, 14),
        Decimal("1.5"),
        provider="Northgate coaching team",
        objective_ids=[first.id],
    )
    assert reflection.appraisal_evidence

    # Ella's appraiser goes on secondment: the head takes over from 1 February.
    act("shead").change_appraiser(StaffId("ella"), StaffId("shead"), on=date(2027, 2, 1))

    clock.set(at(date(2027, 2, 3)))
    act("ceo").advance_cycle(cycle_id, CyclePhase.MID_YEAR_REVIEW)
    clock.set(at(date(2027, 2, 10)))
    amira.add_review_comment(
        cycle_id,
        StaffId("amira"),
        "mid_year",
        "The hinge questions changed how I pace lessons. I would like to lead the "
        "department's questioning CPD next term.",
    )
    act("nhead").add_review_comment(
        cycle_id,
        StaffId("amira"),
        "mid_year",
        "Strong progress: correct responses up from 58% to 71%. On track to meet the target; "
        "plan the department session for the summer term.",
    )
    act("nhead").add_review_comment(
        cycle_id,
        StaffId("amira"),
        "mid_year",
        "Reading data is moving the right way; keep the reciprocal reading routine.",
        objective_id=second.id,
    )


MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4096
"""A stand-in for a short MP4 clip (the media store checks the header, not the picture)."""


def demo_mis() -> InMemoryMisSource:
    """Class 9X2 at Northgate: every pupil may be filmed."""
    return InMemoryMisSource(
        classes_=[MisClass("9X2", "northgate", "9X2", pupils=3)],
        media_consent_=[PupilMediaConsent(f"p{i}", "9X2", media_allowed=True) for i in range(3)],
    )


def video_club(cpd: Cpd, clock: FixedClock, people: dict[str, StaffMember]) -> str:
    """A peer observation with consent, a clip, a trust-wide video club on questioning and
    its session; returns the club session's id."""

    def act(key: str) -> ActingCpd:
        return cpd.as_actor(Actor.for_staff(people[key]))

    head = act("nhead")
    head.add_default_focuses(
        NORTH, sip_links={"questioning": ["T1"], "checking-for-understanding": ["T1"]}
    )
    clock.set(at(date(2027, 2, 11)))
    request = act("ben").request_observation(
        StaffId("amira"),
        "questioning",
        school_id=NORTH,
        planned_for=date(2027, 2, 12),
        class_label="9X2",
    )
    observation = act("amira").accept_observation(request.id)
    clock.set(at(date(2027, 2, 12)))
    act("ben").add_observation_note(
        observation.id, "Hinge question after the worked example; most boards showed B."
    )
    clip = act("ben").upload_clip(
        observation.id, io.BytesIO(MP4), title="Hinge question, 9X2", duration_seconds=95
    )
    act("amira").reflect_on_clip(clip.id, "I moved on before checking the two who chose C.")
    members = [StaffId(k) for k in people if k not in ("nhead",)]
    club = head.create_club(
        NORTH, "Questioning video club", "questioning", members=members, sip_priorities=["T1"]
    )
    act("amira").share_clip_with_club(clip.id, club.id)
    session = head.schedule_session(club.id, "Hinge questions", at(date(2027, 2, 24)))
    head.add_to_playlist(session.id, clip.id, prompt="What did the boards tell her?")
    clock.set(at(date(2027, 2, 24)))
    for key in ("chloe", "dev"):
        act(key).add_insight(
            session.id,
            what_worked="One hinge question before independent work",
            why="Misconceptions showed up while there was time to reteach",
            how_to_adapt="In Year 7 use two options, not four",
            sip_priorities=["T1"],
        )
    head.assign_action(
        session.id, StaffId("dev"), "Plan one hinge question for 8Y3", due_on=date(2027, 3, 10)
    )
    head.mark_session_held(session.id)
    return session.id


def alignment(cpd: Cpd, people: dict[str, StaffMember], path: Path) -> str:
    """The trust's priority alignment report (ONS 10-5): the club cell is large enough to
    publish, the observation and insight cells are suppressed."""
    from cpdcore.aggregation_io import SqliteQueryLedger

    ledger = SqliteQueryLedger(OUT / f"ledger-{time.time_ns()}.sqlite3")
    try:
        report = cpd.as_actor(Actor.for_staff(people["ceo"])).alignment_report(YEAR, ledger=ledger)
    finally:
        ledger.close()
    text = report.render_text()
    path.write_text(text + "\n", encoding="utf-8")
    return text


def main() -> int:
    """Run the demo; return the process exit code."""
    started = time.perf_counter()
    OUT.mkdir(exist_ok=True)
    for stale in [*OUT.glob("cpd-*.db*"), *OUT.glob("ledger-*.sqlite3")]:
        stale.unlink()  # files of earlier runs; each run starts from a fresh store
    clock = FixedClock(at(date(2026, 9, 1)))
    with Cpd.open(STORE_URL, clock=clock, media="memory://", mis=demo_mis()) as cpd:
        admin = cpd.as_actor(Actor.system(TRUST, "demo set-up"))
        admin.set_up_trust("Riverside Learning Trust")
        admin.add_school("Northgate Academy", school_id=NORTH)
        admin.add_school("Southbank Primary", school_id=SOUTH)
        people = build_people(admin)
        cycle_id = run_cycle(cpd, clock, people)
        monitor(cpd, clock, people, cycle_id)

        appraiser = cpd.as_actor(Actor.for_staff(people["nhead"]))
        html_path = OUT / "review-pack-amira.html"
        json_path = OUT / "review-pack-amira.json"
        html_path.write_text(
            appraiser.review_pack_html(StaffId("amira"), stage="mid_year"), encoding="utf-8"
        )
        pack = appraiser.review_pack_json(StaffId("amira"), stage="mid_year")
        json_path.write_text(json.dumps(pack, indent=2, ensure_ascii=False), encoding="utf-8")

        session_id = video_club(cpd, clock, people)
        playlist = cpd.as_actor(Actor.for_staff(people["chloe"])).session_playlist(session_id)
        alignment_path = OUT / "alignment.txt"
        alignment(cpd, people, alignment_path)

        head = cpd.as_actor(Actor.for_staff(people["nhead"]))
        north_total, _per_person = head.school_cpd_hours(NORTH, YEAR)
        problems = cpd.verify_audit(TRUST)
        staff = admin.list_staff().items
        summary = OUT / "summary.txt"
        summary.write_text(
            f"store: {STORE_URL}\nschools: 2\nstaff: {len(staff)}\n"
            f"cycle phase: {admin.cycle(cycle_id).phase.value}\n"
            f"objectives in Amira's pack: {len(pack['objectives'])}\n"
            f"Northgate CPD hours {YEAR}: {north_total.hours}\n"
            f"video club clips on the playlist: {len(playlist.items)}\n"
            f"audit chain intact: {not problems}\n",
            encoding="utf-8",
        )
    elapsed = time.perf_counter() - started
    print(f"cpdcore demo finished in {elapsed:.1f} s (store: {STORE_URL})")
    print(f"  review pack (HTML): {html_path}")
    print(f"  review pack (JSON): {json_path}")
    print(f"  priority alignment: {alignment_path} (c = withheld to protect individuals)")
    print(f"  summary:            {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
