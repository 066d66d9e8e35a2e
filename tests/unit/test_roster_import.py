"""The MIS import use case against the in-memory MIS source: the rules, adapter-free."""

from __future__ import annotations

import csv
import gc
import io
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpdcore import ActingCpd, Actor, Cpd, PermissionDenied, Role, RoleAssignment, ValidationError
from cpdcore.cli.staff import EXPORT_HEADER, roster_csv
from cpdcore.clocks import FixedClock
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.roster import (
    FeedMode,
    LineManagementRow,
    MisClass,
    MisDataset,
    MisOrg,
    MisOrgKind,
    MisStaff,
    MisStaffRole,
    PupilMediaConsent,
    TeacherClassLink,
)
from cpdcore.memory import InMemoryMisSource
from cpdcore.services.roster import ROLE_MEANINGS, cpd_roles_for

TRUST = TrustId("t1")
ORGS = [
    MisOrg("t1", "Fenland Schools Trust", MisOrgKind.TRUST),
    MisOrg("s-a", "Ash Grove Primary", MisOrgKind.SCHOOL, "t1"),
    MisOrg("s-b", "Beech Hill School", MisOrgKind.SCHOOL, "t1"),
]


def person(sid: str, *roles: tuple[str, str], active: bool = True, **extra: object) -> MisStaff:
    return MisStaff(
        sid,
        extra.pop("given", "Given"),  # type: ignore[arg-type]
        extra.pop("family", sid.upper()),  # type: ignore[arg-type]
        f"{sid}@example.org",
        tuple(MisStaffRole(org, role, i == 0) for i, (org, role) in enumerate(roles)),
        active,
    )


def source(**lists: object) -> InMemoryMisSource:
    return InMemoryMisSource(orgs_=list(ORGS), **lists)  # type: ignore[arg-type]


def open_trust(clock_day: date = date(2026, 10, 5)) -> tuple[Cpd, ActingCpd]:
    clock = FixedClock(datetime(clock_day.year, clock_day.month, clock_day.day, 9, tzinfo=UTC))
    cpd = Cpd.open("memory://", clock=clock, entry_points=False)
    return cpd, cpd.as_actor(Actor.system(TRUST, "MIS import"))


def staff_of(admin: ActingCpd) -> dict[str, object]:
    return {s.id: s for s in admin.list_staff(limit=1000).items}


@pytest.mark.parametrize(
    ("role", "org", "expected"),
    [
        ("teacher", "s-a", {(Role.APPRAISEE, "s-a"), (Role.OBSERVER, "s-a")}),
        ("aide", "s-b", {(Role.APPRAISEE, "s-b"), (Role.OBSERVER, "s-b")}),
        (
            "principal",
            "s-a",
            {
                (Role.SCHOOL_LEADER, "s-a"),
                (Role.APPRAISER, "s-a"),
                (Role.OBSERVER, "s-a"),
                (Role.APPRAISEE, "s-a"),
            },
        ),
        ("districtAdministrator", "s-a", {(Role.TRUST_LEADER, None)}),
        ("systemAdministrator", "t1", {(Role.ADMINISTRATOR, None)}),
        ("administrator", "s-b", {(Role.ADMINISTRATOR, "s-b")}),
        ("student", "s-a", set()),
        ("ext:librarian", "s-a", set()),
    ],
)
def test_role_table(role: str, org: str, expected: set[tuple[Role, str | None]]) -> None:
    schools = {"s-a": SchoolId("s-a"), "s-b": SchoolId("s-b")}
    got = cpd_roles_for(MisStaffRole(org, role), TRUST, schools)
    assert {(a.role, a.school_id) for a in got} == expected


def test_every_staff_role_of_the_spec_has_a_meaning() -> None:
    staff_roles = {
        "aide",
        "counselor",
        "districtAdministrator",
        "principal",
        "proctor",
        "siteAdministrator",
        "systemAdministrator",
        "teacher",
        "administrator",
    }
    assert set(ROLE_MEANINGS) == staff_roles


def test_pupils_and_parents_never_become_staff() -> None:
    _cpd, admin = open_trust()
    admin.import_roster(
        source(
            staff_=[
                person("u1", ("s-a", "teacher")),
                person("p1", ("s-a", "student")),
                person("g1", ("s-b", "guardian"), ("s-b", "parent")),
            ]
        )
    )
    assert set(staff_of(admin)) == {"u1"}


def test_needs_an_administrator() -> None:
    cpd, _admin = open_trust()
    leader = Actor(TRUST, StaffId("x"), (RoleAssignment(Role.SCHOOL_LEADER, SchoolId("s-a")),))
    with pytest.raises(PermissionDenied):
        cpd.as_actor(leader).import_roster(source())


