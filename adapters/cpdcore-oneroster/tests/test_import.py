"""Importing OneRoster exports into a store: idempotent, all or nothing, bulk and delta."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cpdcore_oneroster.folder import OneRosterFolder

from cpdcore import ActingCpd, Actor, Cpd, Role, RoleAssignment, ValidationError
from cpdcore.clocks import FixedClock
from cpdcore.domain.identifiers import SchoolId, StaffId, TrustId
from cpdcore.domain.line_management import AppraiserAssignment
from cpdcore.domain.organisation import School, StaffMember, Trust
from cpdcore.domain.roster import (
    ClassGroup,
    MisDataset,
    OutcomeAggregate,
    TeachingLink,
)
from cpdcore.serialization import to_dict

Write = Callable[..., Path]
TRUST = TrustId("trust-ml")
KINDS = (
    Trust,
    School,
    StaffMember,
    ClassGroup,
    TeachingLink,
    AppraiserAssignment,
    OutcomeAggregate,
)


def dump(cpd: Cpd) -> dict[str, Any]:
    """Every stored record of the trust (all kinds the import writes) and the audit chain."""
    with cpd.storage.unit_of_work() as uow:
        records = {
            kind.__name__: [
                to_dict(r) for r in uow.repository(kind).list(TRUST, limit=10_000).items
            ]
            for kind in KINDS
        }
        records["audit"] = [to_dict(e) for e in uow.audit.entries(TRUST, limit=10_000)]
    return records


def run(admin: ActingCpd, folder: Path) -> Any:
    return admin.import_roster(OneRosterFolder(folder))


def staff(cpd: Cpd, sourced_id: str) -> StaffMember:
    with cpd.storage.unit_of_work() as uow:
        return uow.repository(StaffMember).get(TRUST, sourced_id)


def test_first_import_creates_the_trust_schools_and_staff(
    cpd: Cpd, admin: ActingCpd, files: dict[str, str], write: Write
) -> None:
    summary = run(admin, write(files, bom=True, crlf=True))
    assert summary.of(MisDataset.ORGS).created == 3  # trust + two schools
    assert summary.of(MisDataset.STAFF).created == 7  # pupils and the parent stay out
    assert admin.trust().name == "Moorland Learning Trust"
    assert {s.name for s in admin.schools()} == {
        "Hill Brow Academy, Keighley",
        "St Mary's C of E Primary",
    }
    jose = staff(cpd, "u-jn")
    assert jose.schools == ("sch-hb", "sch-sm")
    assert jose.has_role(Role.APPRAISEE, SchoolId("sch-sm"))
    assert staff(cpd, "u-zb").has_role(Role.SCHOOL_LEADER, SchoolId("sch-sm"))
    assert staff(cpd, "u-am").has_role(Role.TRUST_LEADER, SchoolId("sch-hb"))  # trust-wide
    assert not staff(cpd, "u-gp").active and not staff(cpd, "u-hd").active
    with cpd.storage.unit_of_work() as uow:
        assert uow.repository(StaffMember).find(TRUST, "p-ot") is None
        assert uow.repository(StaffMember).find(TRUST, "g-lk") is None


def test_reimport_changes_nothing_at_all(
    cpd: Cpd, admin: ActingCpd, files: dict[str, str], write: Write
) -> None:
    folder = write(files)
    run(admin, folder)
    before = dump(cpd)
    summary = run(admin, folder)
    assert not summary.changed
    assert dump(cpd) == before  # not even an audit entry


def test_one_bad_row_leaves_the_store_unchanged(
    cpd: Cpd, admin: ActingCpd, files: dict[str, str], write: Write
) -> None:
    run(admin, write(files, name="first"))
    before = dump(cpd)
    files["users.csv"] = files["users.csv"].replace("Siobhán,O'Neill", "Siobhán,O'Neill-Byrne")
    files["roles.csv"] = files["roles.csv"].replace(
        "r7,,,u-hd,primary,aide", "r7,,,u-hd,primary,cook"
    )
    with pytest.raises(ValidationError) as caught:
        run(admin, write(files, name="second"))
    assert [p.where for p in caught.value.problems] == ["roles.csv:8"]
    assert dump(cpd) == before


def test_a_store_level_problem_also_leaves_nothing(
    cpd: Cpd,
    admin: ActingCpd,
    files: dict[str, str],
    write: Write,
    make_manifest: Callable[..., str],
) -> None:
    run(admin, write(files, name="first"))
    before = dump(cpd)
    files["manifest.csv"] = make_manifest(users="delta", roles="delta", orgs="absent")
    files["users.csv"] = (
        "sourcedId,status,dateLastModified,enabledUser,username,givenName,familyName\n"
        "u-new,active,2026-10-01T09:00:00Z,true,knew,Kit,Newman\n"
    )
    files["roles.csv"] = (
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,orgSourcedId\n"
        "r20,active,2026-10-01T09:00:00Z,u-new,primary,teacher,sch-elsewhere\n"
    )
    with pytest.raises(ValidationError) as caught:
        run(admin, write(files, name="second"))
    [problem] = caught.value.problems
    assert problem.where == "roles.csv:2"
    assert "'sch-elsewhere', which is neither the trust nor a known school" in problem.message
    assert dump(cpd) == before


def test_bulk_snapshot_deactivates_staff_it_no_longer_lists(
    cpd: Cpd, admin: ActingCpd, files: dict[str, str], write: Write
) -> None:
    run(admin, write(files, name="first"))
    files["users.csv"] = (
        "\n".join(line for line in files["users.csv"].splitlines() if ",u-so," not in line) + "\n"
    )
    files["roles.csv"] = files["roles.csv"].replace(
        "r1,,,u-so,primary,teacher,2019-09-01,,sch-hb,\n", ""
    )
    files["enrollments.csv"] = files["enrollments.csv"].replace(
        "e1,,,k-9x,sch-hb,u-so,teacher,true,,\n", ""
    )
    files["line_management.csv"] = files["line_management.csv"].replace("u-so,u-na,2026-27\n", "")
    summary = run(admin, write(files, name="second"))
    assert summary.of(MisDataset.STAFF).deactivated == 1
    left = staff(cpd, "u-so")
    assert not left.active and left.given_name == "Siobhán"  # history kept, never deleted
    with cpd.storage.unit_of_work() as uow:
        link = uow.repository(TeachingLink).get(TRUST, "k-9x/u-so")
    assert not link.active


def test_delta_updates_adds_and_deactivates_exactly_what_it_says(
    cpd: Cpd,
    admin: ActingCpd,
    files: dict[str, str],
    write: Write,
    make_manifest: Callable[..., str],
) -> None:
    run(admin, write(files, name="first"))
    before = {s.id: s for s in admin.list_staff(limit=100).items}
    files = {
        "manifest.csv": make_manifest(
            users="delta",
            roles="delta",
            orgs="absent",
            classes="absent",
            courses="absent",
            academicSessions="absent",
            enrollments="delta",
        ),
        "users.csv": (
            "sourcedId,status,dateLastModified,enabledUser,username,givenName,familyName,email\n"
            "u-so,active,2026-10-01T09:00:00Z,true,soneill,Siobhán,O'Neill-Byrne,sob@m.example\n"
            "u-gp,active,2026-10-01T09:00:00Z,true,gprice,Gareth,Price,gprice@moorland.example\n"
            "u-new,active,2026-10-01T09:00:00Z,true,knew,Kit,Newman,kit@moorland.example\n"
            "u-zb,tobedeleted,2026-10-01T09:00:00Z,,,,,\n"
        ),
        "roles.csv": (
            "sourcedId,status,dateLastModified,userSourcedId,roleType,role,orgSourcedId\n"
            "r20,active,2026-10-01T09:00:00Z,u-new,primary,aide,sch-sm\n"
            "r9,tobedeleted,2026-10-01T09:00:00Z,u-na,secondary,teacher,sch-hb\n"
            "r21,active,2026-10-01T09:00:00Z,u-jn,secondary,counselor,sch-sm\n"
        ),
        "enrollments.csv": (
            "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role\n"
            "e5,tobedeleted,2026-10-01T09:00:00Z,k-9x,sch-hb,u-jn,teacher\n"
            "e9,active,2026-10-01T09:00:00Z,k-oak,sch-sm,u-new,teacher\n"
        ),
    }
    summary = run(admin, write(files, name="delta"))
    counts = summary.of(MisDataset.STAFF)
    assert (counts.created, counts.updated, counts.deactivated) == (1, 4, 1)
    assert staff(cpd, "u-so").family_name == "O'Neill-Byrne"
    assert staff(cpd, "u-gp").active  # re-enabled
    assert not staff(cpd, "u-zb").active  # tobedeleted: inactive, never deleted
    assert [r.role for r in staff(cpd, "u-na").mis_roles] == ["siteAdministrator"]
    assert {r.role for r in staff(cpd, "u-jn").mis_roles} == {"teacher", "counselor"}
    assert staff(cpd, "u-new").has_role(Role.APPRAISEE, SchoolId("sch-sm"))
    untouched = {"u-am", "u-hd"}
    assert all(staff(cpd, s) == before[StaffId(s)] for s in untouched)
    assert admin.schools()  # orgs absent: schools stay
    with cpd.storage.unit_of_work() as uow:
        links = {link.id: link.active for link in uow.repository(TeachingLink).list(TRUST).items}
        classes = {c.id: c.pupils for c in uow.repository(ClassGroup).list(TRUST).items}
    assert links == {"k-9x/u-so": True, "k-oak/u-jn": True, "k-9x/u-jn": False, "k-oak/u-new": True}
    assert classes == {"k-9x": 1, "k-oak": 1}  # sizes are kept: a delta cannot recount them


def test_absent_files_leave_earlier_data(
    cpd: Cpd,
    admin: ActingCpd,
    files: dict[str, str],
    write: Write,
    make_manifest: Callable[..., str],
) -> None:
    run(admin, write(files, name="first"))
    before = dump(cpd)
    only_orgs = {
        "manifest.csv": make_manifest(
            users="absent",
            roles="absent",
            classes="absent",
            courses="absent",
            academicSessions="absent",
            enrollments="absent",
        ),
        "orgs.csv": files["orgs.csv"],
    }
    summary = run(admin, write(only_orgs, name="orgs-only"))
    assert not summary.changed
    assert dump(cpd) == before


def test_class_sizes_media_consent_and_outcomes_are_aggregates(
    cpd: Cpd, admin: ActingCpd, files: dict[str, str], write: Write
) -> None:
    run(admin, write(files))
    with cpd.storage.unit_of_work() as uow:
        classes = {c.id: c for c in uow.repository(ClassGroup).list(TRUST).items}
        outcomes = uow.repository(OutcomeAggregate).list(TRUST).items
    assert classes["k-9x"].pupils == 1 and classes["k-9x"].media_restricted
    assert not classes["k-oak"].media_restricted
    assert "p-ot" not in str(classes) + str(outcomes)  # no pupil is named anywhere
    year9 = [o for o in outcomes if o.group_type == "year"]
    assert [(o.week_start, o.homework_completed) for o in year9] == [(date(2026, 9, 7), 1904)]


def test_line_management_and_a_mid_year_change_keeps_history(
    files: dict[str, str], write: Write
) -> None:
    clock = FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    cpd = Cpd.open("memory://", clock=clock)
    admin = cpd.as_actor(Actor.system(TRUST, "MIS import"))
    run(admin, write(files, name="first"))
    assert admin.current_appraiser(StaffId("u-so")) == "u-na"
    files["line_management.csv"] = files["line_management.csv"].replace("u-so,u-na", "u-so,u-zb")
    summary = run(admin, write(files, name="second"))
    assert summary.of(MisDataset.LINE_MANAGEMENT).created == 1
    history = admin.appraiser_history(StaffId("u-so"), "2026-27")
    assert [(a.appraiser_id, a.starts_on, a.ends_on) for a in history] == [
        ("u-na", None, date(2026, 11, 1)),
        ("u-zb", date(2026, 11, 2), None),
    ]
    assert admin.current_appraiser(StaffId("u-so")) == "u-zb"
    assert not run(admin, write(files, name="third")).changed


def test_manual_roles_survive_a_reimport(
    cpd: Cpd, admin: ActingCpd, files: dict[str, str], write: Write
) -> None:
    folder = write(files)
    run(admin, folder)
    admin.assign_role(StaffId("u-so"), RoleAssignment(Role.FACILITATOR, SchoolId("sch-hb")))
    run(admin, folder)
    assert staff(cpd, "u-so").has_role(Role.FACILITATOR, SchoolId("sch-hb"))


def test_only_trust_administrators_may_import(
    cpd: Cpd, files: dict[str, str], write: Write
) -> None:
    teacher = Actor(TRUST, StaffId("u-so"), (RoleAssignment(Role.APPRAISEE, SchoolId("sch-hb")),))
    with pytest.raises(Exception, match="needs the role administrator or trust_leader"):
        cpd.as_actor(teacher).import_roster(OneRosterFolder(write(files)))


def test_the_district_must_be_the_trust_imported_into(
    cpd: Cpd, files: dict[str, str], write: Write
) -> None:
    other = cpd.as_actor(Actor.system(TrustId("trust-other"), "MIS import"))
    with pytest.raises(ValidationError) as caught:
        other.import_roster(OneRosterFolder(write(files)))
    assert caught.value.problems[0].where == "orgs.csv:2"
    assert "is not the trust being imported into ('trust-other')" in str(caught.value)


def test_served_through_the_plugin_url(files: dict[str, str], write: Write) -> None:
    folder = write(files)
    cpd = Cpd.open("memory://", mis=f"oneroster+file://{folder}")
    admin = cpd.as_actor(Actor.system(TRUST, "MIS import"))
    assert admin.import_roster().of(MisDataset.STAFF).created == 7
