"""The audit trail: an append-only, hash-chained list of entries per trust.

Each entry stores a SHA-256 digest of its payload and the hash of the previous entry; the
entry's own hash covers the digest rather than the payload, so a payload can later be
redacted (GDPR erasure) without breaking the chain, while any edit, deletion or reordering
of entries is detected by :func:`verify_chain`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from cpdcore.domain.identifiers import SchoolId, TrustId
from cpdcore.domain.timestamps import aware_utc

__all__ = [
    "GENESIS_HASH",
    "REDACTED_PAYLOAD",
    "AuditEntry",
    "AuditProblem",
    "canonical_json",
    "chain_entry",
    "redact",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
REDACTED_PAYLOAD = '{"redacted":true}'


def canonical_json(value: Mapping[str, Any]) -> str:
    """Serialise ``value`` deterministically (sorted keys, no spaces, UTF-8 kept)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@attrs.frozen
class AuditEntry:
    """One audited action: who did what to which record, when, chained to its predecessor."""

    trust_id: TrustId
    seq: int
    at: datetime = attrs.field(validator=aware_utc)
    actor_id: str
    action: str
    record_kind: str
    record_id: str
    payload_json: str
    payload_digest: str
    prev_hash: str
    entry_hash: str
    school_id: SchoolId | None = None
    subject_id: str | None = None
    """The person the recorded data is about, used for subject access and erasure."""
    redacted: bool = False

    @property
    def payload(self) -> dict[str, Any]:
        """The payload as a dict (``{"redacted": true}`` after erasure)."""
        value: dict[str, Any] = json.loads(self.payload_json)
        return value


def _entry_hash(
    *,
    trust_id: str,
    seq: int,
    at: datetime,
    actor_id: str,
    action: str,
    record_kind: str,
    record_id: str,
    school_id: str | None,
    subject_id: str | None,
    payload_digest: str,
    prev_hash: str,
) -> str:
    material = canonical_json(
        {
            "trust_id": trust_id,
            "seq": seq,
            "at": at.isoformat(),
            "actor_id": actor_id,
            "action": action,
            "record_kind": record_kind,
            "record_id": record_id,
            "school_id": school_id,
            "subject_id": subject_id,
            "payload_digest": payload_digest,
            "prev_hash": prev_hash,
        }
    )
    return _sha256(material)


def chain_entry(
    previous: AuditEntry | None,
    *,
    trust_id: TrustId,
    at: datetime,
    actor_id: str,
    action: str,
    record_kind: str,
    record_id: str,
    payload: Mapping[str, Any] | None = None,
    school_id: SchoolId | None = None,
    subject_id: str | None = None,
) -> AuditEntry:
    """Build the entry that follows ``previous`` (``None`` for a trust's first entry)."""
    payload_json = canonical_json(payload or {})
    digest = _sha256(payload_json)
    seq = 1 if previous is None else previous.seq + 1
    prev_hash = GENESIS_HASH if previous is None else previous.entry_hash
    entry_hash = _entry_hash(
        trust_id=trust_id,
        seq=seq,
        at=at,
        actor_id=actor_id,
        action=action,
        record_kind=record_kind,
        record_id=record_id,
        school_id=school_id,
        subject_id=subject_id,
        payload_digest=digest,
        prev_hash=prev_hash,
    )
    return AuditEntry(
        trust_id=trust_id,
        seq=seq,
        at=at,
        actor_id=actor_id,
        action=action,
        record_kind=record_kind,
        record_id=record_id,
        payload_json=payload_json,
        payload_digest=digest,
        prev_hash=prev_hash,
        entry_hash=entry_hash,
        school_id=school_id,
        subject_id=subject_id,
    )


def redact(entry: AuditEntry) -> AuditEntry:
    """Drop the payload but keep its digest, so the chain still verifies."""
    return attrs.evolve(entry, payload_json=REDACTED_PAYLOAD, redacted=True)


@attrs.frozen
class AuditProblem:
    """A break in the audit chain: which entry, and what is wrong with it."""

    seq: int
    message: str

    def __str__(self) -> str:
        return f"audit entry {self.seq}: {self.message}"


def verify_chain(entries: Iterable[AuditEntry]) -> Sequence[AuditProblem]:
    """Check a trust's entries in stored order; return every problem found (empty = intact).

    Detects edited fields (hash mismatch), edited payloads (digest mismatch, unless the
    entry is marked redacted), deleted entries (gap in ``seq`` or broken ``prev_hash``) and
    reordered entries (``seq`` out of order).
    """
    problems: list[AuditProblem] = []
    expected_seq = 1
    prev_hash = GENESIS_HASH
    for entry in entries:
        if entry.seq != expected_seq:
            problems.append(
                AuditProblem(
                    entry.seq,
                    f"expected sequence number {expected_seq}: an entry was deleted or reordered",
                )
            )
        if entry.prev_hash != prev_hash:
            problems.append(
                AuditProblem(entry.seq, "previous-hash link broken: the chain before it changed")
            )
        if not entry.redacted and _sha256(entry.payload_json) != entry.payload_digest:
            problems.append(AuditProblem(entry.seq, "payload does not match its digest: edited"))
        recomputed = _entry_hash(
            trust_id=entry.trust_id,
            seq=entry.seq,
            at=entry.at,
            actor_id=entry.actor_id,
            action=entry.action,
            record_kind=entry.record_kind,
            record_id=entry.record_id,
            school_id=entry.school_id,
            subject_id=entry.subject_id,
            payload_digest=entry.payload_digest,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.entry_hash:
            problems.append(AuditProblem(entry.seq, "entry hash mismatch: a field was edited"))
        expected_seq = entry.seq + 1
        prev_hash = entry.entry_hash
    return problems
