"""GDPR duties: a complete subject access export (checked against a full store scan),
erasure, retention sweeps that are idempotent, audit redaction and tamper detection."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from cpdcore import Actor
from cpdcore.domain.audit import AuditEntry
from cpdcore.domain.consent import Audience, Purpose
from cpdcore.domain.evidence import EvidenceKind
from cpdcore.domain.identifiers import StaffId
from cpdcore.domain.objectives import (
    MeasureUnit,
    ObjectiveCategory,
    ObjectiveTerms,
    SuccessCriterion,
)
from cpdcore.domain.organisation import StaffMember
from cpdcore.domain.retention import DEFAULT_POLICY, RetentionCategory
from cpdcore.errors import PermissionDenied
from cpdcore.memory import InMemoryStorage
from cpdcore.serialization import converter
from cpdcore.services.gdpr import RECORD_KINDS, mentions

from .test_consent_facade import MP4, T, World


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def populated() -> World:
    """Amy with objectives, progress, evidence (one clip), CPD, consents and a share;
    Hal's feedback about her; Bob's own records."""
    w = World()
    amy, hal = w.act("amy"), w.act("hal")
    cycle = w.act("tia").cycles()[0]
    terms = ObjectiveTerms(
        title="Hinge questions",
        category=ObjectiveCategory.PUPIL_PROGRESS,
        starts_on=date(2026, 11, 1),
        due_on=date(2027, 6, 30),
        success_criteria=(
            SuccessCriterion(
                "Correct first time", MeasureUnit.PERCENTAGE, Decimal(80), Decimal(60)
            ),
        ),
    )
    objective = amy.create_objective(cycle.id, terms, propose=True)
    second = amy.create_objective(cycle.id, attrs.evolve(terms, title="Wait time"), propose=True)
    hal.agree_objective(objective.id)
    hal.agree_objective(second.id)
    amy.record_progress(objective.id, "c1", "65")
    clip = w.clip()
    amy.log_evidence(EvidenceKind.REFLECTION, "Reflection", text="mine", appraisal_evidence=True)
    hal.log_evidence(
        EvidenceKind.PEER_FEEDBACK, "Feedback", owner_id=StaffId("amy"), text="good pace"
    )
    amy.log_cpd("course", "Questioning course", date(2026, 10, 5), "3")
    amy.grant_consent(
        Purpose.DEVELOPMENTAL_REVIEW, Audience.LEARNING_GROUP, item=f"evidence:{clip.id}"
    )
    amy.share_item(
        f"evidence:{clip.id}", "developmental_review", "learning_group", members=[StaffId("bob")]
    )
    bob = w.act("bob")
    bob.log_evidence(EvidenceKind.REFLECTION, "Bob's own", text="not amy's")
    bob.log_cpd("reading", "Bob reads", date(2026, 10, 6), "1")
    return w


def test_the_subject_access_export_holds_everything_a_full_store_scan_finds() -> None:
    w = populated()
    data = w.act("amy").subject_access_zip(StaffId("amy"))
    archive = zipfile.ZipFile(io.BytesIO(data))
    exported: set[tuple[str, str]] = set()
    for name in archive.namelist():
        if name.startswith("records/"):
            kind = name.removeprefix("records/").removesuffix(".json")
            exported |= {(kind, r["id"]) for r in json.loads(archive.read(name))}
    storage = w.cpd.storage
    assert isinstance(storage, InMemoryStorage)
    registered = {k.kind for k in RECORD_KINDS}
    expected: set[tuple[str, str]] = set()
    for record in storage._snapshot():
        assert type(record) in registered, f"{type(record).__name__} is not in RECORD_KINDS"
        if "amy" in _strings(converter.unstructure(record)):
            expected.add((type(record).__name__, record.id))
    assert expected
    assert expected <= exported
    assert {k for k, _ in expected} >= {"StaffMember", "Evidence", "Objective", "CpdActivity"}
    assert not any(r == "Bob's own" for r in _strings(json.loads(archive.read("audit.json"))))
    audit = json.loads(archive.read("audit.json"))
    all_entries = storage._audit[T]
    assert {e["seq"] for e in audit} == {
        e.seq for e in all_entries if "amy" in (e.subject_id, e.actor_id)
    } - {all_entries[-1].seq}
    manifest = json.loads(archive.read("manifest.json"))
    clip_media = [m for m in manifest["media"] if m["held"]]
    assert len(clip_media) == 1
    assert archive.read(clip_media[0]["file"]) == MP4
    assert manifest["retention"]


def test_only_the_person_or_an_administrator_exports_their_data() -> None:
    w = World()
    with pytest.raises(PermissionDenied):
        w.act("hal").subject_access_zip(StaffId("amy"))
    assert w.admin.subject_access_zip(StaffId("amy"))


def test_erasure_removes_the_person_except_what_must_be_kept_and_the_chain_verifies() -> None:
    w = populated()
    assert w.cpd.media is not None
    report = w.admin.erase_person(StaffId("amy"), reason="SAR-2026-14")
    assert report.deleted["Evidence"] == 3  # the clip, the reflection and feedback about her
    assert report.kept["Objective"] == 2
    assert report.kept["ConsentRecord"] >= 1
    assert report.audit_redacted > 0
    assert list(w.cpd.media.list(T)) == []
    staff = w.admin.staff_member(StaffId("amy"))
    assert (staff.given_name, staff.email) == ("Former", "")
    assert w.cpd.verify_audit(T) == []
    storage = w.cpd.storage
    assert isinstance(storage, InMemoryStorage)
    for record in storage._snapshot():
        text = json.dumps(converter.unstructure(record), default=str)
        assert "Amy" not in text
    redacted = [e for e in storage._audit[T] if e.subject_id == "amy"]
    assert redacted and all(e.redacted for e in redacted)
    assert storage._audit[T][-1].action == "person.erased"


def test_erasure_without_legal_hold_deletes_appraisal_records() -> None:
    w = populated()
    report = w.admin.erase_person(
        StaffId("amy"), reason="no claim possible", keep_appraisal_records=False
    )
    assert report.deleted["Objective"] == 2
    storage = w.cpd.storage
    assert isinstance(storage, InMemoryStorage)
    about_amy = [
        r for r in storage._snapshot() if mentions(r, "amy") and not isinstance(r, StaffMember)
    ]
    assert {type(r).__name__ for r in about_amy} <= {"ConsentRecord"}


def test_retention_sweep_is_idempotent_and_reports_what_it_did() -> None:
    w = populated()
    assert w.cpd.media is not None
    w.admin.mark_leaver(StaffId("amy"))
    first = w.admin.apply_retention(date(2027, 12, 1))
    assert first.count(RetentionCategory.DEVELOPMENTAL_MEDIA) == 1
    assert first.count(RetentionCategory.APPRAISAL_RECORDS) == 0
    assert list(w.cpd.media.list(T)) == []
    assert w.admin.apply_retention(date(2027, 12, 1)).actions == ()
    later = w.admin.apply_retention(date(2033, 1, 1))
    assert later.count(RetentionCategory.APPRAISAL_RECORDS) >= 1
    assert later.count(RetentionCategory.STAFF_RECORD) == 1
    assert later.count(RetentionCategory.AUDIT_PAYLOADS) > 0
    assert w.admin.apply_retention(date(2033, 1, 1)).actions == ()
    assert w.cpd.verify_audit(T) == []


def test_retention_keeps_current_staff_records_and_follows_school_policy() -> None:
    w = populated()
    report = w.admin.apply_retention(
        date(2026, 12, 1),
        policy=DEFAULT_POLICY.with_months(RetentionCategory.DEVELOPMENTAL_MEDIA, 0),
    )
    assert [a.category for a in report.actions] == [RetentionCategory.DEVELOPMENTAL_MEDIA]
    with pytest.raises(PermissionDenied):
        w.act("hal").apply_retention()


def test_redacting_an_audit_payload_keeps_the_chain_valid_and_is_audited() -> None:
    w = populated()
    storage = w.cpd.storage
    assert isinstance(storage, InMemoryStorage)
    entry = w.admin.redact_audit_payload(3, reason="typed a pupil's name")
    assert entry.action == "audit.redacted"
    assert storage._audit[T][2].redacted
    assert w.cpd.verify_audit(T) == []


def _tampered(entry: AuditEntry, field: str) -> AuditEntry:
    changes: dict[str, Any] = {
        "payload_json": '{"changed":true}',
        "actor_id": "mallory",
        "action": "nothing.happened",
        "at": entry.at + timedelta(seconds=1),
        "subject_id": "mallory",
        "record_id": "other",
    }
    return attrs.evolve(entry, **{field: changes[field]})


@pytest.mark.parametrize(
    "field", ["payload_json", "actor_id", "action", "at", "subject_id", "record_id"]
)
def test_tampering_with_any_audit_entry_is_detected(field: str) -> None:
    w = populated()
    storage = w.cpd.storage
    assert isinstance(storage, InMemoryStorage)
    chain = storage._audit[T]
    for index in range(len(chain)):
        original = chain[index]
        chain[index] = _tampered(original, field)
        problems = w.cpd.verify_audit(T)
        assert [p.seq for p in problems][:1] == [original.seq], (field, index)
        chain[index] = original
    assert w.cpd.verify_audit(T) == []


def test_deleting_or_reordering_audit_entries_is_detected() -> None:
    w = populated()
    storage = w.cpd.storage
    assert isinstance(storage, InMemoryStorage)
    chain = storage._audit[T]
    removed = chain.pop(4)
    assert w.cpd.verify_audit(T)
    chain.insert(4, removed)
    chain[5], chain[6] = chain[6], chain[5]
    assert w.cpd.verify_audit(T)
    chain[5], chain[6] = chain[6], chain[5]
    assert w.cpd.verify_audit(T) == []


def test_a_system_actor_cannot_open_individual_items() -> None:
    w = populated()
    note = w.act("amy").log_evidence(EvidenceKind.REFLECTION, "x", text="y")
    with pytest.raises(PermissionDenied, match="staff member"):
        w.cpd.as_actor(Actor.system(T)).open_item(f"evidence:{note.id}", "developmental_review")
