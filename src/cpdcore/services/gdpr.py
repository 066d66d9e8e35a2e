"""UK GDPR duties: retention sweeps, subject access exports, erasure, audit redaction.

Every stored record kind is listed in :data:`RECORD_KINDS` with the field naming the
person it is about (if any), its retention category and what erasure does to it. A
person is found in a record wherever their id is the value of a person field: the
record's subject field, any ``*_id`` or ``*_by`` field, ``by``, ``members`` or a staff
member's own ``id``, at any depth (histories included). Subject access exports and
erasure both use that one search, so what is exported is what is erased.

Erasure per record type (see also ``docs/how-to/subject-access-request.md``):

* the staff record is anonymised (name, email, MIS id, roles, departments removed; the
  id stays so others' records still join);
* their developmental evidence, observations, clips, CPD log, alignment facts, shares and
  class links are deleted, media too;
* their appraisal records (objectives, progress, review comments, formal evidence and
  formal observations, appraiser assignments, RAG overrides) are **kept** by default
  until the appraisal retention period ends, because they may be needed to establish or
  defend legal claims (UK GDPR Art. 17(3)(e)); ``keep_appraisal_records=False`` deletes
  them too;
* their consent records are kept (withdrawn) as proof of what was agreed (Art. 7(1));
* their id in anyone else's record (an author, a history entry, a share member) is
  replaced by a random pseudonym;
* audit entries about them keep their place and digest in the chain but lose their
  payload; the erasure itself is a new audit entry.
"""

from __future__ import annotations

import io
import json
import os
import uuid
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, BinaryIO

import attrs

from cpdcore.domain.alignment import AlignmentFact
from cpdcore.domain.audit import AuditEntry
from cpdcore.domain.calendar import CalendarSetting
from cpdcore.domain.clips import Clip, ObservationPolicy
from cpdcore.domain.consent import ConsentRecord, Share, revoke_share, withdraw
from cpdcore.domain.cpd_activities import CpdActivity
from cpdcore.domain.cycles import AppraisalCycle
from cpdcore.domain.evidence import Evidence
from cpdcore.domain.identifiers import MediaId, StaffId
from cpdcore.domain.line_management import AppraiserAssignment
from cpdcore.domain.objectives import Objective
from cpdcore.domain.observations import (
    Observation,
    ObservationFocus,
    ObservationKind,
    ObservationRequest,
)
from cpdcore.domain.organisation import Department, Role, School, StaffMember, Trust
from cpdcore.domain.progress import ProgressUpdate
from cpdcore.domain.rag.overrides import RagOverride
from cpdcore.domain.retention import (
    DEFAULT_POLICY,
    Anchor,
    Disposal,
    RetentionCategory,
    RetentionPolicy,
    category_of_evidence,
    due,
    rules_table,
)
from cpdcore.domain.review_meetings import ReviewComment
from cpdcore.domain.roster import ClassGroup, OutcomeAggregate, TeachingLink
from cpdcore.domain.sip import SipPriority
from cpdcore.domain.video_clubs import ClubSession, VideoClub
from cpdcore.errors import PermissionDenied, ValidationError
from cpdcore.serialization import SCHEMA_VERSION, converter, to_dict
from cpdcore.services.context import Transaction, UseCases, all_pages
from cpdcore.services.rag import RagPolicySetting

__all__ = [
    "ANONYMOUS_FAMILY_NAME",
    "ANONYMOUS_GIVEN_NAME",
    "RECORD_KINDS",
    "READ_ACTIONS",
    "ErasureReport",
    "GdprUseCases",
    "RecordKind",
    "RetentionAction",
    "RetentionReport",
    "SubjectAccessManifest",
    "mentions",
    "register_record_kind",
]

ANONYMOUS_GIVEN_NAME = "Former"
ANONYMOUS_FAMILY_NAME = "staff member"
_AUDIT_PAGE = 1000
_DATA_PROTECTION = frozenset({Role.ADMINISTRATOR})


