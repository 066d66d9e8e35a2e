"""Reading an export: encodings, quoting, headers, and every kind of problem, each reported
as ``file:line`` with its field, all of them at once."""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from cpdcore_oneroster.bundle import read_bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpdcore.domain.roster import FeedMode, MisDataset, MisOrgKind
from cpdcore.errors import ValidationError

Write = Callable[..., Path]


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        read_bundle(folder)
    return [str(p) for p in caught.value.problems]


def replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# Encodings and quoting ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bom", "crlf"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_bom_and_line_ends_read_the_same(
    files: dict[str, str], write: Write, bom: bool, crlf: bool
) -> None:
    plain = read_bundle(write(files, name="plain"))
    variant = read_bundle(write(files, name="variant", bom=bom, crlf=crlf))
    assert variant.staff == plain.staff
    assert variant.classes == plain.classes
    assert variant.orgs == plain.orgs


def test_accents_apostrophes_and_quoted_commas_survive(files: dict[str, str], write: Write) -> None:
    bundle = read_bundle(write(files, bom=True, crlf=True))
    names = {s.sourced_id: (s.given_name, s.family_name) for s in bundle.staff}
    assert names["u-so"] == ("Siobhán", "O'Neill")
    assert names["u-zb"] == ("Zoë", "Brontë-Smith")
    assert names["u-jn"] == ("José", "Núñez")
    schools = {o.sourced_id: o.name for o in bundle.orgs}
    assert schools["sch-hb"] == "Hill Brow Academy, Keighley"
    assert {c.sourced_id: c.title for c in bundle.classes}["k-9x"] == "9X Science, set 2"


def test_a_quoted_line_break_keeps_later_line_numbers_right(
    files: dict[str, str], write: Write
) -> None:
    files["orgs.csv"] = replace(
        files["orgs.csv"], '"Hill Brow Academy, Keighley"', '"Hill Brow Academy,\nKeighley"'
    )
    files["orgs.csv"] = replace(
        files["orgs.csv"], "dep-sci,,,Science,department", "dep-sci,,,Science,planet"
    )
    assert problems_of(write(files)) == [
        "orgs.csv:6: field 'type': 'planet' is not one of department, district, local, "
        "national, school, state or ext:<name>"
    ]


def test_unknown_and_metadata_columns_are_ignored_and_order_does_not_matter(
    files: dict[str, str], write: Write
) -> None:
    bundle = read_bundle(write(files))
    assert "notes" not in str(bundle.staff)
    assert {o.kind for o in bundle.orgs} == {MisOrgKind.TRUST, MisOrgKind.SCHOOL}


def test_not_utf8_is_reported_with_its_line(files: dict[str, str], write: Write) -> None:
    folder = write(files)
    data = (folder / "users.csv").read_bytes().replace("Zoë".encode(), b"Zo\xeb")
    (folder / "users.csv").write_bytes(data)
    assert problems_of(folder) == [
        "users.csv:3: byte 0xeb is not UTF-8 text; save the file as UTF-8 (with or without "
        "a byte-order mark)"
    ]


def test_broken_quoting_is_reported(files: dict[str, str], write: Write) -> None:
    files["classes.csv"] += 'k-bad,,,"Unclosed title,09,c-sci9,X,scheduled,,sch-hb,y2026,,,\n'
    found = problems_of(write(files))
    assert len(found) == 1
    assert found[0].startswith("classes.csv:4: not valid CSV")


def test_a_row_with_the_wrong_number_of_fields(files: dict[str, str], write: Write) -> None:
    files["courses.csv"] += "c-extra,,,y2026,Art, with a comma,ART,09,sch-hb,,\n"
    assert problems_of(write(files)) == [
        "courses.csv:4: the row has 11 fields but the header has 10; quote values that "
        "contain commas"
    ]


# Headers ----------------------------------------------------------------------------------
def test_misspelled_required_column_names_it_and_the_accepted_ones(
    files: dict[str, str], write: Write
) -> None:
    files["roles.csv"] = replace(files["roles.csv"], "roleType", "roleTpye")
    [problem] = problems_of(write(files))
    assert problem.startswith(
        "roles.csv:1: required column 'roleType' is missing (the header has 'roleTpye', "
        "perhaps a misspelling); accepted columns: sourcedId, status, dateLastModified, "
        "userSourcedId, roleType, role,"
    )


def test_header_names_are_case_sensitive(files: dict[str, str], write: Write) -> None:
    files["users.csv"] = replace(files["users.csv"], "givenName", "givenname")
    [problem] = problems_of(write(files))
    assert "required column 'givenName' is missing (the header has 'givenname'; column " in problem


