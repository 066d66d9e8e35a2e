"""The audit chain detects edited, deleted and reordered entries, and survives redaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from cpdcore.domain.audit import AuditEntry, chain_entry, redact, verify_chain
from cpdcore.domain.identifiers import TrustId

T = TrustId("t")
START = datetime(2026, 9, 1, tzinfo=UTC)


def build(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for i in range(n):
        entries.append(
            chain_entry(
                entries[-1] if entries else None,
                trust_id=T,
                at=START + timedelta(minutes=i),
                actor_id=f"staff-{i % 3}",
                action="evidence.read",
                record_kind="Evidence",
                record_id=f"e{i}",
                payload={"i": i, "note": "reflection ✓"},
                subject_id="staff-9",
            )
        )
    return entries


def test_an_intact_chain_verifies() -> None:
    assert verify_chain(build(20)) == []


@given(st.integers(2, 30), st.data())
def test_any_edited_field_is_detected_at_that_entry(n: int, data: st.DataObject) -> None:
    entries = build(n)
    index = data.draw(st.integers(0, n - 1))
    field = data.draw(st.sampled_from(["actor_id", "action", "record_id", "subject_id", "at"]))
    value = START + timedelta(days=1) if field == "at" else "tampered"
    entries[index] = attrs.evolve(entries[index], **{field: value})
    problems = verify_chain(entries)
    assert problems
    assert problems[0].seq == index + 1


@given(st.integers(2, 30), st.data())
def test_deleted_or_swapped_entries_are_detected(n: int, data: st.DataObject) -> None:
    entries = build(n)
    index = data.draw(st.integers(0, n - 2))
    deleted = entries[:index] + entries[index + 1 :]
    assert verify_chain(deleted)
    swapped = list(entries)
    swapped[index], swapped[index + 1] = swapped[index + 1], swapped[index]
    assert verify_chain(swapped)


def test_edited_payload_is_detected_but_redaction_is_not_a_break() -> None:
    entries = build(5)
    edited = list(entries)
    edited[2] = attrs.evolve(edited[2], payload_json='{"i":2,"note":"changed"}')
    assert [p.seq for p in verify_chain(edited)] == [3]
    redacted = list(entries)
    redacted[2] = redact(redacted[2])
    assert verify_chain(redacted) == []
    assert redacted[2].payload == {"redacted": True}


def test_marking_an_edit_as_redacted_does_not_hide_a_field_edit() -> None:
    entries = build(3)
    entries[1] = attrs.evolve(redact(entries[1]), record_id="other")
    assert verify_chain(entries)