@attrs.frozen
class RecordKind:
    """How GDPR duties treat one stored record kind.

    ``subject_field`` names the attribute holding the person the record is about (None:
    the record is about nobody in particular). ``category`` is its retention category
    (``None``: not swept, or decided per record as for evidence). ``on_erasure`` is what
    erasing its subject does: delete, anonymise, or ``None`` to keep it.
    """

    kind: type[Any]
    subject_field: str | None = None
    category: RetentionCategory | None = None
    on_erasure: Disposal | None = None
    legal_hold: bool = False
    """Kept on erasure while the appraisal retention runs (legal claims)."""
    category_of: Callable[[Any], RetentionCategory] | None = None
    """Decides the category per record (evidence and observations: formal or not)."""

    def category_for(self, record: Any) -> RetentionCategory | None:
        """The retention category of one record of this kind."""
        return self.category if self.category_of is None else self.category_of(record)


def _observation_category(observation: Observation) -> RetentionCategory:
    if observation.kind is ObservationKind.FORMAL:
        return RetentionCategory.APPRAISAL_RECORDS
    return RetentionCategory.DEVELOPMENTAL_RECORDS


RECORD_KINDS: list[RecordKind] = [
    RecordKind(Trust),
    RecordKind(School),
    RecordKind(Department),
    RecordKind(AppraisalCycle),
    RecordKind(SipPriority),
    RecordKind(ClassGroup),
    RecordKind(OutcomeAggregate),
    RecordKind(StaffMember, "id", RetentionCategory.STAFF_RECORD, Disposal.ANONYMISE),
    RecordKind(TeachingLink, "staff_id", RetentionCategory.STAFF_RECORD, Disposal.DELETE),
    RecordKind(Evidence, "owner_id", None, Disposal.DELETE, category_of=category_of_evidence),
    RecordKind(ObservationFocus),
    RecordKind(ObservationPolicy),
    RecordKind(VideoClub),
    RecordKind(ClubSession),
    RecordKind(RagPolicySetting),
    RecordKind(CalendarSetting),
    RecordKind(
        ObservationRequest, "teacher_id", RetentionCategory.DEVELOPMENTAL_RECORDS, Disposal.DELETE
    ),
    RecordKind(Observation, "teacher_id", None, Disposal.DELETE, category_of=_observation_category),
    RecordKind(Clip, "subject_id", RetentionCategory.DEVELOPMENTAL_MEDIA, Disposal.DELETE),
    RecordKind(AlignmentFact, "person_id", RetentionCategory.CPD_RECORDS, Disposal.DELETE),
    RecordKind(CpdActivity, "staff_id", RetentionCategory.CPD_RECORDS, Disposal.DELETE),
    RecordKind(
        Objective, "appraisee_id", RetentionCategory.APPRAISAL_RECORDS, Disposal.DELETE, True
    ),
    RecordKind(
        ProgressUpdate, "appraisee_id", RetentionCategory.APPRAISAL_RECORDS, Disposal.DELETE, True
    ),
    RecordKind(
        ReviewComment, "appraisee_id", RetentionCategory.APPRAISAL_RECORDS, Disposal.DELETE, True
    ),
    RecordKind(
        RagOverride, "appraisee_id", RetentionCategory.APPRAISAL_RECORDS, Disposal.DELETE, True
    ),
    RecordKind(
        AppraiserAssignment,
        "appraisee_id",
        RetentionCategory.APPRAISAL_RECORDS,
        Disposal.DELETE,
        True,
    ),
    RecordKind(ConsentRecord, "subject_id", RetentionCategory.CONSENT_RECORDS, None),
    RecordKind(Share, "subject_id", RetentionCategory.SHARES, Disposal.DELETE),
]
"""Every stored record kind; a module adding a kind registers it with
:func:`register_record_kind` (the subject-access test fails for kinds it misses)."""


def register_record_kind(kind: RecordKind) -> None:
    """Add (or replace) a record kind the GDPR use cases must search and treat."""
    RECORD_KINDS[:] = [k for k in RECORD_KINDS if k.kind is not kind.kind] + [kind]


def _person_key(key: str) -> bool:
    return key in {"id", "by", "members"} or key.endswith(("_id", "_by"))