def test_duplicate_header_and_empty_file(files: dict[str, str], write: Write) -> None:
    files["orgs.csv"] = replace(files["orgs.csv"], "identifier", "name")
    files["courses.csv"] = ""
    found = problems_of(write(files))
    assert "orgs.csv:1: column 'name' appears twice in the header" in found
    assert any(p.startswith("courses.csv:1: the file is empty; it needs a header") for p in found)


# Manifest -----------------------------------------------------------------------------------
def test_missing_manifest(files: dict[str, str], write: Write) -> None:
    del files["manifest.csv"]
    [problem] = problems_of(write(files))
    assert problem.startswith("manifest.csv: ") and "is missing" in problem


def test_manifest_problems_are_all_listed(
    files: dict[str, str], write: Write, make_manifest: Callable[..., str]
) -> None:
    text = make_manifest(users="full", results="bulk")
    files["manifest.csv"] = replace(text, "oneroster.version,1.2", "oneroster.version,1.1")
    found = problems_of(write(files))
    assert any("oneroster.version is '1.1'; cpdcore reads 1.2" in p for p in found)
    assert any("field 'value': 'full' is not one of bulk, delta, absent" in p for p in found)
    # users.csv was not read, so roles pointing at its people are reported too
    assert any(p.startswith("manifest.csv:") for p in found)


def test_a_file_the_manifest_calls_bulk_must_be_there(files: dict[str, str], write: Write) -> None:
    del files["enrollments.csv"]
    assert problems_of(write(files)) == [
        "manifest.csv:11: file.enrollments is bulk but enrollments.csv is not in the folder"
    ]


def test_a_file_missing_from_the_manifest_is_an_error(
    files: dict[str, str], write: Write, make_manifest: Callable[..., str]
) -> None:
    files["manifest.csv"] = replace(make_manifest(), "file.courses,bulk\n", "")
    assert problems_of(write(files)) == [
        "manifest.csv: courses.csv is in the folder but the manifest has no file.courses; "
        "add file.courses,bulk (or delta, absent)"
    ]


def test_absent_files_are_not_read(
    files: dict[str, str], write: Write, make_manifest: Callable[..., str]
) -> None:
    files["manifest.csv"] = make_manifest(enrollments="absent", classes="absent")
    files["enrollments.csv"] = 'this is not even CSV "\n'
    files["outcomes.csv"] = files["outcomes.csv"].replace("class,k-9x", "year,10")
    files["outcomes.csv"] = files["outcomes.csv"].replace("class,k-oak", "year,3")
    files["pupil_media_consent.csv"] = "pupil_sourced_id,class_sourced_id,media_consent\n"
    bundle = read_bundle(write(files))
    assert bundle.modes[MisDataset.CLASSES] is FeedMode.ABSENT
    assert bundle.modes[MisDataset.TEACHER_CLASSES] is FeedMode.ABSENT
    assert bundle.classes == () and bundle.links == ()


