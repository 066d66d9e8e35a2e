"""RAG use cases: reports for a person, department, school or trust; overrides; history.

Statuses are computed, never stored: the same records give the same status for any
``as_of``, so a report for last Friday can be produced today. What is stored is what
people decide: a school's :class:`~cpdcore.domain.rag.RagPolicy`
(:class:`RagPolicySetting`) and appraisers' overrides
(:class:`~cpdcore.domain.rag.RagOverride`), each audited.

Who may do what:

* a person sees their own statuses; their current appraiser and their school's leaders
  see theirs; a school leader sees a department or the school; a trust leader the trust;
* only the appraisee's own appraiser or a school leader of the objective's school may
  override a status, never for their own objective; an override needs a reason and
  expires at most ``max_override_days`` (90) days after it is set;
* school leaders set their school's policy, trust leaders the trust default.

Status changes reach hosts as events (``rag.turned_red`` …) through
:meth:`RagUseCases.track_rag`, which a host runs daily (or for any past range).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any

import attrs

from cpdcore.domain.consent import ConsentRecord
from cpdcore.domain.cycles import AppraisalCycle
from cpdcore.domain.evidence import Evidence, released_for_appraisal
from cpdcore.domain.identifiers import (
    CycleId,
    DepartmentId,
    ObjectiveId,
    SchoolId,
    StaffId,
)
from cpdcore.domain.objectives import Objective, ObjectiveStatus
from cpdcore.domain.organisation import Department, Role, StaffMember
from cpdcore.domain.progress import ProgressUpdate
from cpdcore.domain.rag import (
    DEFAULT_POLICY,
    EffectiveRag,
    RagAssessor,
    RagColour,
    RagOverride,
    RagPolicy,
    RagPolicySetting,
    RagRule,
    RagStatus,
    SchoolDays,
    TimelineSpan,
    active_override,
    check_override,
    event_name,
    timeline,
    transitions,
)
from cpdcore.errors import PermissionDenied, ValidationError
from cpdcore.serialization import from_dict
from cpdcore.services.calendars import stored_calendar
from cpdcore.services.context import Transaction, UseCases, all_pages, appraiser_of, new_id

__all__ = ["RagPolicySetting", "RagReport", "RagRow", "RagUseCases", "default_calendar"]

_LEADERS = frozenset({Role.SCHOOL_LEADER, Role.TRUST_LEADER})
_TRACKERS = frozenset({Role.SCHOOL_LEADER, Role.TRUST_LEADER, Role.ADMINISTRATOR})
_TRUST_POLICY_ID = "trust"
_TRACK_DAYS_LIMIT = 400


@cache
def default_calendar() -> SchoolDays:
    """The calendar used when a use case is given none: the shipped England default.

    It covers the academic years it ships data for; pass ``calendar=`` (any object with
    ``school_days_between``) for a school's own dates.
    """
    from cpdcore.calendars import england_default

    return england_default()


@attrs.frozen
class RagRow:
    """One objective in a RAG report: computed status, override beside it, and the colour
    to show."""

    objective_id: ObjectiveId
    title: str
    appraisee_id: StaffId
    appraisee_name: str
    school_id: SchoolId
    departments: tuple[DepartmentId, ...]
    status: RagStatus
    override: RagOverride | None = None

    @property
    def computed(self) -> RagColour:
        """The colour the rules computed."""
        return self.status.colour

    @property
    def colour(self) -> RagColour:
        """The colour to show: the override's while one is in force."""
        return EffectiveRag(self.status, self.override).colour


@attrs.frozen
class RagReport:
    """Statuses of every objective in a scope (a person, department, school or trust)."""

    as_of: date
    scope: str
    rows: tuple[RagRow, ...]

    def counts(self) -> dict[RagColour, int]:
        """How many objectives show each colour (every colour listed, zeros included)."""
        counted = dict.fromkeys(RagColour, 0)
        for row in self.rows:
            counted[row.colour] += 1
        return counted


def _policy_id(school_id: SchoolId | None) -> str:
    return _TRUST_POLICY_ID if school_id is None else f"school:{school_id}"