def _walk(value: Any, key: str, person: str) -> bool:
    if isinstance(value, str):
        return value == person and _person_key(key)
    if isinstance(value, Mapping):
        return any(_walk(v, str(k), person) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_walk(v, key, person) for v in value)
    return False


def mentions(record: Any, person: str) -> bool:
    """True if ``person``'s id is the value of a person field anywhere in ``record``."""
    return _walk(converter.unstructure(record), "", person)


def _replace(value: Any, key: str, person: str, pseudonym: str) -> Any:
    if isinstance(value, str):
        return pseudonym if value == person and _person_key(key) else value
    if isinstance(value, Mapping):
        return {k: _replace(v, str(k), person, pseudonym) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replace(v, key, person, pseudonym) for v in value]
    return value


def _pseudonymised(record: Any, person: str, pseudonym: str) -> Any:
    data = _replace(converter.unstructure(record), "", person, pseudonym)
    return converter.structure(data, type(record))


def _subject(kind: RecordKind, record: Any) -> str | None:
    if kind.subject_field is None:
        return None
    value = getattr(record, kind.subject_field)
    return value if isinstance(value, str) else None


@attrs.frozen
class SubjectAccessManifest:
    """What a subject access export holds: counts per record kind, audit entries, media."""

    subject_id: str
    generated_at: datetime
    records: Mapping[str, int]
    audit_entries: int
    media: tuple[Mapping[str, Any], ...]


@attrs.frozen
class ErasureReport:
    """What an erasure did, by record kind (counts, never content)."""

    subject_id: str
    pseudonym: str
    deleted: Mapping[str, int]
    anonymised: Mapping[str, int]
    kept: Mapping[str, int]
    audit_redacted: int
    media_deleted: tuple[MediaId, ...]


@attrs.frozen
class RetentionAction:
    """One thing a retention sweep did to one record."""

    category: RetentionCategory
    disposal: Disposal | str
    record_kind: str
    record_id: str


@attrs.frozen
class RetentionReport:
    """Everything one sweep did; empty when nothing was due (a second run is a no-op)."""

    as_of: date
    actions: tuple[RetentionAction, ...] = ()
    media_deleted: tuple[MediaId, ...] = ()

    def count(self, category: RetentionCategory) -> int:
        """How many records of ``category`` were disposed of."""
        return sum(1 for a in self.actions if a.category is category)


def _count(counter: dict[str, int], name: str) -> None:
    counter[name] = counter.get(name, 0) + 1


def _audit_entries(tx: Transaction) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    after = 0
    while batch := tx.uow.audit.entries(tx.actor.trust_id, after_seq=after, limit=_AUDIT_PAGE):
        entries.extend(batch)
        after = batch[-1].seq
    return entries


def _leavers(tx: Transaction, entries: Sequence[AuditEntry]) -> dict[str, date]:
    """The day each inactive staff member was marked as a leaver (from the audit)."""
    left: dict[str, date] = {}
    for entry in entries:
        if entry.action == "staff.left" and entry.subject_id:
            left[entry.subject_id] = entry.at.date()
    inactive = {s.id for s in all_pages(tx.repo(StaffMember), tx.actor.trust_id) if not s.active}
    return {k: v for k, v in left.items() if k in inactive}


def _ended(record: ConsentRecord | Share) -> date | None:
    if isinstance(record, Share):
        return None if record.revoked_at is None else record.revoked_at.date()
    ends = [t for t in (record.withdrawn_at, record.expires_at) if t is not None]
    return min(ends).date() if ends else None