# Rows ---------------------------------------------------------------------------------------
ROW_ERRORS = [
    (
        "roles.csv",
        "r4,,,u-jn,secondary,teacher,,,sch-sm,",
        "r4,,,u-jn,secondry,teecher,,,sch-sm,",
        [
            "roles.csv:5: field 'roleType': 'secondry' is not one of primary, secondary",
            "roles.csv:5: field 'role': 'teecher' is not one of administrator, aide, counselor, "
            "districtAdministrator, guardian, parent, principal, proctor, relative, "
            "siteAdministrator, student, systemAdministrator, teacher or ext:<name>",
        ],
    ),
    (
        "roles.csv",
        "r6,,,u-gp,primary,teacher,,,dep-sci,",
        "r6,,,u-gp,primary,teacher,,,dep-maths,",
        ["roles.csv:7: field 'orgSourcedId': 'dep-maths' is not in orgs.csv"],
    ),
    (
        "roles.csv",
        "r9,,,u-na,secondary,teacher,,,sch-hb,",
        "r9,,,u-nobody,secondary,teacher,,,sch-hb,",
        ["roles.csv:10: field 'userSourcedId': 'u-nobody' is not in users.csv"],
    ),
    (
        "roles.csv",
        "r1,,,u-so,primary,teacher,2019-09-01,,sch-hb,",
        "r1,,,u-so,primary,teacher,2019-09-31,2018-01-01,sch-hb,",
        ["roles.csv:2: field 'beginDate': '2019-09-31' is not a date written YYYY-MM-DD"],
    ),
    (
        "users.csv",
        "Gareth,Price,u-gp,,,false,",
        "Gareth,Price,u-gp,,,nope,",
        ["users.csv:6: field 'enabledUser': 'nope' is not true or false"],
    ),
    (
        "users.csv",
        "Ama,Mensah,u-am,,,true,amensah",
        ",Mensah,u-am,,,true,amensah",
        ["users.csv:5: field 'givenName': is empty; a value is required"],
    ),
    (
        "users.csv",
        "Lena,Kaur,g-lk,,,true,lkaur,lena@example.net,,\n",
        "Lena,Kaur,g-lk,,,true,lkaur,lena@example.net,,\nSam,Lee,u-so,,,true,slee,,,\n",
        ["users.csv:12: field 'sourcedId': 'u-so' is already on line 2"],
    ),
    (
        "users.csv",
        "Harriet,D'Arcy,u-hd,tobedeleted,,",
        "Harriet,D'Arcy,u-hd,gone,yesterday,",
        [
            "users.csv:7: field 'status': 'gone' is not one of active, tobedeleted",
            "users.csv:7: field 'dateLastModified': 'yesterday' is not an ISO 8601 date-time "
            "such as 2026-09-01T08:00:00Z",
        ],
    ),
    (
        "orgs.csv",
        "sch-sm,,,St Mary's C of E Primary,school,SMP,trust-ml",
        "sch-sm,,,St Mary's C of E Primary,school,SMP,trust-nowhere",
        ["orgs.csv:4: field 'parentSourcedId': 'trust-nowhere' is not in orgs.csv"],
    ),
    (
        "orgs.csv",
        "dep-sci,,,Science,department,SCI,sch-hb,",
        "dep-sci,,,Science,district,SCI,,",
        [
            "orgs.csv:5: field 'type': a second district; one export feeds one trust, and "
            "'trust-ml' on line 2 is it"
        ],
    ),
    (
        "classes.csv",
        'Lab 3,sch-hb,"y2026,t-aut"',
        'Lab 3,dep-sci,"y2026,t-spr"',
        [
            "classes.csv:2: field 'schoolSourcedId': 'dep-sci' is a department, not a school",
            "classes.csv:2: field 'termSourcedIds': 't-spr' is not in academicSessions.csv",
        ],
    ),
    (
        "classes.csv",
        "k-oak,,,Year 3 Oak,03,c-y3,3OAK,homeroom",
        "k-oak,,,Year 3 Oak,03,c-y4,3OAK,form",
        [
            "classes.csv:3: field 'classType': 'form' is not one of homeroom, scheduled or "
            "ext:<name>",
            "classes.csv:3: field 'courseSourcedId': 'c-y4' is not in courses.csv",
        ],
    ),
    (
        "academicSessions.csv",
        "t-aut,,,Autumn term,term,2026-09-01,2026-12-18,y2026,2027",
        "t-aut,,,Autumn term,season,2026-12-18,2026-09-01,y2026,27",
        [
            "academicSessions.csv:3: field 'type': 'season' is not one of gradingPeriod, "
            "semester, schoolYear, term or ext:<name>",
            "academicSessions.csv:3: field 'endDate': 2026-09-01 is before startDate 2026-12-18",
            "academicSessions.csv:3: field 'schoolYear': '27' is not a year such as 2027",
        ],
    ),
    (
        "enrollments.csv",
        "e2,,,k-9x,sch-hb,p-ot,student,false,,",
        "e2,,,k-10y,sch-hb,p-ot,pupil,maybe,,",
        [
            "enrollments.csv:3: field 'role': 'pupil' is not one of administrator, proctor, "
            "student, teacher or ext:<name>",
            "enrollments.csv:3: field 'primary': 'maybe' is not true or false",
            "enrollments.csv:3: field 'classSourcedId': 'k-10y' is not in classes.csv",
        ],
    ),
    (
        "enrollments.csv",
        "e4,,,k-oak,sch-sm,p-mk,student,false,,",
        "e4,,,k-oak,sch-sm,p-mk,teacher,false,,",
        [
            "enrollments.csv:5: field 'userSourcedId': 'p-mk' teaches a class but holds no staff "
            "role in roles.csv"
        ],
    ),
    (
        "enrollments.csv",
        "e3,,,k-oak,sch-sm,u-jn",
        "e3,,,k-oak,sch-hb,u-jn",
        [
            "enrollments.csv:4: field 'schoolSourcedId': 'sch-hb' differs from the class's "
            "school 'sch-sm'"
        ],
    ),
    (
        "line_management.csv",
        "u-jn,u-zb,2026-27",
        "u-jn,u-jn,2026-28",
        [
            "line_management.csv:3: field 'academic_year': '2026-28': the second year must "
            "follow the first, e.g. 2026-27",
            "line_management.csv:3: field 'appraiser_sourced_id': a person cannot be their own "
            "appraiser",
        ],
    ),
    (
        "line_management.csv",
        "u-jn,u-zb,2026-27",
        "p-ot,u-zb,2026-27\nu-so,u-zb,2026-27",
        [
            "line_management.csv:3: field 'appraisee_sourced_id': 'p-ot' is not a staff member "
            "in roles.csv",
            "line_management.csv:4: field 'appraisee_sourced_id': 'u-so' is already on line 2",
        ],
    ),
    (
        "pupil_media_consent.csv",
        "p-mk,k-oak,yes",
        "p-mk,k-elm,perhaps",
        [
            "pupil_media_consent.csv:3: field 'media_consent': 'perhaps' is not yes or no",
            "pupil_media_consent.csv:3: field 'class_sourced_id': 'k-elm' is not in classes.csv",
        ],
    ),
    (
        "outcomes.csv",
        "sch-sm,class,k-oak,2026-09-14,1,1,5,1,1",
        "sch-xx,term,k-oak,14/09/2026,-1,one,5,1,1",
        [
            "outcomes.csv:4: field 'school_sourced_id': 'sch-xx' is not a school in orgs.csv",
            "outcomes.csv:4: field 'group_type': 'term' is not one of class, year",
            "outcomes.csv:4: field 'week_start': '14/09/2026' is not a date written YYYY-MM-DD",
            "outcomes.csv:4: field 'pupils': '-1' is not a whole number of 0 or more",
            "outcomes.csv:4: field 'behaviour_incidents': 'one' is not a whole number of 0 or more",
        ],
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "expected"), ROW_ERRORS)
def test_each_row_error_names_file_line_and_field(
    files: dict[str, str], write: Write, *, file: str, old: str, new: str, expected: list[str]
) -> None:
    files[file] = replace(files[file], old, new)
    assert problems_of(write(files)) == expected