def policy_input(policy: RagPolicy | Mapping[str, Any]) -> RagPolicy:
    """A policy from an object or from untrusted JSON-like data (every problem with its path)."""
    if isinstance(policy, RagPolicy):
        return policy
    return from_dict(RagPolicy, policy)


class RagUseCases(UseCases):
    """RAG reports, overrides, policies, timelines and status-change events."""

    # Policy --------------------------------------------------------------------------------
    def set_rag_policy(
        self, policy: RagPolicy | Mapping[str, Any], *, school_id: SchoolId | None = None
    ) -> RagPolicySetting:
        """Set a school's RAG policy, or the trust default when ``school_id`` is None.

        ``policy`` may be JSON-like data (e.g. a settings file); every invalid field is
        reported with its path.
        """
        if school_id is None:
            self._require(frozenset({Role.TRUST_LEADER}), None, "setting the trust RAG policy")
        else:
            self._require(_LEADERS, school_id, "setting a school's RAG policy")
        parsed = policy_input(policy)
        with self._transaction() as tx:
            repo = tx.repo(RagPolicySetting)
            setting = RagPolicySetting(
                id=_policy_id(school_id),
                trust_id=self.actor.trust_id,
                policy=parsed,
                set_by=self.actor.id,
                set_at=tx.now,
                school_id=school_id,
            )
            existing = repo.find(self.actor.trust_id, setting.id)
            if existing is None:
                stored = repo.add(setting)
            else:
                stored = repo.update(attrs.evolve(setting, version=existing.version))
            tx.audit(
                "rag.policy_set",
                "RagPolicySetting",
                stored.id,
                school_id=school_id,
                payload={"scope": school_id or "trust"},
            )
        return stored

    def rag_policy(self, school_id: SchoolId | None = None) -> RagPolicy:
        """The policy a school uses: its own, else the trust default, else cpdcore's."""
        with self._transaction() as tx:
            return _policy_for(tx, school_id)

    # Status and reports --------------------------------------------------------------------
    def rag_status(
        self,
        objective_id: ObjectiveId,
        *,
        as_of: date | None = None,
        calendar: SchoolDays | None = None,
    ) -> RagRow:
        """One objective's status on ``as_of`` (default today), with any override."""
        day = as_of or self._now().date()
        with self._transaction() as tx:
            objective = tx.repo(Objective).get(self.actor.trust_id, objective_id)
            self._require_person_reader(tx, objective.appraisee_id, (objective.school_id,))
            rows = self._rows(tx, [objective], day, calendar)
        return rows[0]

    def rag_report(
        self,
        *,
        as_of: date | None = None,
        appraisee_id: StaffId | None = None,
        department_id: DepartmentId | None = None,
        school_id: SchoolId | None = None,
        calendar: SchoolDays | None = None,
    ) -> RagReport:
        """Statuses of every current objective of a person, a department, a school or
        (with no scope given) the whole trust, on ``as_of`` (default today).

        Identifiable: each row names a person, so only the person, their appraiser and
        leaders may ask (trust leaders for the trust). Withdrawn objectives are left out.
        """
        day = as_of or self._now().date()
        trust_id = self.actor.trust_id
        if sum(x is not None for x in (appraisee_id, department_id, school_id)) > 1:
            raise ValidationError.single(
                "scope", "give one of appraisee_id, department_id or school_id (or none: the trust)"
            )
        with self._transaction() as tx:
            staff = {s.id: s for s in all_pages(tx.repo(StaffMember), trust_id)}
            where: dict[str, object] = {}
            scope_school: SchoolId | None = None
            if appraisee_id is not None:
                person = tx.repo(StaffMember).get(trust_id, appraisee_id)
                self._require_person_reader(tx, appraisee_id, person.schools)
                where["appraisee_id"] = appraisee_id
                scope = f"person {appraisee_id}"
            elif department_id is not None:
                department = tx.repo(Department).get(trust_id, department_id)
                self._require(_LEADERS, department.school_id, "a department's RAG report")
                scope_school = department.school_id
                scope = f"department {department_id}"
            elif school_id is not None:
                self._require(_LEADERS, school_id, "a school's RAG report")
                scope_school = school_id
                scope = f"school {school_id}"
            else:
                self._require(frozenset({Role.TRUST_LEADER}), None, "the trust's RAG report")
                scope = "trust"
            objectives = [
                o
                for o in all_pages(
                    tx.repo(Objective), trust_id, school_id=scope_school, where=where
                )
                if o.status is not ObjectiveStatus.WITHDRAWN
                and (
                    department_id is None
                    or department_id in getattr(staff.get(o.appraisee_id), "departments", ())
                )
            ]
            rows = self._rows(tx, objectives, day, calendar, staff=staff, school_id=scope_school)
        return RagReport(as_of=day, scope=scope, rows=rows)

    # Overrides -----------------------------------------------------------------------------
    def set_rag_override(
        self,
        objective_id: ObjectiveId,
        colour: RagColour | str,
        reason: str,
        expires_on: date,
    ) -> RagOverride:
        """Override an objective's status from today until ``expires_on`` (inclusive).

        The computed status is still shown beside it. An override already in force is
        ended today and replaced; both changes are audited.
        """
        wanted = _colour(colour)
        with self._transaction() as tx:
            trust_id = self.actor.trust_id
            objective = tx.repo(Objective).get(trust_id, objective_id)
            today = tx.now.date()
            self._require_overrider(tx, objective, today)
            policy = _policy_for(tx, objective.school_id)
            check_override(wanted, reason, today, expires_on, policy)
            repo = tx.repo(RagOverride)
            previous = active_override(_overrides_of(tx, objective_id), today)
            override = repo.add(
                RagOverride(
                    id=new_id(),
                    trust_id=trust_id,
                    school_id=objective.school_id,
                    objective_id=objective.id,
                    appraisee_id=objective.appraisee_id,
                    colour=wanted,
                    reason=reason.strip(),
                    starts_on=today,
                    expires_on=expires_on,
                    set_by=self.actor.id,
                    set_at=tx.now,
                )
            )
            if previous is not None:
                repo.update(
                    attrs.evolve(
                        previous,
                        ended_on=today,
                        ended_by=self.actor.id,
                        end_reason=f"replaced by override {override.id}",
                    )
                )
            action = "rag.override_changed" if previous is not None else "rag.override_set"
            tx.audit(
                action,
                "RagOverride",
                override.id,
                school_id=objective.school_id,
                subject_id=objective.appraisee_id,
                payload={
                    "objective": objective.id,
                    "colour": wanted.value,
                    "expires_on": expires_on.isoformat(),
                    "replaces": previous.id if previous is not None else None,
                },
            )
            tx.emit(
                action,
                override.id,
                school_id=objective.school_id,
                objective=objective.id,
                colour=wanted.value,
                expires_on=expires_on.isoformat(),
            )
        return override

    def end_rag_override(self, objective_id: ObjectiveId, reason: str) -> RagOverride:
        """End the override in force today; the computed status is shown again from today."""
        if not reason.strip():
            raise ValidationError.single("reason", "ending an override needs a reason")
        with self._transaction() as tx:
            objective = tx.repo(Objective).get(self.actor.trust_id, objective_id)
            today = tx.now.date()
            self._require_overrider(tx, objective, today)
            current = active_override(_overrides_of(tx, objective_id), today)
            if current is None:
                raise ValidationError.single(
                    "objective_id",
                    f"objective {objective_id!r} has no override in force on {today}",
                )
            ended = tx.repo(RagOverride).update(
                attrs.evolve(
                    current, ended_on=today, ended_by=self.actor.id, end_reason=reason.strip()
                )
            )
            tx.audit(
                "rag.override_ended",
                "RagOverride",
                ended.id,
                school_id=objective.school_id,
                subject_id=objective.appraisee_id,
                payload={"objective": objective.id},
            )
            tx.emit("rag.override_ended", ended.id, school_id=objective.school_id)
        return ended

    def rag_overrides(self, objective_id: ObjectiveId) -> list[RagOverride]:
        """Every override an objective has had, oldest first."""
        with self._transaction() as tx:
            objective = tx.repo(Objective).get(self.actor.trust_id, objective_id)
            self._require_person_reader(tx, objective.appraisee_id, (objective.school_id,))
            return sorted(_overrides_of(tx, objective_id), key=lambda o: (o.set_at, o.id))

    # History -------------------------------------------------------------------------------
    def rag_timeline(
        self,
        objective_id: ObjectiveId,
        *,
        start: date | None = None,
        end: date | None = None,
        calendar: SchoolDays | None = None,
    ) -> tuple[TimelineSpan, ...]:
        """The objective's status day by day (default: from its start to today or its due
        date), recomputed from the records, overrides included."""
        with self._transaction() as tx:
            trust_id = self.actor.trust_id
            objective = tx.repo(Objective).get(trust_id, objective_id)
            self._require_person_reader(tx, objective.appraisee_id, (objective.school_id,))
            first = start or objective.terms.starts_on
            last = end or min(tx.now.date(), objective.terms.due_on + timedelta(days=30))
            inputs = _inputs(tx, [objective])
            return timeline(
                objective,
                inputs.progress[objective.id],
                inputs.evidence[objective.appraisee_id],
                inputs.cycles[objective.cycle_id],
                calendar or stored_calendar(tx, objective.school_id),
                _policy_for(tx, objective.school_id),
                first,
                max(first, last),
                rules=self._rag_rules(),
                overrides=inputs.overrides[objective.id],
                released=_released(tx, inputs, objective.appraisee_id),
            )

    def track_rag(
        self,
        *,
        as_of: date | None = None,
        since: date | None = None,
        school_id: SchoolId | None = None,
        calendar: SchoolDays | None = None,
    ) -> list[tuple[ObjectiveId, date, RagColour, RagColour]]:
        """Send an event for every status change in ``since`` (exclusive) to ``as_of``.

        Run it daily (``since`` defaults to the day before ``as_of``, itself today) or for
        any past range: changes are recomputed, so the same range gives the same events.
        Each change is an event named after its new colour (``rag.turned_red`` …). Overrides
        that have expired by ``as_of`` are recorded once each, as an audit entry and an
        ``rag.override_expired`` event. Returns ``(objective, day, before, after)`` per change.
        """
        if school_id is None:
            self._require(_TRACKERS, None, "tracking RAG changes across the trust")
        else:
            self._require(_TRACKERS, school_id, "tracking a school's RAG changes")
        day = as_of or self._now().date()
        first = since if since is not None else day - timedelta(days=1)
        if first >= day:
            raise ValidationError.single("since", f"{first} must be before as_of {day}")
        if (day - first).days > _TRACK_DAYS_LIMIT:
            raise ValidationError.single(
                "since", f"track at most {_TRACK_DAYS_LIMIT} days at a time; {first}..{day} is more"
            )
        changes: list[tuple[ObjectiveId, date, RagColour, RagColour]] = []
        with self._transaction() as tx:
            trust_id = self.actor.trust_id
            objectives = [
                o
                for o in all_pages(tx.repo(Objective), trust_id, school_id=school_id)
                if o.status is not ObjectiveStatus.WITHDRAWN
            ]
            inputs = _inputs(tx, objectives)
            rules = self._rag_rules()
            calendars = _Calendars(tx, calendar)
            for objective in objectives:
                spans = timeline(
                    objective,
                    inputs.progress[objective.id],
                    inputs.evidence[objective.appraisee_id],
                    inputs.cycles[objective.cycle_id],
                    calendars.of(objective.school_id),
                    _policy_for(tx, objective.school_id),
                    first,
                    day,
                    rules=rules,
                    overrides=inputs.overrides[objective.id],
                    released=_released(tx, inputs, objective.appraisee_id),
                )
                for change in transitions(spans):
                    changes.append((objective.id, change.on, change.before, change.after))
                    tx.emit(
                        event_name(change.after),
                        objective.id,
                        school_id=objective.school_id,
                        appraisee=objective.appraisee_id,
                        on=change.on.isoformat(),
                        before=change.before.value,
                        after=change.after.value,
                        decided_by=",".join(change.decided_by),
                        overridden=str(change.override_id is not None).lower(),
                    )
                for override in inputs.overrides[objective.id]:
                    if override.expired_by(day) and not override.expiry_recorded:
                        _record_expiry(tx, override)
        return changes

    # Shared steps --------------------------------------------------------------------------
    def _rag_rules(self) -> tuple[RagRule, ...]:
        """Plugin rules from every ``cpdcore_rag_rules`` implementation, flattened."""
        found: list[Sequence[RagRule]] = self._adapters.plugin_manager.hook.cpdcore_rag_rules()
        return tuple(rule for rules in found for rule in rules)

    def _rows(
        self,
        tx: Transaction,
        objectives: Sequence[Objective],
        day: date,
        calendar: SchoolDays | None,
        *,
        staff: Mapping[StaffId, StaffMember] | None = None,
        school_id: SchoolId | None = None,
    ) -> tuple[RagRow, ...]:
        inputs = _inputs(tx, objectives, school_id=school_id)
        rules = self._rag_rules()
        assessors: dict[SchoolId, RagAssessor] = {}
        people = staff if staff is not None else {}
        rows = []
        for objective in sorted(objectives, key=lambda o: (o.school_id, o.appraisee_id, o.id)):
            school = objective.school_id
            if school not in assessors:
                # One batch assessor per school policy: same statuses as assess(), faster.
                assessors[school] = RagAssessor(
                    calendar or stored_calendar(tx, school),
                    _policy_for(tx, school),
                    day,
                    rules=rules,
                )
            status = assessors[school].assess(
                objective,
                inputs.progress[objective.id],
                inputs.evidence[objective.appraisee_id],
                inputs.cycles[objective.cycle_id],
                released=_released(tx, inputs, objective.appraisee_id),
            )
            person = people.get(objective.appraisee_id) or tx.repo(StaffMember).find(
                self.actor.trust_id, objective.appraisee_id
            )
            rows.append(
                RagRow(
                    objective_id=objective.id,
                    title=objective.terms.title,
                    appraisee_id=objective.appraisee_id,
                    appraisee_name=person.display_name if person else objective.appraisee_id,
                    school_id=school,
                    departments=person.departments if person else (),
                    status=status,
                    override=active_override(inputs.overrides[objective.id], day),
                )
            )
        return tuple(rows)

    def _require_person_reader(
        self, tx: Transaction, appraisee_id: StaffId, schools: Iterable[SchoolId]
    ) -> None:
        me = self.actor.staff_id
        today = tx.now.date()
        if me is not None and (me == appraisee_id or appraiser_of(tx, appraisee_id, today) == me):
            return
        schools = tuple(schools)
        if any(self.actor.has_any_role(_LEADERS, s) for s in schools):
            return
        self._require(_LEADERS, schools[0] if schools else None, "reading a person's RAG status")

    def _require_overrider(self, tx: Transaction, objective: Objective, today: date) -> None:
        me = self.actor.staff_id
        if me is not None and me == objective.appraisee_id:
            raise PermissionDenied(
                f"{me} cannot override the RAG status of their own objective {objective.id!r}; "
                "their appraiser or a school leader can"
            )
        if me is not None and appraiser_of(tx, objective.appraisee_id, today) == me:
            return
        if self.actor.has_role(Role.SCHOOL_LEADER, objective.school_id):
            return
        raise PermissionDenied(
            f"overriding a RAG status needs the appraisee's own appraiser or a school leader "
            f"of school {objective.school_id}; {self.actor.id} is neither"
        )