class GdprUseCases(UseCases):
    """Retention, subject access, erasure and audit redaction (data protection duties)."""

    # Retention ---------------------------------------------------------------------------
    def apply_retention(
        self, as_of: date | None = None, *, policy: RetentionPolicy = DEFAULT_POLICY
    ) -> RetentionReport:
        """Delete, anonymise or redact what is past retention on ``as_of`` (default today).

        Idempotent: what was disposed of is gone, so a second run finds nothing and
        changes nothing. Also revokes shares whose consent has expired. Needs a trust-wide
        administrator (e.g. :meth:`Actor.system`).
        """
        self._require(_DATA_PROTECTION, None, "applying retention")
        day = as_of or self._now().date()
        actions: list[RetentionAction] = []
        media: list[MediaId] = []
        with self._transaction() as tx:
            entries = _audit_entries(tx)
            left = _leavers(tx, entries)
            for kind in RECORD_KINDS:
                for record in all_pages(tx.repo(kind.kind), tx.actor.trust_id):
                    action = self._retain(tx, kind, record, left, day, policy, media)
                    if action is not None:
                        actions.append(action)
            redact_rule = policy.rule(RetentionCategory.AUDIT_PAYLOADS)
            for entry in entries:
                if (
                    entry.subject_id in left
                    and not entry.redacted
                    and due(redact_rule, left[entry.subject_id], day)
                ):
                    tx.uow.audit.redact(tx.actor.trust_id, entry.seq)
                    actions.append(
                        RetentionAction(
                            RetentionCategory.AUDIT_PAYLOADS,
                            Disposal.REDACT,
                            "AuditEntry",
                            str(entry.seq),
                        )
                    )
            if actions:
                counts: dict[str, int] = {}
                for a in actions:
                    _count(counts, a.category.value)
                tx.audit(
                    "retention.applied",
                    "RetentionPolicy",
                    day.isoformat(),
                    payload={"as_of": day.isoformat(), "counts": counts},
                )
            self._delete_media_after_commit(tx, media)
        return RetentionReport(day, tuple(actions), tuple(media))

    def _retain(  # noqa: PLR0917 - one private step of apply_retention
        self,
        tx: Transaction,
        kind: RecordKind,
        record: Any,
        left: Mapping[str, date],
        day: date,
        policy: RetentionPolicy,
        media: list[MediaId],
    ) -> RetentionAction | None:
        name = kind.kind.__name__
        if isinstance(record, Share) and record.revoked_at is None:
            consent = tx.repo(ConsentRecord).find(tx.actor.trust_id, record.consent_id)
            if consent is None or not consent.active(tx.now):
                tx.repo(Share).update(revoke_share(record, tx.now))
                return RetentionAction(RetentionCategory.SHARES, "revoked", name, record.id)
            return None
        category = kind.category_for(record)
        if category is None:
            return None
        rule = policy.rule(category)
        subject = _subject(kind, record)
        if rule.anchor is Anchor.CREATED:
            created = getattr(record, "captured_on", None)
            anchor: date | None = created if isinstance(created, date) else None
        elif rule.anchor is Anchor.ENDED and isinstance(record, ConsentRecord | Share):
            anchor = _ended(record)
        elif rule.anchor is Anchor.LEFT:
            anchor = left.get(subject) if subject else None
        else:
            anchor = None
        if not due(rule, anchor, day):
            return None
        repo = tx.repo(kind.kind)
        if rule.disposal is Disposal.ANONYMISE:
            if not isinstance(record, StaffMember) or _is_anonymous(record):
                return None
            repo.update(_anonymous(record))
        else:
            media_id = getattr(record, "media_id", None)
            if media_id is not None:
                media.append(media_id)
            repo.remove(record)
        return RetentionAction(category, rule.disposal, name, record.id)

    # Subject access ------------------------------------------------------------------------
    def export_subject_access(
        self, staff_id: StaffId, destination: str | os.PathLike[str] | BinaryIO
    ) -> SubjectAccessManifest:
        """Write everything held about ``staff_id`` as a zip: ``manifest.json``,
        ``records/<Kind>.json``, ``audit.json`` (entries about or by them, including who
        read their data) and ``media/`` (the media of items about them).

        The person themselves or a trust-wide administrator may export; the export is
        audited.
        """
        if self.actor.staff_id != staff_id:
            self._require(_DATA_PROTECTION, None, "exporting someone else's personal data")
        with self._transaction() as tx:
            found = self._records_of(tx, staff_id)
            entries = [e for e in _audit_entries(tx) if staff_id in (e.subject_id, e.actor_id)]
            media_ids = sorted(
                {
                    m
                    for kind, records in found
                    for r in records
                    if _subject(kind, r) == staff_id
                    and (m := getattr(r, "media_id", None)) is not None
                }
            )
            tx.audit(
                "subject_access.exported",
                "StaffMember",
                staff_id,
                subject_id=staff_id,
                payload={"records": sum(len(r) for _k, r in found), "media": len(media_ids)},
            )
        manifest = self._write_zip(destination, staff_id, found, entries, media_ids)
        return manifest

    def _records_of(self, tx: Transaction, person: str) -> list[tuple[RecordKind, list[Any]]]:
        return [
            (
                kind,
                [
                    r
                    for r in all_pages(tx.repo(kind.kind), tx.actor.trust_id)
                    if mentions(r, person)
                ],
            )
            for kind in RECORD_KINDS
        ]

    def _write_zip(
        self,
        destination: str | os.PathLike[str] | BinaryIO,
        person: str,
        found: Sequence[tuple[RecordKind, list[Any]]],
        entries: Sequence[AuditEntry],
        media_ids: Sequence[MediaId],
    ) -> SubjectAccessManifest:
        trust_id = self.actor.trust_id
        store = self._adapters.media
        media_rows: list[dict[str, Any]] = []
        now = self._now()
        with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for kind, records in found:
                if records:
                    archive.writestr(
                        f"records/{kind.kind.__name__}.json",
                        _json([to_dict(r) for r in records]),
                    )
            archive.writestr("audit.json", _json([to_dict(e) for e in entries]))
            for media_id in media_ids:
                row: dict[str, Any] = {"media_id": media_id}
                try:
                    if store is None:
                        raise LookupError(media_id)
                    info = store.info(trust_id, media_id)
                    name = f"media/{media_id}"
                    with archive.open(name, "w") as out:
                        for chunk in store.open(trust_id, media_id):
                            out.write(chunk)
                    row.update(file=name, content_type=info.content_type, size=info.size, held=True)
                except LookupError:
                    row.update(held=False, note="deleted or not in the media store")
                media_rows.append(row)
            manifest = SubjectAccessManifest(
                subject_id=person,
                generated_at=now,
                records={k.kind.__name__: len(r) for k, r in found if r},
                audit_entries=len(entries),
                media=tuple(media_rows),
            )
            archive.writestr(
                "manifest.json",
                _json(
                    {
                        "schema_version": SCHEMA_VERSION,
                        "subject_id": person,
                        "generated_at": now.isoformat(),
                        "generated_by": self.actor.id,
                        "records": dict(manifest.records),
                        "audit_entries": len(entries),
                        "media": media_rows,
                        "retention": [list(row) for row in rules_table(DEFAULT_POLICY)],
                    }
                ),
            )
        return manifest

    def subject_access_zip(self, staff_id: StaffId) -> bytes:
        """:meth:`export_subject_access` into memory (for small exports and tests)."""
        buffer = io.BytesIO()
        self.export_subject_access(staff_id, buffer)
        return buffer.getvalue()

    # Erasure -------------------------------------------------------------------------------
    def erase_person(
        self, staff_id: StaffId, *, reason: str, keep_appraisal_records: bool = True
    ) -> ErasureReport:
        """Erase a person everywhere except what must be kept (see the module docs).

        Needs a trust-wide administrator and a ``reason`` (e.g. the request reference);
        the erasure is audited and its own entry names no personal data.
        """
        self._require(_DATA_PROTECTION, None, "erasing a person's data")
        if not reason.strip():
            raise ValidationError.single("reason", "give the reason or request reference")
        pseudonym = f"erased-{uuid.uuid4().hex[:12]}"
        deleted: dict[str, int] = {}
        anonymised: dict[str, int] = {}
        kept: dict[str, int] = {}
        media: list[MediaId] = []
        redacted = 0
        with self._transaction() as tx:
            tx.repo(StaffMember).get(tx.actor.trust_id, staff_id)
            for kind, records in self._records_of(tx, staff_id):
                name = kind.kind.__name__
                repo = tx.repo(kind.kind)
                for record in records:
                    about = _subject(kind, record) == staff_id
                    outcome = _erasure(kind, record, keep_appraisal_records) if about else "pseud"
                    if outcome == "delete":
                        if (m := getattr(record, "media_id", None)) is not None:
                            media.append(m)
                        repo.remove(record)
                        _count(deleted, name)
                    elif outcome == "anonymise":
                        repo.update(_anonymous(record))
                        _count(anonymised, name)
                    elif outcome == "withdraw":
                        repo.update(withdraw(record, at=tx.now, by=tx.actor.id))
                        _count(kept, name)
                    elif outcome == "keep":
                        _count(kept, name)
                    else:
                        repo.update(_pseudonymised(record, staff_id, pseudonym))
                        _count(anonymised, name)
            for entry in _audit_entries(tx):
                if entry.subject_id == staff_id and not entry.redacted:
                    tx.uow.audit.redact(tx.actor.trust_id, entry.seq)
                    redacted += 1
            tx.audit(
                "person.erased",
                "StaffMember",
                staff_id,
                payload={
                    "reason": reason,
                    "deleted": deleted,
                    "anonymised": anonymised,
                    "kept": kept,
                    "audit_redacted": redacted,
                    "keep_appraisal_records": keep_appraisal_records,
                },
            )
            self._delete_media_after_commit(tx, media)
        return ErasureReport(staff_id, pseudonym, deleted, anonymised, kept, redacted, tuple(media))

    # Audit ---------------------------------------------------------------------------------
    def redact_audit_payload(self, seq: int, *, reason: str) -> AuditEntry:
        """Remove one audit entry's payload, keeping its digest (the chain still verifies);
        the redaction is itself a new audit entry. Trust-wide administrators only."""
        self._require(_DATA_PROTECTION, None, "redacting an audit entry")
        if not reason.strip():
            raise ValidationError.single("reason", "give the reason for the redaction")
        with self._transaction() as tx:
            tx.uow.audit.redact(tx.actor.trust_id, seq)
            return tx.audit(
                "audit.redacted", "AuditEntry", str(seq), payload={"seq": seq, "reason": reason}
            )

    def reads_of(self, staff_id: StaffId | None = None) -> list[AuditEntry]:
        """Who opened personal data about ``staff_id`` (default the actor): the audit
        entries of reads (evidence, items, media, review packs), oldest first."""
        subject = staff_id or self.actor.staff_id
        if subject is None:
            raise ValidationError.single("staff_id", "name the person whose reads to list")
        if subject != self.actor.staff_id:
            self._require(_DATA_PROTECTION, None, "listing reads of someone else's data")
        with self._transaction() as tx:
            return [
                e
                for e in _audit_entries(tx)
                if e.subject_id == subject and e.action in READ_ACTIONS
            ]

    def _delete_media_after_commit(self, tx: Transaction, media: Sequence[MediaId]) -> None:
        store = self._adapters.media
        if store is None or not media:
            return
        trust_id = self.actor.trust_id
        ids = tuple(media)

        def delete() -> None:
            for media_id in ids:
                store.delete(trust_id, media_id)

        tx.after_commit(delete)