def test_every_error_of_every_file_is_reported_together(
    files: dict[str, str], write: Write
) -> None:
    for file, old, new, _expected in ROW_ERRORS[:6]:
        if old in files[file]:
            files[file] = replace(files[file], old, new)
    files["outcomes.csv"] = replace(files["outcomes.csv"], "2026-09-14", "next week")
    found = problems_of(write(files, bom=True, crlf=True))
    assert len(found) >= 7
    assert {p.split(":")[0] for p in found} == {"roles.csv", "users.csv", "outcomes.csv"}


# Delta --------------------------------------------------------------------------------------
def test_delta_rows_need_status_and_date(
    files: dict[str, str], write: Write, make_manifest: Callable[..., str]
) -> None:
    files["manifest.csv"] = make_manifest(users="delta", roles="delta")
    files["users.csv"] = (
        "sourcedId,status,dateLastModified,enabledUser,username,givenName,familyName\n"
        "u-so,active,2026-10-01T09:00:00Z,true,soneill,Siobhán,O'Neill-Byrne\n"
        "u-hd,,,true,hdarcy,Harriet,D'Arcy\n"
    )
    files["roles.csv"] = (
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,orgSourcedId\n"
        "r9,tobedeleted,2026-10-01,u-na,,,\n"
    )
    assert problems_of(write(files)) == [
        "users.csv:3: field 'status': is empty; a delta file must say active or tobedeleted",
        "users.csv:3: field 'dateLastModified': is empty; a delta file must fill it",
    ]


def test_delta_withdrawn_role_needs_only_its_id_and_people_only_in_roles_come_through(
    files: dict[str, str], write: Write, make_manifest: Callable[..., str]
) -> None:
    files["manifest.csv"] = make_manifest(users="delta", roles="delta")
    files["users.csv"] = (
        "sourcedId,status,dateLastModified,enabledUser,username,givenName,familyName\n"
        "u-so,active,2026-10-01T09:00:00Z,true,soneill,Siobhán,O'Neill-Byrne\n"
    )
    files["roles.csv"] = (
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,orgSourcedId\n"
        "r9,tobedeleted,2026-10-01,u-na,secondary,teacher,sch-hb\n"
        "r13,active,2026-10-01,p-ot,primary,student,sch-hb\n"
    )
    files["enrollments.csv"] = ENROLMENT_HEADER
    files["line_management.csv"] = "appraisee_sourced_id,appraiser_sourced_id,academic_year\n"
    bundle = read_bundle(write(files))
    assert bundle.modes[MisDataset.STAFF] is FeedMode.DELTA
    people = {s.sourced_id: s for s in bundle.staff}
    assert set(people) == {"u-so", "u-na"}
    assert people["u-so"].family_name == "O'Neill-Byrne" and people["u-so"].has_details
    assert not people["u-na"].has_details
    assert [(r.role, r.active) for r in people["u-na"].roles] == [("teacher", False)]