@attrs.frozen
class _Inputs:
    progress: Mapping[ObjectiveId, list[ProgressUpdate]]
    evidence: Mapping[StaffId, list[Evidence]]
    cycles: Mapping[CycleId, AppraisalCycle]
    overrides: Mapping[ObjectiveId, list[RagOverride]]
    consents: Mapping[StaffId, tuple[ConsentRecord, ...]]


def _released(
    tx: Transaction, inputs: _Inputs, appraisee_id: StaffId
) -> Callable[[Evidence], bool]:
    """Which of ``appraisee_id``'s evidence counts as RAG input: the single place the
    application decides it. Formal appraisal evidence counts; a developmental item counts
    only while its owner's item consent for APPRAISAL_EVIDENCE is in force (the firewall of
    :func:`~cpdcore.domain.evidence.released_for_appraisal`)."""
    consents = inputs.consents.get(appraisee_id, ())
    now = tx.now
    return lambda item: released_for_appraisal(item, consents, now)


def _inputs(
    tx: Transaction, objectives: Sequence[Objective], *, school_id: SchoolId | None = None
) -> _Inputs:
    """Everything the objectives' statuses read, loaded with one query per kind."""
    trust_id = tx.actor.trust_id
    progress: dict[ObjectiveId, list[ProgressUpdate]] = defaultdict(list)
    evidence: dict[StaffId, list[Evidence]] = defaultdict(list)
    overrides: dict[ObjectiveId, list[RagOverride]] = defaultdict(list)
    wanted = {o.id for o in objectives}
    people = {o.appraisee_id for o in objectives}
    few = len(people) <= 1
    one = {"appraisee_id": next(iter(people))} if few and people else None
    for update in all_pages(tx.repo(ProgressUpdate), trust_id, school_id=school_id, where=one):
        if update.objective_id in wanted:
            progress[update.objective_id].append(update)
    owner = {"owner_id": next(iter(people))} if few and people else None
    for item in all_pages(tx.repo(Evidence), trust_id, where=owner):
        if item.owner_id in people:
            evidence[item.owner_id].append(item)
    for override in all_pages(tx.repo(RagOverride), trust_id, school_id=school_id, where=one):
        if override.objective_id in wanted:
            overrides[override.objective_id].append(override)
    consents: dict[StaffId, list[ConsentRecord]] = defaultdict(list)
    subject = {"subject_id": next(iter(people))} if few and people else None
    for consent in all_pages(tx.repo(ConsentRecord), trust_id, where=subject):
        if consent.subject_id in people:
            consents[StaffId(consent.subject_id)].append(consent)
    cycle_repo = tx.repo(AppraisalCycle)
    cycles = {cid: cycle_repo.get(trust_id, cid) for cid in {o.cycle_id for o in objectives}}
    return _Inputs(
        progress, evidence, cycles, overrides, {k: tuple(v) for k, v in consents.items()}
    )


