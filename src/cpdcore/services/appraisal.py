"""Use cases of the appraisal cycle: cycles, SIP priorities, line management, objectives,
progress updates and review comments.

Who may do what:

* school leaders open and advance their school's cycle and publish its SIP priorities;
  trust leaders do the same for the whole trust (schools inherit trust cycles);
* school leaders (or trust leaders) assign appraisers and change them mid-cycle, keeping
  the history;
* an appraisee drafts, proposes, edits and agrees their own objectives and records their
  progress; their *current* appraiser may do the same for them, and only the appraiser
  records review outcomes.

Actions done after their phase's window has closed are allowed and flagged ``late`` in
the objective's history, the audit entry and the event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs

from cpdcore.domain.cycles import (
    AppraisalCycle,
    CyclePhase,
    ObjectiveLimits,
    PhaseWindow,
    advance,
    cycle_for_school,
    default_windows,
    require_phase,
)
from cpdcore.domain.identifiers import CycleId, ObjectiveId, SchoolId, StaffId
from cpdcore.domain.line_management import (
    AppraiserAssignment,
    academic_year_of,
    parse_academic_year,
)
from cpdcore.domain.objectives import (
    Objective,
    ObjectiveStatus,
    ObjectiveTerms,
    Outcome,
    Party,
    new_objective,
    objective_set_problems,
    terms_problems,
    with_codes,
)
from cpdcore.domain.objectives import agree as agree_terms
from cpdcore.domain.objectives import complete_milestone as milestone_done
from cpdcore.domain.objectives import edit as edit_terms
from cpdcore.domain.objectives import propose as propose_terms
from cpdcore.domain.objectives import review as review_objective
from cpdcore.domain.objectives import start as start_objective
from cpdcore.domain.objectives import withdraw as withdraw_objective
from cpdcore.domain.organisation import Role, School, StaffMember
from cpdcore.domain.progress import ProgressUpdate, check_progress
from cpdcore.domain.review_meetings import ReviewComment, ReviewStage
from cpdcore.domain.sip import SipPriority, available_priorities
from cpdcore.errors import NotFound, PermissionDenied, Problem, ValidationError
from cpdcore.serialization import converter, from_dict
from cpdcore.services.context import Transaction, UseCases, all_pages, appraiser_of, new_id

__all__ = ["AppraisalUseCases", "decimal_input", "terms_input"]

_SCHOOL_LEADERS = frozenset({Role.SCHOOL_LEADER, Role.TRUST_LEADER})
_TRUST_LEADERS = frozenset({Role.TRUST_LEADER})
_LINE_MANAGERS = frozenset({Role.SCHOOL_LEADER, Role.TRUST_LEADER, Role.ADMINISTRATOR})
_OBJECTIVE_PHASES = (
    CyclePhase.OBJECTIVE_SETTING,
    CyclePhase.MONITORING,
    CyclePhase.MID_YEAR_REVIEW,
)
_PROGRESS_PHASES = (
    CyclePhase.OBJECTIVE_SETTING,
    CyclePhase.MONITORING,
    CyclePhase.MID_YEAR_REVIEW,
    CyclePhase.FINAL_REVIEW,
)


def decimal_input(value: Decimal | int | str, where: str) -> Decimal:
    """A decimal from caller input (``Decimal``, ``int`` or text such as ``"1.5"``)."""
    if isinstance(value, Decimal) and value.is_finite():
        return value
    try:
        return converter.structure(value, Decimal)
    except ValueError as exc:
        raise ValidationError.single(where, str(exc)) from None


def terms_input(terms: ObjectiveTerms | Mapping[str, Any]) -> ObjectiveTerms:
    """Objective terms from an object or from untrusted JSON-like data (e.g. a web form)."""
    if isinstance(terms, ObjectiveTerms):
        return terms
    return from_dict(ObjectiveTerms, terms)


def _year_of(day: date) -> str:
    return academic_year_of(day)


class AppraisalUseCases(UseCases):
    """Run appraisal cycles: cycles, SIP priorities, appraisers, objectives and progress."""

    # Cycles ------------------------------------------------------------------------------
    def open_cycle(
        self,
        academic_year: str,
        *,
        school_id: SchoolId | None = None,
        name: str = "",
        starts_on: date | None = None,
        ends_on: date | None = None,
        windows: Sequence[PhaseWindow] | None = None,
        limits: ObjectiveLimits | None = None,
    ) -> AppraisalCycle:
        """Open a cycle for one school, or for the whole trust when ``school_id`` is None.

        Dates default to 1 September – 31 August and windows to :func:`default_windows`.
        A scope (school or trust) has at most one cycle per academic year.
        """
        if school_id is None:
            self._require(_TRUST_LEADERS, None, "opening a trust-wide cycle")
        else:
            self._require(_SCHOOL_LEADERS, school_id, "opening a school's cycle")
        start = parse_academic_year(academic_year)
        with self._transaction() as tx:
            trust_id = self.actor.trust_id
            if school_id is not None:
                tx.repo(School).get(trust_id, school_id)
            existing = all_pages(
                tx.repo(AppraisalCycle),
                trust_id,
                where={"academic_year": academic_year, "school_id": school_id},
            )
            if existing:
                scope = f"school {school_id}" if school_id else "the trust"
                raise ValidationError.single(
                    "academic_year",
                    f"{scope} already has cycle {existing[0].id!r} for {academic_year}; "
                    "advance that cycle instead of opening another",
                )
            cycle = tx.repo(AppraisalCycle).add(
                AppraisalCycle(
                    id=CycleId(new_id()),
                    trust_id=trust_id,
                    school_id=school_id,
                    name=name or f"Appraisal {academic_year}",
                    academic_year=academic_year,
                    starts_on=starts_on or date(start, 9, 1),
                    ends_on=ends_on or date(start + 1, 8, 31),
                    windows=tuple(default_windows(academic_year) if windows is None else windows),
                    limits=limits or ObjectiveLimits(),
                )
            )
            tx.audit(
                "cycle.opened",
                "AppraisalCycle",
                cycle.id,
                school_id=school_id,
                payload={"academic_year": academic_year, "scope": school_id or "trust"},
            )
            tx.emit("cycle.opened", cycle.id, school_id=school_id, academic_year=academic_year)
        return cycle

    def advance_cycle(self, cycle_id: CycleId, to: CyclePhase | str) -> AppraisalCycle:
        """Move a cycle to its next phase (late moves are recorded as late)."""
        target = CyclePhase(to) if isinstance(to, str) else to
        with self._transaction() as tx:
            repo = tx.repo(AppraisalCycle)
            cycle = repo.get(self.actor.trust_id, cycle_id)
            self._require_cycle_leader(cycle, "advancing a cycle")
            moved = repo.update(advance(cycle, target, at=tx.now, by=self.actor.id))
            change = moved.history[-1]
            tx.audit(
                "cycle.phase_changed",
                "AppraisalCycle",
                cycle.id,
                school_id=cycle.school_id,
                payload={
                    "from": change.from_phase.value,
                    "to": change.to_phase.value,
                    "late": change.late,
                },
            )
            tx.emit(
                "cycle.phase_changed",
                cycle.id,
                school_id=cycle.school_id,
                phase=target.value,
                late=str(change.late).lower(),
            )
        return moved

    def cycle(self, cycle_id: CycleId) -> AppraisalCycle:
        """One cycle of the trust."""
        with self._transaction() as tx:
            return tx.repo(AppraisalCycle).get(self.actor.trust_id, cycle_id)

    def cycles(self, academic_year: str | None = None) -> list[AppraisalCycle]:
        """The trust's cycles (trust-wide and per school), optionally of one year."""
        where = None if academic_year is None else {"academic_year": academic_year}
        with self._transaction() as tx:
            return all_pages(tx.repo(AppraisalCycle), self.actor.trust_id, where=where)

    def cycle_for(self, school_id: SchoolId, academic_year: str) -> AppraisalCycle:
        """The cycle governing a school in a year: its own, else the trust's."""
        found = cycle_for_school(self.cycles(academic_year), school_id, academic_year)
        if found is None:
            raise NotFound("AppraisalCycle", academic_year, f"school {school_id} or the trust")
        return found

    def _require_cycle_leader(self, cycle: AppraisalCycle, doing: str) -> None:
        roles = _TRUST_LEADERS if cycle.school_id is None else _SCHOOL_LEADERS
        self._require(roles, cycle.school_id, doing)

    # SIP priorities ------------------------------------------------------------------------
    def add_sip_priority(
        self,
        code: str,
        title: str,
        academic_year: str,
        *,
        school_id: SchoolId | None = None,
        description: str = "",
    ) -> SipPriority:
        """Publish a SIP priority for a school, or for every school when ``school_id`` is None."""
        if school_id is None:
            self._require(_TRUST_LEADERS, None, "publishing trust SIP priorities")
        else:
            self._require(_SCHOOL_LEADERS, school_id, "publishing a school's SIP priorities")
        with self._transaction() as tx:
            repo = tx.repo(SipPriority)
            clash = all_pages(
                repo,
                self.actor.trust_id,
                where={"academic_year": academic_year, "school_id": school_id, "code": code},
            )
            if clash:
                raise ValidationError.single(
                    "code", f"SIP code {code!r} is already used in this list for {academic_year}"
                )
            priority = repo.add(
                SipPriority(
                    id=new_id(),
                    trust_id=self.actor.trust_id,
                    school_id=school_id,
                    code=code,
                    title=title,
                    academic_year=academic_year,
                    description=description,
                )
            )
            tx.audit("sip.added", "SipPriority", priority.id, school_id=school_id)
        return priority

    def sip_priorities(
        self, academic_year: str, *, school_id: SchoolId | None = None
    ) -> list[SipPriority]:
        """The priorities a school can link to (its own and the trust's), by code."""
        with self._transaction() as tx:
            found = _sip_for(tx, school_id, academic_year)
        return [found[code] for code in sorted(found)]

    # Line management -----------------------------------------------------------------------
    def assign_appraiser(
        self,
        appraisee_id: StaffId,
        appraiser_id: StaffId,
        academic_year: str,
        *,
        starts_on: date | None = None,
    ) -> AppraiserAssignment:
        """Make ``appraiser_id`` the appraiser of ``appraisee_id`` for a year.

        Fails if the appraisee already has a current appraiser that year; use
        :meth:`change_appraiser` to replace one and keep the history.
        """
        with self._transaction() as tx:
            appraisee, _appraiser = self._line_people(tx, appraisee_id, appraiser_id)
            current = _open_assignments(tx, appraisee_id, academic_year)
            if current:
                raise ValidationError.single(
                    "appraisee_id",
                    f"{appraisee_id} already has appraiser {current[0].appraiser_id} in "
                    f"{academic_year}; use change_appraiser to replace them",
                )
            assignment = tx.repo(AppraiserAssignment).add(
                _new_assignment(
                    tx,
                    appraisee,
                    appraisee_id=appraisee_id,
                    appraiser_id=appraiser_id,
                    academic_year=academic_year,
                    starts_on=starts_on,
                )
            )
            tx.audit(
                "appraiser.assigned",
                "AppraiserAssignment",
                assignment.id,
                subject_id=appraisee_id,
                payload={"appraiser": appraiser_id, "academic_year": academic_year},
            )
            tx.emit("appraiser.assigned", assignment.id, appraisee=appraisee_id)
        return assignment

    def change_appraiser(
        self,
        appraisee_id: StaffId,
        new_appraiser_id: StaffId,
        *,
        on: date | None = None,
    ) -> AppraiserAssignment:
        """Hand an appraisee to a new appraiser from ``on`` (default today).

        The current assignment ends the day before; both stay in the history.
        """
        day = on or self._now().date()
        year = _year_of(day)
        with self._transaction() as tx:
            appraisee, _appraiser = self._line_people(tx, appraisee_id, new_appraiser_id)
            repo = tx.repo(AppraiserAssignment)
            for current in _open_assignments(tx, appraisee_id, year):
                if current.starts_on is not None and current.starts_on >= day:
                    raise ValidationError.single(
                        "on",
                        f"the current appraiser started on {current.starts_on}; a change must "
                        f"take effect after that day, got {day}",
                    )
                repo.update(attrs.evolve(current, ends_on=day - timedelta(days=1)))
            assignment = repo.add(
                _new_assignment(
                    tx,
                    appraisee,
                    appraisee_id=appraisee_id,
                    appraiser_id=new_appraiser_id,
                    academic_year=year,
                    starts_on=day,
                )
            )
            tx.audit(
                "appraiser.changed",
                "AppraiserAssignment",
                assignment.id,
                subject_id=appraisee_id,
                payload={"appraiser": new_appraiser_id, "from": day.isoformat()},
            )
            tx.emit("appraiser.changed", assignment.id, appraisee=appraisee_id)
        return assignment

    def appraiser_history(
        self, appraisee_id: StaffId, academic_year: str
    ) -> list[AppraiserAssignment]:
        """Every appraiser an appraisee had in a year, earliest first."""
        with self._transaction() as tx:
            found = all_pages(
                tx.repo(AppraiserAssignment),
                self.actor.trust_id,
                where={"appraisee_id": appraisee_id, "academic_year": academic_year},
            )
        return sorted(found, key=lambda a: (a.starts_on or date.min, a.id))

    def current_appraiser(self, appraisee_id: StaffId, on: date | None = None) -> StaffId | None:
        """Who appraises ``appraisee_id`` on ``on`` (default today), if anyone."""
        with self._transaction() as tx:
            return appraiser_of(tx, appraisee_id, on or tx.now.date())

    def _line_people(
        self, tx: Transaction, appraisee_id: StaffId, appraiser_id: StaffId
    ) -> tuple[StaffMember, StaffMember]:
        staff = tx.repo(StaffMember)
        appraisee = staff.get(self.actor.trust_id, appraisee_id)
        appraiser = staff.get(self.actor.trust_id, appraiser_id)
        if not appraisee.schools:
            self._require(_LINE_MANAGERS, None, "assigning an appraiser")
        elif not any(self.actor.has_any_role(_LINE_MANAGERS, s) for s in appraisee.schools):
            self._require(_LINE_MANAGERS, appraisee.schools[0], "assigning an appraiser")
        if not appraiser.active:
            raise ValidationError.single(
                "appraiser_id", f"{appraiser_id} has left; choose an active staff member"
            )
        return appraisee, appraiser

    # Objectives ----------------------------------------------------------------------------
    def create_objective(
        self,
        cycle_id: CycleId,
        terms: ObjectiveTerms | Mapping[str, Any],
        *,
        appraisee_id: StaffId | None = None,
        school_id: SchoolId | None = None,
        propose: bool = False,
    ) -> Objective:
        """Draft an objective (and propose it at once with ``propose=True``).

        ``terms`` may be an :class:`ObjectiveTerms` or JSON-like data from a form; every
        problem is reported with its field path.
        """
        parsed = with_codes(terms_input(terms))
        appraisee_id = appraisee_id or self._own_staff_id("drafting an objective")
        with self._transaction() as tx:
            trust_id = self.actor.trust_id
            cycle = tx.repo(AppraisalCycle).get(trust_id, cycle_id)
            require_phase(cycle, _OBJECTIVE_PHASES, "drafting an objective")
            appraisee = tx.repo(StaffMember).get(trust_id, appraisee_id)
            school = _school_in_cycle(appraisee, cycle, school_id)
            party = self._party(tx, appraisee_id, "drafting an objective")
            _raise_terms_problems(tx, parsed, cycle, school)
            existing = _objectives_of(tx, cycle.id, appraisee_id)
            counted = [o for o in existing if o.status is not ObjectiveStatus.WITHDRAWN]
            if len(counted) >= cycle.limits.maximum:
                raise ValidationError.single(
                    "objectives",
                    f"{appraisee_id} already has {len(counted)} objectives in this cycle, the "
                    f"most it allows ({cycle.limits.maximum}); withdraw one first",
                )
            objective = new_objective(
                objective_id=ObjectiveId(new_id()),
                trust_id=trust_id,
                school_id=school,
                cycle_id=cycle.id,
                appraisee_id=appraisee_id,
                terms=parsed,
                at=tx.now,
                by=self.actor.id,
            )
            if propose:
                late = cycle.check_window(CyclePhase.OBJECTIVE_SETTING, tx.now.date()).late
                objective = propose_terms(
                    objective, party=party, by=self.actor.id, at=tx.now, late=late
                )
            stored = tx.repo(Objective).add(objective)
            self._record(tx, stored, "objective.created")
            if propose:
                self._record(tx, stored, "objective.proposed")
        return stored

    def propose_objective(self, objective_id: ObjectiveId) -> Objective:
        """Put a draft forward for agreement (the proposer's agreement is recorded)."""

        def change(tx: Transaction, cycle: AppraisalCycle, objective: Objective) -> Objective:
            party = self._party(tx, objective.appraisee_id, "proposing an objective")
            require_phase(cycle, _OBJECTIVE_PHASES, "proposing an objective")
            late = cycle.check_window(CyclePhase.OBJECTIVE_SETTING, tx.now.date()).late
            return propose_terms(objective, party=party, by=self.actor.id, at=tx.now, late=late)

        return self._change_objective(objective_id, change, "objective.proposed")

    def edit_objective(
        self,
        objective_id: ObjectiveId,
        terms: ObjectiveTerms | Mapping[str, Any],
        *,
        note: str = "",
    ) -> Objective:
        """Change an objective's terms; an agreed one returns to proposed for re-agreement."""
        parsed = terms_input(terms)

        def change(tx: Transaction, cycle: AppraisalCycle, objective: Objective) -> Objective:
            party = self._party(tx, objective.appraisee_id, "editing an objective")
            require_phase(cycle, _OBJECTIVE_PHASES, "editing an objective")
            _raise_terms_problems(tx, with_codes(parsed), cycle, objective.school_id)
            return edit_terms(
                objective, parsed, party=party, by=self.actor.id, at=tx.now, note=note
            )

        return self._change_objective(objective_id, change, "objective.changed")

    def agree_objective(self, objective_id: ObjectiveId) -> Objective:
        """Record the actor's agreement; with both parties' the objective becomes agreed.

        Completing an agreement checks the appraisee's proposed objectives as a set: their
        number against the cycle's limits and their weights (all or none, summing to 100).
        """

        def change(tx: Transaction, cycle: AppraisalCycle, objective: Objective) -> Objective:
            party = self._party(tx, objective.appraisee_id, "agreeing an objective")
            require_phase(cycle, _OBJECTIVE_PHASES, "agreeing an objective")
            late = cycle.check_window(CyclePhase.OBJECTIVE_SETTING, tx.now.date()).late
            agreed = agree_terms(objective, party=party, by=self.actor.id, at=tx.now, late=late)
            if agreed.status is ObjectiveStatus.AGREED:
                others = [
                    o
                    for o in _objectives_of(tx, cycle.id, objective.appraisee_id)
                    if o.id != objective.id and o.status is not ObjectiveStatus.DRAFT
                ]
                problems = objective_set_problems([*others, agreed], cycle.limits)
                if problems:
                    raise ValidationError(problems)
            return agreed

        return self._change_objective(objective_id, change, "objective.agreed")

    def withdraw_objective(self, objective_id: ObjectiveId, reason: str) -> Objective:
        """Withdraw an objective that has not been reviewed, giving a reason."""

        def change(tx: Transaction, cycle: AppraisalCycle, objective: Objective) -> Objective:
            self._party(tx, objective.appraisee_id, "withdrawing an objective")
            require_phase(cycle, list(CyclePhase)[:-1], "withdrawing an objective")
            return withdraw_objective(objective, reason, by=self.actor.id, at=tx.now)

        return self._change_objective(objective_id, change, "objective.withdrawn")

    def review_objective(
        self, objective_id: ObjectiveId, outcome: Outcome | str, *, note: str = ""
    ) -> Objective:
        """Record the final-review outcome (the current appraiser only, in final review)."""
        result = Outcome(outcome) if isinstance(outcome, str) else outcome

        def change(tx: Transaction, cycle: AppraisalCycle, objective: Objective) -> Objective:
            party = self._party(tx, objective.appraisee_id, "recording a review outcome")
            if party is not Party.APPRAISER:
                raise PermissionDenied(
                    f"recording a review outcome needs the appraisee's current appraiser; "
                    f"{self.actor.id} is the appraisee"
                )
            require_phase(cycle, [CyclePhase.FINAL_REVIEW], "recording a review outcome")
            late = cycle.check_window(CyclePhase.FINAL_REVIEW, tx.now.date()).late
            return review_objective(
                objective, result, by=self.actor.id, at=tx.now, note=note, late=late
            )

        return self._change_objective(objective_id, change, "objective.reviewed")

    def complete_milestone(
        self, objective_id: ObjectiveId, code: str, *, done_on: date | None = None
    ) -> Objective:
        """Record a milestone of an agreed objective as reached (default today)."""

        def change(tx: Transaction, cycle: AppraisalCycle, objective: Objective) -> Objective:
            self._party(tx, objective.appraisee_id, "recording a milestone")
            require_phase(cycle, _PROGRESS_PHASES, "recording a milestone")
            return milestone_done(
                objective, code, done_on=done_on or tx.now.date(), by=self.actor.id, at=tx.now
            )

        return self._change_objective(objective_id, change, "objective.milestone_done")

    def objective(self, objective_id: ObjectiveId) -> Objective:
        """One objective (the appraisee, their appraiser or a leader may read it)."""
        with self._transaction() as tx:
            objective = tx.repo(Objective).get(self.actor.trust_id, objective_id)
            self._require_reader(tx, objective.appraisee_id, objective.school_id)
        return objective

    def objectives(
        self, *, appraisee_id: StaffId | None = None, cycle_id: CycleId | None = None
    ) -> list[Objective]:
        """A person's objectives (default the actor's), optionally in one cycle."""
        appraisee_id = appraisee_id or self._own_staff_id("listing objectives")
        where: dict[str, object] = {"appraisee_id": appraisee_id}
        if cycle_id is not None:
            where["cycle_id"] = cycle_id
        with self._transaction() as tx:
            found = all_pages(tx.repo(Objective), self.actor.trust_id, where=where)
            for school in {o.school_id for o in found}:
                self._require_reader(tx, appraisee_id, school)
        return found

    # Progress ------------------------------------------------------------------------------
    def record_progress(
        self,
        objective_id: ObjectiveId,
        criterion: str,
        value: Decimal | int | str,
        *,
        measured_on: date | None = None,
        note: str = "",
    ) -> ProgressUpdate:
        """Record a measurement against a success criterion of an agreed objective.

        The first measurement moves an agreed objective to in progress.
        """
        amount = decimal_input(value, "value")
        with self._transaction() as tx:
            trust_id = self.actor.trust_id
            objectives = tx.repo(Objective)
            objective = objectives.get(trust_id, objective_id)
            cycle = tx.repo(AppraisalCycle).get(trust_id, objective.cycle_id)
            self._party(tx, objective.appraisee_id, "recording progress")
            require_phase(cycle, _PROGRESS_PHASES, "recording progress")
            if objective.status not in {ObjectiveStatus.AGREED, ObjectiveStatus.IN_PROGRESS}:
                raise ValidationError.single(
                    "objective_id",
                    f"progress is recorded on agreed objectives; {objective_id!r} is "
                    f"{objective.status.value}",
                )
            day = measured_on or tx.now.date()
            check_progress(objective, criterion, amount, day)
            if objective.status is ObjectiveStatus.AGREED:
                started = objectives.update(start_objective(objective, by=self.actor.id, at=tx.now))
                self._record(tx, started, "objective.started")
            update = tx.repo(ProgressUpdate).add(
                ProgressUpdate(
                    id=new_id(),
                    trust_id=trust_id,
                    school_id=objective.school_id,
                    cycle_id=objective.cycle_id,
                    objective_id=objective.id,
                    appraisee_id=objective.appraisee_id,
                    criterion=criterion,
                    measured_on=day,
                    value=amount,
                    note=note,
                    recorded_by=self.actor.id,
                    recorded_at=tx.now,
                )
            )
            tx.audit(
                "progress.recorded",
                "ProgressUpdate",
                update.id,
                school_id=objective.school_id,
                subject_id=objective.appraisee_id,
                payload={"objective": objective.id, "criterion": criterion},
            )
            tx.emit(
                "progress.recorded",
                update.id,
                school_id=objective.school_id,
                objective=objective.id,
                criterion=criterion,
            )
        return update

    def progress_updates(self, objective_id: ObjectiveId) -> list[ProgressUpdate]:
        """Every measurement recorded for an objective, oldest first."""
        with self._transaction() as tx:
            objective = tx.repo(Objective).get(self.actor.trust_id, objective_id)
            self._require_reader(tx, objective.appraisee_id, objective.school_id)
            found = all_pages(
                tx.repo(ProgressUpdate), self.actor.trust_id, where={"objective_id": objective_id}
            )
        return sorted(found, key=lambda u: (u.measured_on, u.recorded_at, u.id))

    # Review comments -----------------------------------------------------------------------
    def add_review_comment(
        self,
        cycle_id: CycleId,
        appraisee_id: StaffId,
        stage: ReviewStage | str,
        text: str,
        *,
        objective_id: ObjectiveId | None = None,
    ) -> ReviewComment:
        """Write the appraisee's or the appraiser's comment for a review meeting."""
        review_stage = ReviewStage(stage) if isinstance(stage, str) else stage
        with self._transaction() as tx:
            trust_id = self.actor.trust_id
            cycle = tx.repo(AppraisalCycle).get(trust_id, cycle_id)
            require_phase(cycle, _PROGRESS_PHASES, "writing a review comment")
            party = self._party(tx, appraisee_id, "writing a review comment")
            appraisee = tx.repo(StaffMember).get(trust_id, appraisee_id)
            school = _school_in_cycle(appraisee, cycle, None)
            if objective_id is not None:
                objective = tx.repo(Objective).get(trust_id, objective_id)
                if objective.appraisee_id != appraisee_id or objective.cycle_id != cycle_id:
                    raise ValidationError.single(
                        "objective_id",
                        f"objective {objective_id!r} is not {appraisee_id}'s in this cycle",
                    )
            comment = tx.repo(ReviewComment).add(
                ReviewComment(
                    id=new_id(),
                    trust_id=trust_id,
                    school_id=school,
                    cycle_id=cycle_id,
                    appraisee_id=appraisee_id,
                    stage=review_stage,
                    party=party,
                    author_id=self.actor.id,
                    text=text,
                    written_at=tx.now,
                    objective_id=objective_id,
                )
            )
            tx.audit(
                "review.commented",
                "ReviewComment",
                comment.id,
                school_id=school,
                subject_id=appraisee_id,
                payload={"stage": review_stage.value, "party": party.value},
            )
            tx.emit("review.commented", comment.id, school_id=school, stage=review_stage.value)
        return comment

    # Shared steps --------------------------------------------------------------------------
    def _own_staff_id(self, doing: str) -> StaffId:
        if self.actor.staff_id is None:
            raise PermissionDenied(f"{doing} needs a staff member as actor; pass appraisee_id")
        return self.actor.staff_id

    def _party(self, tx: Transaction, appraisee_id: StaffId, doing: str) -> Party:
        """The actor's side for ``appraisee_id``: the appraisee or their current appraiser."""
        me = self.actor.staff_id
        if me is not None and me == appraisee_id:
            return Party.APPRAISEE
        if me is not None and appraiser_of(tx, appraisee_id, tx.now.date()) == me:
            return Party.APPRAISER
        raise PermissionDenied(
            f"{doing} needs the appraisee {appraisee_id} or their current appraiser; "
            f"{self.actor.id} is neither"
        )

    def _require_reader(self, tx: Transaction, appraisee_id: StaffId, school: SchoolId) -> None:
        me = self.actor.staff_id
        if me is not None and (
            me == appraisee_id or appraiser_of(tx, appraisee_id, tx.now.date()) == me
        ):
            return
        self._require(_SCHOOL_LEADERS, school, "reading another person's appraisal")

    def _change_objective(self, objective_id: ObjectiveId, change: Any, event: str) -> Objective:
        with self._transaction() as tx:
            repo = tx.repo(Objective)
            objective = repo.get(self.actor.trust_id, objective_id)
            cycle = tx.repo(AppraisalCycle).get(self.actor.trust_id, objective.cycle_id)
            changed: Objective = change(tx, cycle, objective)
            if changed == objective:
                return objective
            stored = repo.update(changed)
            name = event
            if event == "objective.agreed" and stored.status is not ObjectiveStatus.AGREED:
                name = "objective.agreement_recorded"
            self._record(tx, stored, name)
        return stored

    def _record(self, tx: Transaction, objective: Objective, event: str) -> None:
        last = objective.history[-1]
        tx.audit(
            event,
            "Objective",
            objective.id,
            school_id=objective.school_id,
            subject_id=objective.appraisee_id,
            payload={
                "status": objective.status.value,
                "late": last.late,
                "changed": list(last.changed),
            },
        )
        tx.emit(
            event,
            objective.id,
            school_id=objective.school_id,
            cycle=objective.cycle_id,
            appraisee=objective.appraisee_id,
            status=objective.status.value,
            late=str(last.late).lower(),
        )