def test_every_reference_problem_is_reported_at_once() -> None:
    cpd, admin = open_trust()
    bad = source(
        staff_=[person("u1", ("s-z", "teacher")), person("u1", ("s-a", "teacher"))],
        classes_=[MisClass("c1", "s-q", "7Y Art")],
        links_=[TeacherClassLink("u9", "c9")],
        line_management_=[LineManagementRow("u1", "u7", "2026-27")],
    )
    with pytest.raises(ValidationError) as caught:
        admin.import_roster(bad)
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 6, messages
    assert any("'s-z', which is neither the trust nor a known school" in m for m in messages)
    assert any("listed twice" in m for m in messages)
    assert any("'s-q', which is not a known school" in m for m in messages)
    assert any("teacher 'u9' is not a known staff member" in m for m in messages)
    assert any("class 'c9' is not a known class" in m for m in messages)
    assert any("'u7' is not a known staff member" in m for m in messages)
    assert cpd.storage.tenants() == []  # not even the trust was created


def test_delta_without_details_for_an_unknown_person_is_a_problem() -> None:
    _cpd, admin = open_trust()
    delta = source(
        staff_=[MisStaff("u5", "", "", roles=(MisStaffRole("s-a", "teacher"),), has_details=False)],
        modes_={MisDataset.STAFF: FeedMode.DELTA},
    )
    with pytest.raises(ValidationError, match="roles changed for 'u5', who is not in this export"):
        admin.import_roster(delta)


def test_media_consent_counts_pupils_without_naming_them() -> None:
    cpd, admin = open_trust()
    admin.import_roster(
        source(
            classes_=[MisClass("c1", "s-a", "Year 4 Willow", 3)],
            media_consent_=[
                PupilMediaConsent("p1", "c1", False),
                PupilMediaConsent("p2", "c1", False),
                PupilMediaConsent("p3", "c1", True),
            ],
        )
    )
    from cpdcore.domain.roster import ClassGroup

    with cpd.storage.unit_of_work() as uow:
        group = uow.repository(ClassGroup).get(TRUST, "c1")
    assert (group.pupils, group.pupils_without_media_consent) == (3, 2)
    assert group.media_restricted


def test_a_bulk_line_management_file_closes_what_it_no_longer_lists() -> None:
    _cpd, admin = open_trust()
    people = [
        person("u1", ("s-a", "teacher")),
        person("u2", ("s-a", "principal")),
        person("u3", ("s-a", "teacher")),
    ]
    admin.import_roster(
        source(
            staff_=people,
            line_management_=[
                LineManagementRow("u1", "u2", "2026-27"),
                LineManagementRow("u3", "u2", "2026-27"),
            ],
        )
    )
    summary = admin.import_roster(
        source(staff_=people, line_management_=[LineManagementRow("u1", "u2", "2026-27")])
    )
    assert summary.of(MisDataset.LINE_MANAGEMENT).deactivated == 1
    assert admin.current_appraiser(StaffId("u3")) is None
    assert admin.current_appraiser(StaffId("u1")) == "u2"


def test_next_years_appraiser_is_corrected_in_place() -> None:
    _cpd, admin = open_trust()
    people = [
        person("u1", ("s-a", "teacher")),
        person("u2", ("s-a", "principal")),
        person("u3", ("s-b", "principal")),
    ]
    admin.import_roster(
        source(staff_=people, line_management_=[LineManagementRow("u1", "u2", "2027-28")])
    )
    admin.import_roster(
        source(staff_=people, line_management_=[LineManagementRow("u1", "u3", "2027-28")])
    )
    history = admin.appraiser_history(StaffId("u1"), "2027-28")
    assert [(a.appraiser_id, a.starts_on, a.ends_on) for a in history] == [("u3", None, None)]


def test_roster_export_rows_and_csv_format() -> None:
    _cpd, admin = open_trust()
    admin.import_roster(
        source(
            staff_=[
                person(
                    "u2", ("s-b", "teacher"), ("s-a", "aide"), family="O'Hara, Jr", given="Seán"
                ),
                person(
                    "u1",
                    ("s-a", "teacher"),
                    ("s-a", "siteAdministrator"),
                    family="Abbott",
                    active=False,
                ),
                person("u3", ("t1", "districtAdministrator"), family="Zed"),
            ]
        )
    )
    admin.add_staff(
        "Hand",
        "Made",
        roles=[RoleAssignment(Role.SCHOOL_LEADER, SchoolId("s-b"))],
        staff_id=StaffId("m1"),
    )
    text = roster_csv(admin.staff_roster())
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == EXPORT_HEADER
    assert rows[1:] == [
        ["u1", "s-a", "Given", "Abbott", "u1@example.org", "siteAdministrator;teacher", "false"],
        ["u2", "s-a", "Seán", "O'Hara, Jr", "u2@example.org", "aide", "true"],
        ["m1", "s-b", "Hand", "Made", "", "principal", "true"],
        ["u2", "s-b", "Seán", "O'Hara, Jr", "u2@example.org", "teacher", "true"],
        ["u3", "t1", "Given", "Zed", "u3@example.org", "districtAdministrator", "true"],
    ]
    assert '"O\'Hara, Jr"' in text and "\r" not in text


