"""The converter: JSON-safe round trips and path-addressed errors for untrusted input."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpdcore.domain.audit import AuditEntry, chain_entry
from cpdcore.domain.identifiers import DepartmentId, SchoolId, StaffId, TrustId
from cpdcore.domain.organisation import Role, RoleAssignment, School, StaffMember, Trust
from cpdcore.errors import ValidationError
from cpdcore.serialization import SCHEMA_VERSION, dumps, from_dict, loads, to_dict


@attrs.frozen
class Criterion:
    target: float
    unit: str


@attrs.frozen
class Plan:
    title: str
    due: date
    hours: Decimal
    criteria: tuple[Criterion, ...] = ()


@attrs.frozen
class Pack:
    plans: tuple[Plan, ...]


names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1).filter(str.strip)
ids = st.text("abcdef0123456789-", min_size=1, max_size=20)
roles = st.builds(RoleAssignment, st.sampled_from(Role), st.none() | ids.map(SchoolId))
staff = st.builds(
    StaffMember,
    id=ids.map(StaffId),
    trust_id=ids.map(TrustId),
    given_name=names,
    family_name=names,
    email=st.emails(),
    roles=st.lists(roles, max_size=4).map(tuple),
    departments=st.lists(ids.map(DepartmentId), max_size=3).map(tuple),
    active=st.booleans(),
    sourced_id=st.none() | ids,
    version=st.integers(0, 10_000),
)


@given(staff)
def test_staff_round_trip_through_json(member: StaffMember) -> None:
    assert loads(StaffMember, dumps(member)) == member


@given(
    st.builds(Trust, ids.map(TrustId), names),
    st.builds(School, ids.map(SchoolId), ids.map(TrustId), names),
)
def test_trust_and_school_round_trip(trust: Trust, school: School) -> None:
    assert from_dict(Trust, to_dict(trust)) == trust
    assert from_dict(School, to_dict(school)) == school


@given(st.dictionaries(st.text(max_size=10), st.integers() | st.text(max_size=10), max_size=5))
def test_audit_entry_round_trip(payload: dict[str, object]) -> None:
    entry = chain_entry(
        None,
        trust_id=TrustId("t"),
        at=datetime(2026, 9, 1, tzinfo=UTC),
        actor_id="a",
        action="x",
        record_kind="K",
        record_id="r",
        payload=payload,
    )
    assert from_dict(AuditEntry, to_dict(entry)) == entry


def test_to_dict_is_json_safe_and_versioned() -> None:
    plan = Plan("Hinge questions", date(2027, 3, 31), Decimal("1.5"), (Criterion(75.0, "%"),))
    data = to_dict(plan)
    assert data["schema_version"] == SCHEMA_VERSION
    assert json.loads(json.dumps(data)) == data
    assert data["due"] == "2027-03-31"
    assert data["hours"] == "1.5"


def test_every_error_is_reported_with_its_path() -> None:
    bad = {
        "plans": [
            {"title": "ok", "due": "2027-03-31", "hours": "2", "criteria": []},
            {"title": "ok", "due": "2027-03-31", "hours": "2", "criteria": []},
            {
                "title": 7,
                "due": "31/03/2027",
                "hours": "two",
                "criteria": [{"target": "lots", "unit": "%"}],
            },
        ]
    }
    with pytest.raises(ValidationError) as caught:
        from_dict(Pack, bad)
    by_path = {p.where: p.message for p in caught.value.problems}
    assert by_path["plans[2].criteria[0].target"] == "expected a number, got 'lots'"
    assert by_path["plans[2].title"] == "expected text, got 7"
    assert "YYYY-MM-DD" in by_path["plans[2].due"]
    assert "decimal" in by_path["plans[2].hours"]
    assert len(caught.value.problems) == 4


def test_unknown_keys_and_missing_fields_are_errors() -> None:
    with pytest.raises(ValidationError) as caught:
        from_dict(Criterion, {"unit": "%", "colour": "red"})
    text = str(caught.value)
    assert "target" in text
    assert "colour" in text


def test_strings_are_not_silently_coerced_to_numbers() -> None:
    with pytest.raises(ValidationError, match="expected a number, got '12'"):
        from_dict(Criterion, {"target": "12", "unit": "%"})


def test_enums_list_accepted_values() -> None:
    with pytest.raises(ValidationError, match="appraisee"):
        from_dict(RoleAssignment, {"role": "headmaster", "school_id": None})


def test_domain_validators_surface_with_the_field() -> None:
    with pytest.raises(ValidationError, match="name"):
        from_dict(School, {"id": "s1", "trust_id": "t1", "name": "  "})


def test_naive_datetimes_are_rejected() -> None:
    entry = to_dict(
        chain_entry(
            None,
            trust_id=TrustId("t"),
            at=datetime(2026, 9, 1, tzinfo=UTC),
            actor_id="a",
            action="x",
            record_kind="K",
            record_id="r",
        )
    )
    entry["at"] = "2026-09-01T08:00:00"
    with pytest.raises(ValidationError, match="offset"):
        from_dict(AuditEntry, entry)


def test_newer_schema_version_is_refused() -> None:
    with pytest.raises(ValidationError, match="schema_version"):
        from_dict(Trust, {"schema_version": SCHEMA_VERSION + 1, "id": "t", "name": "n"})


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(ValidationError, match="line 1 column"):
        loads(Trust, "{not json")
