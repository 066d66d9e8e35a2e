"""Use cases for evidence of practice: log, link and unlink, release for appraisal, read.

An item belongs to its owner (whose practice it shows). The owner logs any kind; a
colleague at one of the owner's schools may log an observation note or peer feedback
about them, recorded as its author. Only the owner links, unlinks and releases items for
appraisal; the owner's current appraiser may mark a *formal* observation note they write
as appraisal evidence. Other readers see released items only, decided by the consent
policy (:func:`cpdcore.services.consent.appraisal_evidence_filter`); releasing a
developmental item records the owner's ``APPRAISAL_EVIDENCE`` consent for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from cpdcore.domain.evidence import (
    WRITTEN_BY_OTHERS,
    Evidence,
    EvidenceKind,
    EvidencePurpose,
    link,
    set_released,
    unlink,
)
from cpdcore.domain.identifiers import EvidenceId, MediaId, ObjectiveId, SchoolId, StaffId
from cpdcore.domain.objectives import Objective
from cpdcore.domain.organisation import StaffMember
from cpdcore.domain.standards import TeachersStandard, parse_standard, parse_standards
from cpdcore.errors import PermissionDenied, Problem, ValidationError
from cpdcore.services.consent import appraisal_evidence_filter, record_release
from cpdcore.services.context import Transaction, UseCases, all_pages, appraiser_of, new_id

__all__ = ["EvidenceUseCases"]


class EvidenceUseCases(UseCases):
    """Log evidence, link it to objectives and standards, release it for appraisal."""

    def log_evidence(
        self,
        kind: EvidenceKind | str,
        title: str,
        *,
        owner_id: StaffId | None = None,
        captured_on: date | None = None,
        text: str = "",
        media_id: MediaId | None = None,
        url: str | None = None,
        class_label: str | None = None,
        purpose: EvidencePurpose | str = EvidencePurpose.DEVELOPMENTAL,
        objective_ids: Iterable[ObjectiveId] = (),
        standards: Iterable[TeachersStandard | str] = (),
        appraisal_evidence: bool = False,
        school_id: SchoolId | None = None,
    ) -> Evidence:
        """Record an item of evidence about ``owner_id`` (default: the actor)."""
        evidence_kind = EvidenceKind(kind) if isinstance(kind, str) else kind
        evidence_purpose = EvidencePurpose(purpose) if isinstance(purpose, str) else purpose
        me = self._evidence_actor("logging evidence")
        owner_id = owner_id or me
        linked_standards = parse_standards(standards)
        linked_objectives = tuple(objective_ids)
        with self._transaction() as tx:
            trust_id = self.actor.trust_id
            owner = tx.repo(StaffMember).get(trust_id, owner_id)
            if owner_id != me:
                self._check_colleague(tx, owner, evidence_kind)
                if appraisal_evidence and not (
                    evidence_purpose is EvidencePurpose.FORMAL
                    and appraiser_of(tx, owner_id, tx.now.date()) == me
                ):
                    raise PermissionDenied(
                        "only the owner releases evidence for appraisal, except a formal "
                        "observation note written by their current appraiser"
                    )
            school = _owner_school(owner, school_id)
            _check_objectives(tx, owner_id, linked_objectives)
            if media_id is not None and self._adapters.media is not None:
                self._adapters.media.info(trust_id, media_id)
            evidence = tx.repo(Evidence).add(
                Evidence(
                    id=EvidenceId(new_id()),
                    trust_id=trust_id,
                    school_id=school,
                    owner_id=owner_id,
                    author_id=me,
                    kind=evidence_kind,
                    title=title,
                    captured_on=captured_on or tx.now.date(),
                    recorded_at=tx.now,
                    text=text,
                    media_id=media_id,
                    url=url,
                    class_label=class_label,
                    purpose=evidence_purpose,
                    objective_ids=linked_objectives,
                    standards=linked_standards,
                    appraisal_evidence=appraisal_evidence,
                )
            )
            if appraisal_evidence:
                record_release(tx, evidence, released=True)
            tx.audit(
                "evidence.logged",
                "Evidence",
                evidence.id,
                school_id=school,
                subject_id=owner_id,
                payload={"kind": evidence_kind.value, "purpose": evidence_purpose.value},
            )
            tx.emit("evidence.logged", evidence.id, school_id=school, kind=evidence_kind.value)
        return evidence

    def link_evidence(
        self,
        evidence_id: EvidenceId,
        *,
        objective_id: ObjectiveId | None = None,
        standard: TeachersStandard | str | None = None,
    ) -> Evidence:
        """Link an item to an objective and/or a standard (the owner only)."""
        return self._change_links(
            evidence_id,
            link,
            objective_id=objective_id,
            standard=standard,
            doing="linking evidence",
            action="evidence.linked",
            check_objective=True,
        )

    def unlink_evidence(
        self,
        evidence_id: EvidenceId,
        *,
        objective_id: ObjectiveId | None = None,
        standard: TeachersStandard | str | None = None,
    ) -> Evidence:
        """Remove a link (the owner only); the removal stays in the link history."""
        return self._change_links(
            evidence_id,
            unlink,
            objective_id=objective_id,
            standard=standard,
            doing="unlinking evidence",
            action="evidence.unlinked",
            check_objective=False,
        )

    def release_evidence(self, evidence_id: EvidenceId, released: bool = True) -> Evidence:
        """Release an item for appraisal, or take it back (the owner only)."""
        with self._transaction() as tx:
            evidence = self._own_item(tx, evidence_id, "releasing evidence for appraisal")
            if evidence.appraisal_evidence == released:
                return evidence
            stored = tx.repo(Evidence).update(set_released(evidence, released))
            record_release(tx, stored, released)
            action = "evidence.released" if released else "evidence.withheld"
            tx.audit(
                action,
                "Evidence",
                stored.id,
                school_id=stored.school_id,
                subject_id=stored.owner_id,
            )
            tx.emit(action, stored.id, school_id=stored.school_id)
        return stored

    def evidence(self, evidence_id: EvidenceId) -> Evidence:
        """One item: its owner and author always; others only if it is released."""
        with self._transaction() as tx:
            item = tx.repo(Evidence).get(self.actor.trust_id, evidence_id)
            if not self._may_see(tx, item):
                raise PermissionDenied(
                    f"evidence {evidence_id!r} is not released for appraisal; only its owner "
                    "and author may read it"
                )
            tx.audit(
                "evidence.opened",
                "Evidence",
                item.id,
                school_id=item.school_id,
                subject_id=item.owner_id,
            )
        return item

    def evidence_of(self, owner_id: StaffId | None = None) -> list[Evidence]:
        """A person's evidence (default the actor's) that the actor may see, oldest first."""
        owner_id = owner_id or self._evidence_actor("listing evidence")
        with self._transaction() as tx:
            items = all_pages(tx.repo(Evidence), self.actor.trust_id, where={"owner_id": owner_id})
            visible = [e for e in items if self._may_see(tx, e)]
        return sorted(visible, key=lambda e: (e.captured_on, e.id))

    # Shared steps --------------------------------------------------------------------------
    def _evidence_actor(self, doing: str) -> StaffId:
        if self.actor.staff_id is None:
            raise PermissionDenied(f"{doing} needs a staff member as actor")
        return self.actor.staff_id

    def _may_see(self, tx: Transaction, item: Evidence) -> bool:
        me = self.actor.staff_id
        if me is not None and me in (item.owner_id, item.author_id):
            return True
        return appraisal_evidence_filter(tx, item.owner_id, self._adapters.mis)(item)

    def _check_colleague(self, tx: Transaction, owner: StaffMember, kind: EvidenceKind) -> None:
        if kind not in WRITTEN_BY_OTHERS:
            accepted = ", ".join(sorted(k.value for k in WRITTEN_BY_OTHERS))
            raise PermissionDenied(
                f"only {owner.id} logs {kind.value} evidence about themselves; colleagues may "
                f"log: {accepted}"
            )
        author = tx.repo(StaffMember).get(
            self.actor.trust_id, self._evidence_actor("logging evidence")
        )
        if not set(author.schools) & set(owner.schools):
            raise PermissionDenied(
                f"{author.id} works at no school of {owner.id}; feedback comes from colleagues"
            )

    def _own_item(self, tx: Transaction, evidence_id: EvidenceId, doing: str) -> Evidence:
        item = tx.repo(Evidence).get(self.actor.trust_id, evidence_id)
        if self.actor.staff_id != item.owner_id:
            raise PermissionDenied(f"{doing} is for the evidence's owner {item.owner_id} only")
        return item

    def _change_links(
        self,
        evidence_id: EvidenceId,
        change: Callable[..., Evidence],
        *,
        objective_id: ObjectiveId | None,
        standard: TeachersStandard | str | None,
        doing: str,
        action: str,
        check_objective: bool,
    ) -> Evidence:
        """Apply :func:`~cpdcore.domain.evidence.link` or ``unlink`` to the owner's item.

        A new link must name one of the owner's objectives; removing one is not checked
        against them (``unlink`` itself refuses a link the item does not have).
        """
        parsed = None if standard is None else parse_standard(standard)
        with self._transaction() as tx:
            evidence = self._own_item(tx, evidence_id, doing)
            if check_objective and objective_id is not None:
                _check_objectives(tx, evidence.owner_id, (objective_id,), where="objective_id")
            changed = change(
                evidence, by=self.actor.id, at=tx.now, objective_id=objective_id, standard=parsed
            )
            return self._store_link(tx, evidence, changed, action)

    def _store_link(
        self, tx: Transaction, before: Evidence, after: Evidence, action: str
    ) -> Evidence:
        if after == before:
            return before
        stored = tx.repo(Evidence).update(after)
        change = stored.link_history[-1]
        tx.audit(
            action,
            "Evidence",
            stored.id,
            school_id=stored.school_id,
            subject_id=stored.owner_id,
            payload={
                "objective": change.objective_id,
                "standard": None if change.standard is None else change.standard.value,
            },
        )
        tx.emit(action, stored.id, school_id=stored.school_id)
        return stored


def _owner_school(owner: StaffMember, school_id: SchoolId | None) -> SchoolId:
    if school_id is None:
        if not owner.schools:
            raise ValidationError.single(
                "owner_id", f"{owner.id} holds no role at any school; give school_id"
            )
        return owner.schools[0]
    if school_id not in owner.schools:
        raise ValidationError.single(
            "school_id",
            f"{owner.id} does not work at {school_id}; accepted: {', '.join(owner.schools)}",
        )
    return school_id


def _check_objectives(
    tx: Transaction,
    owner_id: StaffId,
    objective_ids: Iterable[ObjectiveId],
    where: str = "objective_ids",
) -> None:
    problems = []
    for index, objective_id in enumerate(objective_ids):
        found = tx.repo(Objective).find(tx.actor.trust_id, objective_id)
        if found is None or found.appraisee_id != owner_id:
            path = where if where == "objective_id" else f"{where}[{index}]"
            problems.append(
                Problem(path, f"{objective_id!r} is not one of {owner_id}'s objectives")
            )
    if problems:
        raise ValidationError(problems)