READ_ACTIONS = frozenset({"evidence.opened", "item.opened", "media.opened", "review_pack.prepared"})
"""Audit actions that record a read of personal data."""


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def _is_anonymous(staff: StaffMember) -> bool:
    return (staff.given_name, staff.family_name) == (ANONYMOUS_GIVEN_NAME, ANONYMOUS_FAMILY_NAME)


def _anonymous(record: Any) -> Any:
    if not isinstance(record, StaffMember):
        raise PermissionDenied(f"{type(record).__name__} records are not anonymised")
    return attrs.evolve(
        record,
        given_name=ANONYMOUS_GIVEN_NAME,
        family_name=ANONYMOUS_FAMILY_NAME,
        email="",
        sourced_id=None,
        roles=(),
        departments=(),
        active=False,
    )


def _erasure(kind: RecordKind, record: Any, keep_appraisal: bool) -> str:
    if isinstance(record, ConsentRecord):
        return "withdraw" if record.withdrawn_at is None else "keep"
    appraisal = kind.category_for(record) is RetentionCategory.APPRAISAL_RECORDS
    if (kind.legal_hold or appraisal) and keep_appraisal:
        return "keep"
    if kind.on_erasure is Disposal.ANONYMISE:
        return "anonymise"
    if kind.on_erasure is Disposal.DELETE:
        return "delete"
    return "keep"
