"""RAG on the facade (in-memory store): reports by scope, overrides with their audit trail
and expiry, policies loaded from data, plugin rules through the hook, events on change."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import typer
from typer.testing import CliRunner

from cpdcore import Actor, Cpd, PermissionDenied, Role, RoleAssignment, ValidationError
from cpdcore.app import ActingCpd
from cpdcore.calendars import england_default
from cpdcore.cli.rag import COLUMNS, register, render_report
from cpdcore.clocks import FixedClock
from cpdcore.domain.audit import AuditEntry
from cpdcore.domain.cycles import CyclePhase
from cpdcore.domain.events import Event
from cpdcore.domain.identifiers import DepartmentId, ObjectiveId, SchoolId, StaffId, TrustId
from cpdcore.domain.objectives import (
    MeasureUnit,
    Milestone,
    Objective,
    ObjectiveCategory,
    ObjectiveTerms,
    SuccessCriterion,
)
from cpdcore.domain.organisation import StaffMember
from cpdcore.domain.rag import (
    Effect,
    RagColour,
    RagFacts,
    RuleOutcome,
    WeekdayCalendar,
)
from cpdcore.hookspecs import hookimpl

T = TrustId("t")
NORTH = SchoolId("north")
YEAR = "2026-27"
CAL = WeekdayCalendar()
START = date(2026, 9, 7)
DUE = date(2027, 1, 25)  # 100 school days after START with CAL


class Recorder:
    """A host plugin keeping events, and offering extra RAG rules."""

    def __init__(self, rules: Sequence[Any] = ()) -> None:
        self.events: list[Event] = []
        self.rules = list(rules)

    @hookimpl
    def cpdcore_event(self, event: Event) -> None:
        self.events.append(event)

    @hookimpl
    def cpdcore_rag_rules(self) -> Sequence[Any]:
        return self.rules

    def named(self, prefix: str) -> list[Event]:
        return [e for e in self.events if e.name.startswith(prefix)]


@attrs.frozen
class NeedsTwoCriteria:
    name: str = "needs_two_criteria"

    def evaluate(self, facts: RagFacts) -> RuleOutcome | None:
        if len(facts.terms.success_criteria) >= 2:
            return None
        return RuleOutcome(
            Effect.WORSEN,
            "The trust asks for two success criteria.",
            RagColour.AMBER,
            {"criteria": str(len(facts.terms.success_criteria))},
            "fewer than 2 criteria: at least AMBER",
        )


class World:
    def __init__(self, rules: Sequence[Any] = ()) -> None:
        self.clock = FixedClock(datetime(2026, 9, 1, 8, tzinfo=UTC))
        self.recorder = Recorder(rules)
        self.cpd = Cpd.open(
            "memory://", clock=self.clock, plugins=[self.recorder], entry_points=False
        )
        admin = self.cpd.as_actor(Actor.system(T, "set-up"))
        admin.set_up_trust("Trust")
        admin.add_school("North", school_id=NORTH)
        admin.add_department(NORTH, "Science", department_id=DepartmentId("sci"))
        admin.add_department(NORTH, "English", department_id=DepartmentId("eng"))
        self.people: dict[str, StaffMember] = {}
        for key, roles, departments in [
            ("ceo", [RoleAssignment(Role.TRUST_LEADER)], []),
            ("head", [RoleAssignment(Role.SCHOOL_LEADER, NORTH)], []),
            ("apr", [RoleAssignment(Role.APPRAISER, NORTH)], []),
            ("amy", [RoleAssignment(Role.APPRAISEE, NORTH)], ["sci"]),
            ("bob", [RoleAssignment(Role.APPRAISEE, NORTH)], ["eng"]),
        ]:
            self.people[key] = admin.add_staff(
                key.title(),
                "X",
                roles=roles,
                staff_id=StaffId(key),
                departments=[DepartmentId(d) for d in departments],
            )
        cycle = self.act("ceo").open_cycle(YEAR)
        self.cycle = self.act("ceo").advance_cycle(cycle.id, CyclePhase.OBJECTIVE_SETTING)
        for person in ("amy", "bob"):
            self.act("head").assign_appraiser(StaffId(person), StaffId("apr"), YEAR)
        self.objectives: dict[str, Objective] = {}
        for person in ("amy", "bob"):
            made = [
                self.act(person).create_objective(
                    self.cycle.id, terms(f"{person} {n}"), propose=True
                )
                for n in (1, 2)
            ]
            for objective in made:
                self.objectives[objective.terms.title] = self.act("apr").agree_objective(
                    objective.id
                )
        self.on(date(2026, 9, 7))
        self.act("ceo").advance_cycle(self.cycle.id, CyclePhase.MONITORING)

    def act(self, key: str) -> ActingCpd:
        return self.cpd.as_actor(Actor.for_staff(self.people[key]))

    def on(self, day: date) -> None:
        self.clock.set(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))

    def oid(self, title: str) -> ObjectiveId:
        return self.objectives[title].id

    def progress(self, title: str, value: str, on: date) -> None:
        owner = title.split(maxsplit=1)[0]
        self.act(owner).record_progress(self.oid(title), "c1", value, measured_on=on)

    def audit(self) -> list[AuditEntry]:
        with self.cpd.storage.unit_of_work() as uow:
            return list(uow.audit.entries(T, limit=10_000))


def terms(title: str) -> ObjectiveTerms:
    return ObjectiveTerms(
        title=title,
        category=ObjectiveCategory.TEACHING_PRACTICE,
        starts_on=START,
        due_on=DUE,
        success_criteria=(
            SuccessCriterion("Correct answers", MeasureUnit.PERCENTAGE, Decimal(100), Decimal(0)),
        ),
        weight=Decimal(50),
        milestones=(Milestone("First observation", date(2026, 11, 2)),),
    )


HALFWAY = date(2026, 11, 16)


@pytest.fixture
def world() -> World:
    w = World()
    w.on(HALFWAY)
    # amy 1 on track, amy 2 behind; bob 1 far behind; bob 2 one point only
    for title, value in [("amy 1", "60"), ("amy 2", "30"), ("bob 1", "5")]:
        w.progress(title, "0", START)
        w.progress(title, value, HALFWAY)
    w.progress("bob 2", "50", HALFWAY)
    w.act("amy").complete_milestone(w.oid("amy 1"), "m1", done_on=date(2026, 11, 1))
    return w


def colours(report: Any) -> dict[str, RagColour]:
    return {row.title: row.colour for row in report.rows}


def test_a_school_report_shows_every_objective_with_its_reasons(world: World) -> None:
    report = world.act("head").rag_report(school_id=NORTH, as_of=HALFWAY, calendar=CAL)
    assert report.scope == "school north"
    assert colours(report) == {
        "amy 1": RagColour.GREEN,
        "amy 2": RagColour.AMBER,
        "bob 1": RagColour.RED,
        "bob 2": RagColour.AMBER,  # milestone overdue; one point only
    }
    rows = {row.title: row for row in report.rows}
    assert rows["bob 2"].status.decided_by == ("milestones_and_evidence_only", "overdue_milestones")
    assert rows["amy 1"].status.expected == Decimal("0.5")
    assert report.counts()[RagColour.AMBER] == 2


def test_scopes_person_department_and_trust(world: World) -> None:
    mine = world.act("amy").rag_report(appraisee_id=StaffId("amy"), as_of=HALFWAY, calendar=CAL)
    assert sorted(colours(mine)) == ["amy 1", "amy 2"]
    science = world.act("head").rag_report(
        department_id=DepartmentId("sci"), as_of=HALFWAY, calendar=CAL
    )
    assert sorted(colours(science)) == ["amy 1", "amy 2"]
    trust = world.act("ceo").rag_report(as_of=HALFWAY, calendar=CAL)
    assert len(trust.rows) == 4
    apr = world.act("apr").rag_report(appraisee_id=StaffId("bob"), as_of=HALFWAY, calendar=CAL)
    assert len(apr.rows) == 2


@pytest.mark.parametrize(
    ("who", "scope"),
    [
        ("bob", {"appraisee_id": StaffId("amy")}),
        ("amy", {"school_id": NORTH}),
        ("apr", {"department_id": DepartmentId("sci")}),
        ("head", {}),  # the trust report is for trust leaders
    ],
)
def test_reports_are_identifiable_so_only_those_allowed_may_ask(
    world: World, who: str, scope: dict[str, Any]
) -> None:
    with pytest.raises(PermissionDenied):
        world.act(who).rag_report(as_of=HALFWAY, calendar=CAL, **scope)


def test_the_appraiser_overrides_with_a_reason_and_the_computed_status_stays_beside_it(
    world: World,
) -> None:
    oid = world.oid("bob 1")
    override = world.act("apr").set_rag_override(
        oid, "amber", "Two strong observations this week", HALFWAY + timedelta(days=14)
    )
    row = world.act("head").rag_status(oid, as_of=HALFWAY, calendar=CAL)
    assert (row.colour, row.computed) == (RagColour.AMBER, RagColour.RED)
    assert row.override == override
    entry = [e for e in world.audit() if e.action == "rag.override_set"][-1]
    assert entry.record_id == override.id
    assert entry.payload["colour"] == "amber"
    assert [e.name for e in world.recorder.named("rag.override")] == ["rag.override_set"]


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("apr", True), ("head", True), ("bob", False), ("amy", False), ("ceo", False)],
)
def test_only_the_own_appraiser_or_a_school_leader_may_override(
    world: World, who: str, allowed: bool
) -> None:
    oid = world.oid("bob 1")
    call = lambda: world.act(who).set_rag_override(oid, "green", "seen", HALFWAY)  # noqa: E731
    if allowed:
        assert call().set_by == who
    else:
        with pytest.raises(PermissionDenied):
            call()


@pytest.mark.parametrize(
    ("days", "reason", "where"),
    [(91, "fine", "expires_on"), (-1, "fine", "expires_on"), (10, "   ", "reason")],
)
def test_an_override_needs_a_reason_and_at_most_90_days(
    world: World, days: int, reason: str, where: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        world.act("apr").set_rag_override(
            world.oid("bob 1"), "green", reason, HALFWAY + timedelta(days=days)
        )
    assert caught.value.where == where


def test_replacing_and_ending_overrides_are_audited(world: World) -> None:
    oid = world.oid("bob 1")
    first = world.act("apr").set_rag_override(oid, "amber", "first", HALFWAY + timedelta(days=90))
    world.clock.advance(timedelta(hours=1))
    second = world.act("head").set_rag_override(oid, "green", "second", HALFWAY + timedelta(days=5))
    history = world.act("head").rag_overrides(oid)
    assert [(o.id, o.ended_on) for o in history] == [(first.id, HALFWAY), (second.id, None)]
    world.on(HALFWAY + timedelta(days=1))
    ended = world.act("apr").end_rag_override(oid, "spoke with Bob: support plan agreed")
    assert ended.ended_on == HALFWAY + timedelta(days=1)
    actions = [e.action for e in world.audit() if e.action.startswith("rag.override")]
    assert actions == ["rag.override_set", "rag.override_changed", "rag.override_ended"]
    row = world.act("head").rag_status(oid, as_of=HALFWAY + timedelta(days=1), calendar=CAL)
    assert row.override is None


def test_an_expired_override_gives_way_and_its_expiry_is_audited_once(world: World) -> None:
    oid = world.oid("bob 1")
    expires = HALFWAY + timedelta(days=3)
    world.act("apr").set_rag_override(oid, "green", "new scheme of work", expires)
    assert world.act("head").rag_status(oid, as_of=expires, calendar=CAL).colour is RagColour.GREEN
    after = expires + timedelta(days=1)
    assert world.act("head").rag_status(oid, as_of=after, calendar=CAL).colour is RagColour.RED
    world.on(after)
    changes = world.act("head").track_rag(since=expires, calendar=CAL, school_id=NORTH)
    assert (oid, after, RagColour.GREEN, RagColour.RED) in changes
    world.act("head").track_rag(since=expires, calendar=CAL, school_id=NORTH)
    expiries = [e for e in world.audit() if e.action == "rag.override_expired"]
    assert len(expiries) == 1
    assert expiries[0].payload["expired_on"] == expires.isoformat()


def test_status_changes_are_sent_as_events_and_recomputed_identically(world: World) -> None:
    world.on(date(2026, 12, 1))
    since = date(2026, 10, 25)
    first = world.act("head").track_rag(since=since, calendar=CAL, school_id=NORTH)
    events = world.recorder.named("rag.turned_")
    assert len(events) == len(first) > 0
    red = [e for e in events if e.name == "rag.turned_red"]
    assert any(e.record_id == world.oid("bob 1") for e in red)
    assert {"before", "after", "on", "decided_by"} <= set(red[0].data)
    again = world.act("head").track_rag(since=since, calendar=CAL, school_id=NORTH)
    assert again == first


def test_the_timeline_on_the_facade_matches_single_day_statuses(world: World) -> None:
    oid = world.oid("amy 2")
    spans = world.act("amy").rag_timeline(oid, start=date(2026, 10, 1), end=HALFWAY, calendar=CAL)
    assert spans[0].starts_on == date(2026, 10, 1) and spans[-1].ends_on == HALFWAY
    for span in spans:
        row = world.act("amy").rag_status(oid, as_of=span.ends_on, calendar=CAL)
        assert row.colour is span.colour


def test_a_school_policy_is_validated_on_load_with_field_paths(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        world.act("head").set_rag_policy(
            {"green_margin": "0.5", "quiet_days": "lots", "colour": "x"}, school_id=NORTH
        )
    wheres = {p.where for p in caught.value.problems}
    assert {"quiet_days"} <= wheres
    with pytest.raises(ValidationError) as caught:
        world.act("head").set_rag_policy({"green_margin": "0.5"}, school_id=NORTH)
    assert caught.value.where == "green_margin"
    with pytest.raises(PermissionDenied):
        world.act("head").set_rag_policy({}, school_id=None)


def test_a_school_policy_changes_the_colours(world: World) -> None:
    world.act("head").set_rag_policy(
        {"green_margin": "0.25", "amber_margin": "0.5"}, school_id=NORTH
    )
    assert world.act("head").rag_policy(NORTH).green_margin == Decimal("0.25")
    row = world.act("head").rag_status(world.oid("amy 2"), as_of=HALFWAY, calendar=CAL)
    pace = row.status.results[0]
    assert (pace.rule, pace.colour) == ("progress_pace", RagColour.GREEN)  # 0.30 >= 0.50 - 0.25
    assert "expected - 0.25" in pace.threshold
    assert row.colour is RagColour.AMBER  # its first milestone is still overdue
    assert any(e.action == "rag.policy_set" for e in world.audit())


def test_plugin_rules_arrive_through_the_hook() -> None:
    w = World(rules=[NeedsTwoCriteria()])
    w.on(HALFWAY)
    w.progress("amy 1", "0", START)
    w.progress("amy 1", "60", HALFWAY)
    w.act("amy").complete_milestone(w.oid("amy 1"), "m1", done_on=date(2026, 11, 1))
    row = w.act("amy").rag_status(w.oid("amy 1"), as_of=HALFWAY, calendar=CAL)
    assert row.colour is RagColour.AMBER
    assert row.status.decided_by[-1] == "needs_two_criteria"
    w.act("head").set_rag_policy({"disabled_rules": ["needs_two_criteria"]}, school_id=NORTH)
    row = w.act("amy").rag_status(w.oid("amy 1"), as_of=HALFWAY, calendar=CAL)
    assert row.colour is RagColour.GREEN


def test_the_shipped_england_calendar_is_the_default(world: World) -> None:
    row = world.act("amy").rag_status(world.oid("amy 1"), as_of=HALFWAY)
    with_weekdays = world.act("amy").rag_status(world.oid("amy 1"), as_of=HALFWAY, calendar=CAL)
    england = england_default()
    gone = england.school_days_between(START, HALFWAY)
    total = england.school_days_between(START, DUE)
    assert gone < 50 and total < 100  # half term and Christmas are holidays there
    assert row.status.expected == Decimal(gone) / Decimal(total)
    assert with_weekdays.status.expected == Decimal("0.5")


# ``cpd rag report``: the rendering the command prints, and its argument checks -----------


def test_the_csv_report_has_one_row_per_objective_with_both_colours(world: World) -> None:
    world.act("apr").set_rag_override(
        world.oid("bob 1"), "amber", "support plan", HALFWAY + timedelta(days=7)
    )
    report = world.act("head").rag_report(school_id=NORTH, as_of=HALFWAY, calendar=CAL)
    rows = list(csv.DictReader(io.StringIO(render_report(report, "csv"))))
    assert list(rows[0]) == list(COLUMNS)
    by_title = {r["title"]: r for r in rows}
    assert len(rows) == 4
    bob = by_title["bob 1"]
    assert (bob["colour"], bob["computed"], bob["override"]) == ("amber", "red", "amber")
    assert bob["override_reason"] == "support plan"
    assert by_title["amy 1"]["expected"] == "0.5000"
    assert "progress_pace" in by_title["amy 2"]["decided_by"]


def test_the_json_report_carries_every_rule_with_inputs_and_threshold(world: World) -> None:
    report = world.act("head").rag_report(school_id=NORTH, as_of=HALFWAY, calendar=CAL)
    document = json.loads(render_report(report, "json"))
    assert document["as_of"] == "2026-11-16"
    first = document["rows"][0]["rules"][0]
    assert {"rule", "effect", "colour", "changed", "message", "inputs", "threshold"} <= set(first)
    with pytest.raises(ValidationError, match="accepted: csv, json"):
        render_report(report, "xml")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2026-11-16", "--format", "xml"], "accepted: csv, json"),
        (["--as-of", "the 16th", "--db", "memory://"], "YYYY-MM-DD, DD/MM/YYYY"),
    ],
)
def test_the_command_rejects_bad_arguments_with_the_accepted_values(
    args: list[str], message: str
) -> None:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    register(app)
    result = CliRunner().invoke(app, ["rag", "report", *args])
    assert isinstance(result.exception, ValidationError)
    assert message in str(result.exception)


def test_the_example_plugin_from_the_how_to_worsens_a_quiet_objective() -> None:
    path = Path(__file__).parents[2] / "examples" / "rag_rule_plugin.py"
    spec = importlib.util.spec_from_file_location("rag_rule_plugin", path)
    assert spec is not None and spec.loader is not None
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    w = World(rules=plugin.cpdcore_rag_rules())
    w.on(HALFWAY)
    w.progress("amy 1", "0", START)
    w.progress("amy 1", "60", HALFWAY)
    w.act("amy").complete_milestone(w.oid("amy 1"), "m1", done_on=date(2026, 11, 1))
    row = w.act("amy").rag_status(w.oid("amy 1"), as_of=HALFWAY, calendar=CAL)
    assert row.colour is RagColour.AMBER
    assert row.status.decided_by == ("progress_pace", "no_cpd_logged")
    assert row.status.results[-1].threshold.startswith("none in 10 weeks")


def test_developmental_evidence_counts_for_rag_only_with_item_consent() -> None:
    """The firewall reaches RAG: a developmental note is RAG input only while its owner's
    APPRAISAL_EVIDENCE consent for that item is in force."""
    w = World()
    quiet_until = date(2026, 11, 30)  # 84 days into monitoring with no progress recorded
    w.on(date(2026, 11, 20))
    note = w.act("amy").log_evidence(
        "reflection",
        "What the hinge questions showed me",
        text="Two thirds chose the distractor; I re-taught it.",
        objective_ids=[w.oid("amy 1")],
    )
    w.on(quiet_until)

    def fired() -> tuple[str, ...]:
        report = w.act("apr").rag_report(
            appraisee_id=StaffId("amy"), as_of=quiet_until, calendar=CAL
        )
        row = next(r for r in report.rows if r.title == "amy 1")
        return tuple(result.rule for result in row.status.results)

    assert "no_recent_evidence" in fired()
    consent = w.act("amy").grant_consent(
        "appraisal_evidence", "line_manager", item=f"evidence:{note.id}"
    )
    assert "no_recent_evidence" not in fired()
    w.act("amy").withdraw_consent(consent.id)
    assert "no_recent_evidence" in fired()
