"""Consent records: validity, the active window, lookup preferences, and the firewall
as stated by released_for_appraisal; retention arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import hypothesis.strategies as st
import pytest
from hypothesis import given

from cpdcore.domain.consent import (
    Audience,
    ConsentRecord,
    ItemKind,
    ItemRef,
    Purpose,
    find_consent,
    withdraw,
)
from cpdcore.domain.evidence import Evidence, EvidenceKind, EvidencePurpose, released_for_appraisal
from cpdcore.domain.identifiers import EvidenceId, SchoolId, StaffId, TrustId
from cpdcore.domain.retention import (
    DEFAULT_POLICY,
    RetentionCategory,
    RetentionPolicy,
    category_of_evidence,
    due,
)
from cpdcore.errors import ValidationError
from cpdcore.serialization import from_dict, to_dict

AT = datetime(2026, 10, 1, 9, tzinfo=UTC)
ITEM = ItemRef(ItemKind.EVIDENCE, "e1")


def consent(**changes: object) -> ConsentRecord:
    values: dict[str, object] = {
        "id": "c1",
        "trust_id": TrustId("t"),
        "subject_id": StaffId("amy"),
        "item_kind": ItemKind.EVIDENCE,
        "item_id": "e1",
        "purpose": Purpose.APPRAISAL_EVIDENCE,
        "audience": Audience.LINE_MANAGER,
        "granted_at": AT,
        "granted_by": "amy",
        "wording": "I agree.",
        "wording_version": "1",
    }
    values.update(changes)
    return ConsentRecord(**values)  # type: ignore[arg-type]


def evidence(purpose: EvidencePurpose = EvidencePurpose.DEVELOPMENTAL, **kw: object) -> Evidence:
    return Evidence(
        id=EvidenceId("e1"),
        trust_id=TrustId("t"),
        school_id=SchoolId("north"),
        owner_id=StaffId("amy"),
        author_id="amy",
        kind=EvidenceKind.REFLECTION,
        title="t",
        captured_on=date(2026, 10, 1),
        recorded_at=AT,
        text="x",
        purpose=purpose,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"wording": " "}, "wording"),
        ({"wording_version": ""}, "wording_version"),
        ({"expires_at": AT}, "expires_at"),
        ({"withdrawn_at": AT - timedelta(1)}, "withdrawn_at"),
        ({"group_id": "club"}, "group_id"),
        ({"subject_id": ""}, "subject_id"),
    ],
)
def test_invalid_records_are_rejected_with_the_field(
    changes: dict[str, object], where: str
) -> None:
    with pytest.raises(ValidationError) as info:
        consent(**changes)
    assert where in [p.where for p in info.value.problems]


@given(
    offset=st.integers(-100, 100),
    expires=st.none() | st.integers(1, 50),
    withdrawn=st.none() | st.integers(0, 50),
)
def test_a_consent_is_active_exactly_inside_its_window(
    offset: int, expires: int | None, withdrawn: int | None
) -> None:
    record = consent(
        expires_at=None if expires is None else AT + timedelta(hours=expires),
        withdrawn_at=None if withdrawn is None else AT + timedelta(hours=withdrawn),
    )
    moment = AT + timedelta(hours=offset)
    expected = (
        offset >= 0
        and (expires is None or offset < expires)
        and (withdrawn is None or offset < withdrawn)
    )
    assert record.active(moment) is expected


def test_withdrawing_keeps_the_first_time_and_never_precedes_the_grant() -> None:
    once = withdraw(consent(), at=AT + timedelta(1), by="amy")
    assert withdraw(once, at=AT + timedelta(2), by="amy") == once
    assert withdraw(consent(), at=AT - timedelta(1), by="amy").withdrawn_at == AT


def test_item_specific_consent_wins_and_category_consent_is_ignored_when_asked() -> None:
    category = consent(id="cat", item_id=None)
    item = consent(id="item", granted_at=AT - timedelta(1))
    found = find_consent(
        [category, item],
        subject_id="amy",
        item=ITEM,
        purpose=Purpose.APPRAISAL_EVIDENCE,
        audience=Audience.LINE_MANAGER,
        as_of=AT,
    )
    assert found is item
    assert (
        find_consent(
            [category],
            subject_id="amy",
            item=ITEM,
            purpose=Purpose.APPRAISAL_EVIDENCE,
            audience=Audience.LINE_MANAGER,
            as_of=AT,
            item_specific=True,
        )
        is None
    )


@pytest.mark.parametrize(
    ("record", "purpose", "allowed"),
    [
        ({}, EvidencePurpose.DEVELOPMENTAL, True),
        ({"item_id": None}, EvidencePurpose.DEVELOPMENTAL, False),
        ({"item_id": None}, EvidencePurpose.FORMAL, True),
        ({"purpose": Purpose.TRAINING_LIBRARY}, EvidencePurpose.DEVELOPMENTAL, False),
        ({"audience": Audience.TRUST}, EvidencePurpose.DEVELOPMENTAL, False),
        ({"subject_id": StaffId("bob")}, EvidencePurpose.DEVELOPMENTAL, False),
        ({"item_id": "e2"}, EvidencePurpose.DEVELOPMENTAL, False),
        ({"withdrawn_at": AT}, EvidencePurpose.DEVELOPMENTAL, False),
    ],
)
def test_the_firewall_needs_an_item_consent_for_developmental_items(
    record: dict[str, object], purpose: EvidencePurpose, allowed: bool
) -> None:
    item = evidence(purpose)
    assert released_for_appraisal(item, [consent(**record)], AT) is allowed
    assert not released_for_appraisal(item)  # fail closed without consents


def test_item_references_parse_and_name_the_accepted_kinds() -> None:
    assert ItemRef.parse("clip:c42") == ItemRef(ItemKind.CLIP, "c42")
    assert str(ItemRef(ItemKind.OBSERVATION, "o1")) == "observation:o1"
    with pytest.raises(ValidationError, match="evidence, observation, clip"):
        ItemRef.parse("video:1")


def test_consent_records_round_trip() -> None:
    record = consent(expires_at=AT + timedelta(days=30))
    assert from_dict(ConsentRecord, to_dict(record)) == record


def test_retention_defaults_and_due_dates() -> None:
    media = DEFAULT_POLICY.rule(RetentionCategory.DEVELOPMENTAL_MEDIA)
    appraisal = DEFAULT_POLICY.rule(RetentionCategory.APPRAISAL_RECORDS)
    assert (media.months, appraisal.months) == (12, 72)
    assert not due(media, date(2026, 10, 1), date(2027, 9, 30))
    assert due(media, date(2026, 10, 1), date(2027, 10, 1))
    assert not due(appraisal, None, date(2099, 1, 1)), "nothing expires before leaving"
    assert category_of_evidence(evidence(EvidencePurpose.FORMAL)) is (
        RetentionCategory.APPRAISAL_RECORDS
    )
    with pytest.raises(ValidationError, match="every category needs one"):
        RetentionPolicy(DEFAULT_POLICY.rules[:-1])
    with pytest.raises(ValidationError, match="zero or more"):
        DEFAULT_POLICY.with_months(RetentionCategory.SHARES, -1)
