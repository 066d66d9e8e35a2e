"""Use cases for the CPD record: log activities and report hours per person and school.

Staff log their own activities; a school leader may log for staff of their school (an
INSET day for everyone, say). Hours are decimals, more than 0 and at most 24 a day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from cpdcore.domain.cpd_activities import (
    CpdActivity,
    CpdKind,
    CpdTotal,
    hours_by_person,
    hours_by_school,
)
from cpdcore.domain.evidence import Evidence, EvidenceKind
from cpdcore.domain.identifiers import EvidenceId, ObjectiveId, SchoolId, StaffId
from cpdcore.domain.objectives import Objective
from cpdcore.domain.organisation import Role, StaffMember
from cpdcore.errors import PermissionDenied, Problem, ValidationError
from cpdcore.services.appraisal import decimal_input
from cpdcore.services.context import UseCases, all_pages, new_id

__all__ = ["CpdRecordUseCases"]

_LEADERS = frozenset({Role.SCHOOL_LEADER, Role.TRUST_LEADER})
_CERTIFICATE_KINDS = frozenset({EvidenceKind.CERTIFICATE, EvidenceKind.DOCUMENT})


class CpdRecordUseCases(UseCases):
    """Keep each person's record of professional learning and its hours."""

    def log_cpd(
        self,
        kind: CpdKind | str,
        title: str,
        started_on: date,
        hours: Decimal | int | str,
        *,
        staff_id: StaffId | None = None,
        provider: str = "",
        ended_on: date | None = None,
        certificate_evidence_id: EvidenceId | None = None,
        reflection: str = "",
        objective_ids: Iterable[ObjectiveId] = (),
        school_id: SchoolId | None = None,
    ) -> CpdActivity:
        """Record one activity for ``staff_id`` (default the actor)."""
        cpd_kind = CpdKind(kind) if isinstance(kind, str) else kind
        amount = decimal_input(hours, "hours")
        staff_id = staff_id or self.actor.staff_id
        if staff_id is None:
            raise PermissionDenied("logging CPD needs a staff member as actor, or pass staff_id")
        linked = tuple(objective_ids)
        with self._transaction() as tx:
            trust_id = self.actor.trust_id
            person = tx.repo(StaffMember).get(trust_id, staff_id)
            school = school_id or (person.schools[0] if person.schools else None)
            if school is None or school not in person.schools:
                accepted = ", ".join(person.schools) or "none"
                raise ValidationError.single(
                    "school_id", f"{staff_id} works at no school {school}; accepted: {accepted}"
                )
            if staff_id != self.actor.staff_id:
                self._require(_LEADERS, school, "logging CPD for someone else")
            problems: list[Problem] = []
            if certificate_evidence_id is not None:
                certificate = tx.repo(Evidence).find(trust_id, certificate_evidence_id)
                if (
                    certificate is None
                    or certificate.owner_id != staff_id
                    or certificate.kind not in _CERTIFICATE_KINDS
                ):
                    problems.append(
                        Problem(
                            "certificate_evidence_id",
                            f"{certificate_evidence_id!r} is not a certificate or document "
                            f"of {staff_id}'s evidence",
                        )
                    )
            for index, objective_id in enumerate(linked):
                objective = tx.repo(Objective).find(trust_id, objective_id)
                if objective is None or objective.appraisee_id != staff_id:
                    problems.append(
                        Problem(
                            f"objective_ids[{index}]",
                            f"{objective_id!r} is not one of {staff_id}'s objectives",
                        )
                    )
            if problems:
                raise ValidationError(problems)
            activity = tx.repo(CpdActivity).add(
                CpdActivity(
                    id=new_id(),
                    trust_id=trust_id,
                    school_id=school,
                    staff_id=staff_id,
                    kind=cpd_kind,
                    title=title,
                    started_on=started_on,
                    ended_on=ended_on,
                    hours=amount,
                    provider=provider,
                    certificate_evidence_id=certificate_evidence_id,
                    reflection=reflection,
                    objective_ids=linked,
                )
            )
            tx.audit(
                "cpd.logged",
                "CpdActivity",
                activity.id,
                school_id=school,
                subject_id=staff_id,
                payload={"kind": cpd_kind.value, "hours": str(amount)},
            )
            tx.emit("cpd.logged", activity.id, school_id=school, hours=str(amount))
        return activity

    def cpd_activities(
        self, *, staff_id: StaffId | None = None, academic_year: str | None = None
    ) -> list[CpdActivity]:
        """A person's activities (default the actor's), optionally of one year, by date."""
        staff_id = staff_id or self.actor.staff_id
        if staff_id is None:
            raise PermissionDenied("listing CPD needs a staff member as actor, or pass staff_id")
        with self._transaction() as tx:
            found = all_pages(
                tx.repo(CpdActivity), self.actor.trust_id, where={"staff_id": staff_id}
            )
            if staff_id != self.actor.staff_id:
                person = tx.repo(StaffMember).get(self.actor.trust_id, staff_id)
                if not any(self.actor.has_any_role(_LEADERS, s) for s in person.schools):
                    self._require(_LEADERS, None, "reading someone else's CPD record")
        kept = [a for a in found if academic_year is None or a.academic_year == academic_year]
        return sorted(kept, key=lambda a: (a.started_on, a.id))

    def cpd_hours(self, academic_year: str, *, staff_id: StaffId | None = None) -> CpdTotal:
        """One person's total hours in a year (zero when nothing was logged)."""
        activities = self.cpd_activities(staff_id=staff_id, academic_year=academic_year)
        person = staff_id or self.actor.staff_id
        totals = hours_by_person(activities, academic_year)
        return totals.get(
            StaffId(person or ""),
            CpdTotal(academic_year=academic_year, hours=Decimal(0), activities=0),
        )

    def school_cpd_hours(
        self, school_id: SchoolId, academic_year: str
    ) -> tuple[CpdTotal, dict[StaffId, CpdTotal]]:
        """A school's total for a year and each person's total there (leaders only)."""
        self._require(_LEADERS, school_id, "reading a school's CPD totals")
        with self._transaction() as tx:
            found = all_pages(tx.repo(CpdActivity), self.actor.trust_id, school_id=school_id)
        school_total = hours_by_school(found, academic_year).get(
            school_id, CpdTotal(academic_year=academic_year, hours=Decimal(0), activities=0)
        )
        return school_total, hours_by_person(found, academic_year)