class _Calendars:
    """The calendar each school works to, read from storage once per school per call."""

    def __init__(self, tx: Transaction, given: SchoolDays | None) -> None:
        self._tx = tx
        self._given = given
        self._seen: dict[SchoolId, SchoolDays] = {}

    def of(self, school_id: SchoolId) -> SchoolDays:
        """The caller's calendar if one was passed, else the school's stored calendar."""
        if self._given is not None:
            return self._given
        if school_id not in self._seen:
            self._seen[school_id] = stored_calendar(self._tx, school_id)
        return self._seen[school_id]


def _policy_for(tx: Transaction, school_id: SchoolId | None) -> RagPolicy:
    repo = tx.repo(RagPolicySetting)
    trust_id = tx.actor.trust_id
    for key in ([_policy_id(school_id)] if school_id is not None else []) + [_TRUST_POLICY_ID]:
        found = repo.find(trust_id, key)
        if found is not None:
            return found.policy
    return DEFAULT_POLICY


def _overrides_of(tx: Transaction, objective_id: ObjectiveId) -> list[RagOverride]:
    return all_pages(tx.repo(RagOverride), tx.actor.trust_id, where={"objective_id": objective_id})


def _record_expiry(tx: Transaction, override: RagOverride) -> None:
    tx.repo(RagOverride).update(attrs.evolve(override, expiry_recorded=True))
    tx.audit(
        "rag.override_expired",
        "RagOverride",
        override.id,
        school_id=override.school_id,
        subject_id=override.appraisee_id,
        payload={"objective": override.objective_id, "expired_on": override.expires_on.isoformat()},
    )
    tx.emit(
        "rag.override_expired",
        override.id,
        school_id=override.school_id,
        objective=override.objective_id,
    )


def _colour(value: RagColour | str) -> RagColour:
    if isinstance(value, RagColour):
        return value
    try:
        return RagColour(value.lower())
    except ValueError:
        accepted = ", ".join(c.value for c in RagColour if c is not RagColour.NOT_STARTED)
        raise ValidationError.single(
            "colour", f"{value!r} is not a colour; accepted: {accepted}"
        ) from None