ENROLMENT_HEADER = (
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role\n"
)


def test_pupils_and_parents_are_never_staff_and_sizes_count_pupils(
    files: dict[str, str], write: Write
) -> None:
    bundle = read_bundle(write(files))
    staff = {s.sourced_id for s in bundle.staff}
    assert staff.isdisjoint({"p-ot", "p-mk", "g-lk"})
    assert {c.sourced_id: c.pupils for c in bundle.classes} == {"k-9x": 1, "k-oak": 1}


def test_staff_at_two_schools_and_roles_at_a_department(
    files: dict[str, str], write: Write
) -> None:
    people = {s.sourced_id: s for s in read_bundle(write(files)).staff}
    assert sorted((r.org_sourced_id, r.primary) for r in people["u-jn"].roles) == [
        ("sch-hb", True),
        ("sch-sm", False),
    ]
    assert [r.org_sourced_id for r in people["u-gp"].roles] == ["sch-hb"]


def test_disabled_and_withdrawn_users_are_inactive(files: dict[str, str], write: Write) -> None:
    people = {s.sourced_id: s for s in read_bundle(write(files)).staff}
    assert not people["u-gp"].active  # enabledUser=false
    assert not people["u-hd"].active  # status=tobedeleted
    assert people["u-so"].active


# Laws ---------------------------------------------------------------------------------------
names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() == s and s.strip())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(given_name=names, family_name=names, bom=st.booleans(), crlf=st.booleans())
def test_any_name_survives_csv_quoting(
    files: dict[str, str],
    write: Write,
    *,
    given_name: str,
    family_name: str,
    bom: bool,
    crlf: bool,
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["sourcedId", "enabledUser", "username", "givenName", "familyName"])
    writer.writerow(["u-so", "true", "soneill", given_name, family_name])
    files["users.csv"] = buffer.getvalue()
    files["roles.csv"] = (
        "sourcedId,userSourcedId,roleType,role,orgSourcedId\nr1,u-so,primary,teacher,sch-hb\n"
    )
    files["enrollments.csv"] = ENROLMENT_HEADER
    files["line_management.csv"] = "appraisee_sourced_id,appraiser_sourced_id,academic_year\n"
    [person] = read_bundle(write(files, name="law", bom=bom, crlf=crlf)).staff
    assert (person.given_name, person.family_name) == (given_name, family_name)


def _padded(text: str, pad: str) -> str:
    """Every field of a CSV text with ``pad`` on both sides (quoted, so spaces survive)."""
    rows = list(csv.reader(io.StringIO(text)))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(rows[0])
    writer.writerows([[f"{pad}{cell}{pad}" for cell in row] for row in rows[1:]])
    return buffer.getvalue()


@pytest.mark.parametrize("pad", [" ", "\t", "\u00a0", " \u2003 "])
def test_spaces_around_values_are_ignored_and_blank_lines_skipped(
    files: dict[str, str], write: Write, pad: str
) -> None:
    plain = read_bundle(write(files, name="plain"))
    for name in ("orgs.csv", "users.csv", "roles.csv", "enrollments.csv", "outcomes.csv"):
        files[name] = _padded(files[name], pad).replace("\n", "\n\n", 2)
    padded = read_bundle(write(files, name="padded", crlf=True))
    assert (padded.staff, padded.orgs, padded.links, padded.outcomes) == (
        plain.staff,
        plain.orgs,
        plain.links,
        plain.outcomes,
    )


@pytest.mark.parametrize("running", [True, False])
def test_reading_leaves_the_garbage_collector_as_it_found_it(
    files: dict[str, str], write: Write, running: bool
) -> None:
    # Reading pauses the collector for speed; it must resume it, also after a failure,
    # and must not start one a host has switched off.
    good = write(files, name="good")
    files["roles.csv"] = replace(files["roles.csv"], "r1,,,u-so,primary,teacher", "r1,,,u-so,x,y")
    bad = write(files, name="bad")
    was = gc.isenabled()
    try:
        (gc.enable if running else gc.disable)()
        read_bundle(good)
        assert gc.isenabled() is running
        with pytest.raises(ValidationError):
            read_bundle(bad)
        assert gc.isenabled() is running
    finally:
        (gc.enable if was else gc.disable)()