def _new_assignment(
    tx: Transaction,
    appraisee: StaffMember,
    *,
    appraisee_id: StaffId,
    appraiser_id: StaffId,
    academic_year: str,
    starts_on: date | None,
) -> AppraiserAssignment:
    """A new assignment, filed under the appraisee's first school (none if they have none)."""
    return AppraiserAssignment(
        id=new_id(),
        trust_id=tx.actor.trust_id,
        appraisee_id=appraisee_id,
        appraiser_id=appraiser_id,
        academic_year=academic_year,
        starts_on=starts_on,
        school_id=appraisee.schools[0] if appraisee.schools else None,
    )


def _open_assignments(
    tx: Transaction, appraisee_id: StaffId, academic_year: str
) -> list[AppraiserAssignment]:
    return [
        a
        for a in all_pages(
            tx.repo(AppraiserAssignment),
            tx.actor.trust_id,
            where={"appraisee_id": appraisee_id, "academic_year": academic_year},
        )
        if a.ends_on is None
    ]


def _objectives_of(tx: Transaction, cycle_id: CycleId, appraisee_id: StaffId) -> list[Objective]:
    return all_pages(
        tx.repo(Objective),
        tx.actor.trust_id,
        where={"cycle_id": cycle_id, "appraisee_id": appraisee_id},
    )