# Laws ---------------------------------------------------------------------------------------
ROLE_NAMES = st.sampled_from(["teacher", "aide", "principal", "counselor", "student", "parent"])
PEOPLE = st.dictionaries(
    st.sampled_from([f"u{i}" for i in range(5)]),
    st.tuples(
        st.lists(st.tuples(st.sampled_from(["s-a", "s-b"]), ROLE_NAMES), max_size=3), st.booleans()
    ),
    max_size=5,
)


def _people(spec: dict[str, tuple[list[tuple[str, str]], bool]]) -> list[MisStaff]:
    return [person(sid, *roles, active=active) for sid, (roles, active) in sorted(spec.items())]


@settings(max_examples=150, deadline=None)
@given(first=PEOPLE, second=PEOPLE)
def test_a_bulk_import_is_a_snapshot_and_repeating_it_is_a_no_op(
    first: dict[str, tuple[list[tuple[str, str]], bool]],
    second: dict[str, tuple[list[tuple[str, str]], bool]],
) -> None:
    """After A then B, active staff are exactly B's active staff; B again changes nothing."""
    cpd, admin = open_trust()
    admin.import_roster(source(staff_=_people(first)))
    admin.import_roster(source(staff_=_people(second)))
    staff_roles = {"teacher", "aide", "principal", "counselor"}
    expected = {
        sid
        for sid, (roles, active) in second.items()
        if active and any(r in staff_roles for _o, r in roles)
    }
    active = {s.id for s in admin.list_staff(active=True, limit=1000).items}
    assert active == expected
    before = cpd.storage._snapshot()  # type: ignore[attr-defined]
    assert not admin.import_roster(source(staff_=_people(second))).changed
    assert cpd.storage._snapshot() == before  # type: ignore[attr-defined]


@pytest.mark.parametrize("running", [True, False])
def test_an_import_leaves_the_garbage_collector_as_it_found_it(running: bool) -> None:
    # The import pauses the collector for speed; it must resume it, also after a failure,
    # and must not start one a host has switched off.
    _cpd, admin = open_trust()
    was = gc.isenabled()
    try:
        (gc.enable if running else gc.disable)()
        admin.import_roster(source(staff_=[person("u1", ("s-a", "teacher"))]))
        assert gc.isenabled() is running
        with pytest.raises(ValidationError):
            admin.import_roster(source(staff_=[person("u2", ("s-z", "teacher"))]))
        assert gc.isenabled() is running
    finally:
        (gc.enable if was else gc.disable)()


def test_people_with_the_same_roles_each_get_exactly_their_own() -> None:
    # Role tuples are worked out once per combination of roles; each person still gets
    # exactly the roles the MIS lists for them.
    _cpd, admin = open_trust()
    admin.import_roster(
        source(
            staff_=[
                person("u1", ("s-a", "teacher")),
                person("u2", ("s-a", "teacher")),
                person("u3", ("s-a", "teacher"), ("s-b", "aide")),
                person("u4", ("s-b", "aide"), ("s-a", "teacher")),
                person("u5", ("s-a", "principal")),
            ]
        )
    )
    staff = {s.id: s for s in admin.list_staff().items}
    assert staff["u1"].mis_roles == staff["u2"].mis_roles == (MisStaffRole("s-a", "teacher", True),)
    assert [(r.org_sourced_id, r.role, r.primary) for r in staff["u3"].mis_roles] == [
        ("s-a", "teacher", True),
        ("s-b", "aide", False),
    ]
    assert [(r.org_sourced_id, r.role, r.primary) for r in staff["u4"].mis_roles] == [
        ("s-a", "teacher", False),
        ("s-b", "aide", True),
    ]
    assert set(staff["u5"].roles) == {
        RoleAssignment(role, SchoolId("s-a"))
        for role in (Role.SCHOOL_LEADER, Role.APPRAISER, Role.OBSERVER, Role.APPRAISEE)
    }
    assert set(staff["u1"].roles) == {
        RoleAssignment(Role.APPRAISEE, SchoolId("s-a")),
        RoleAssignment(Role.OBSERVER, SchoolId("s-a")),
    }