def _sip_for(
    tx: Transaction, school_id: SchoolId | None, academic_year: str
) -> dict[str, SipPriority]:
    priorities = all_pages(
        tx.repo(SipPriority), tx.actor.trust_id, where={"academic_year": academic_year}
    )
    return available_priorities(priorities, school_id, academic_year)


def _school_in_cycle(
    appraisee: StaffMember, cycle: AppraisalCycle, school_id: SchoolId | None
) -> SchoolId:
    """The school an appraisee's objective belongs to: given, or their first in the cycle."""
    candidates = [s for s in appraisee.schools if cycle.applies_to(s)]
    if school_id is not None:
        if school_id not in candidates:
            raise ValidationError.single(
                "school_id",
                f"{appraisee.id} has no role at school {school_id} covered by cycle "
                f"{cycle.id!r}; accepted: {', '.join(candidates) or 'none'}",
            )
        return school_id
    if not candidates:
        raise ValidationError.single(
            "appraisee_id",
            f"{appraisee.id} works at no school covered by cycle {cycle.id!r}",
        )
    return candidates[0]


def _raise_terms_problems(
    tx: Transaction, terms: ObjectiveTerms, cycle: AppraisalCycle, school: SchoolId
) -> None:
    codes = _sip_for(tx, school, cycle.academic_year)
    problems: list[Problem] = terms_problems(terms, cycle, sip_codes=codes)
    if problems:
        raise ValidationError(problems)
