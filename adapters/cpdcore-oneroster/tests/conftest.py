"""A realistic OneRoster 1.2 export of a two-school trust, and helpers to write variants.

Moorland Learning Trust runs Hill Brow Academy (secondary) and St Mary's C of E Primary.
The export has accents and apostrophes in names, quoted commas, a member of staff at both
schools, a disabled account, a leaver marked tobedeleted, pupils and a parent (never staff),
a role held at a department, metadata columns and columns in an unusual order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from cpdcore import ActingCpd, Actor, Cpd
from cpdcore.domain.identifiers import TrustId

TRUST = TrustId("trust-ml")

MANIFEST_FILES = [
    *("academicSessions", "categories", "classes", "classResources", "courses"),
    *("courseResources", "demographics", "enrollments", "lineItemLearningObjectiveIds"),
    *("lineItems", "lineItemScoreScales", "orgs", "resources", "resultLearningObjectiveIds"),
    *("results", "resultScoreScales", "roles", "scoreScales", "userProfiles"),
    *("userResources", "users"),
]


def manifest(**modes: str) -> str:
    """A manifest.csv; every OneRoster file is bulk for the files we send, else absent."""
    sent = {"academicSessions", "classes", "courses", "enrollments", "orgs", "roles", "users"}
    lines = ["propertyName,value", "manifest.version,1.0", "oneroster.version,1.2"]
    for name in MANIFEST_FILES:
        default = "bulk" if name in sent else "absent"
        lines.append(f"file.{name},{modes.get(name, default)}")
    lines += [f"file.{name},{mode}" for name, mode in modes.items() if name not in MANIFEST_FILES]
    lines += ["source.systemName,Arbor MIS", "source.systemCode,ARB-2026"]
    return "\n".join(lines) + "\n"


ORGS = """\
sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId,metadata.uk.urn
trust-ml,,,Moorland Learning Trust,district,MLT,,
sch-hb,,,"Hill Brow Academy, Keighley",school,HBA,trust-ml,138001
sch-sm,,,St Mary's C of E Primary,school,SMP,trust-ml,107002
dep-sci,,,Science,department,SCI,sch-hb,
"""

# Columns deliberately not in spec order; metadata.* and an unknown column are ignored.
USERS = """\
givenName,familyName,sourcedId,status,dateLastModified,enabledUser,username,email,metadata.uk.upn,notes
Siobhán,O'Neill,u-so,,,true,soneill,soneill@moorland.example,,"likes ""hinge"" questions"
Zoë,Brontë-Smith,u-zb,,,true,zbronte,zbronte@moorland.example,,
José,Núñez,u-jn,,,true,jnunez,jnunez@moorland.example,,"teaches at both, part-time"
Ama,Mensah,u-am,,,true,amensah,amensah@moorland.example,,
Gareth,Price,u-gp,,,false,gprice,gprice@moorland.example,,on long-term leave
Harriet,D'Arcy,u-hd,tobedeleted,,true,hdarcy,hdarcy@moorland.example,,
Ngozi,Adeyemi,u-na,,,true,nadeyemi,nadeyemi@moorland.example,,
Ollie,Twist,p-ot,,,true,otwist,,A1234567,
Maya,Kaur,p-mk,,,true,mkaur,,A7654321,
Lena,Kaur,g-lk,,,true,lkaur,lena@example.net,,
"""

ROLES = """\
sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId
r1,,,u-so,primary,teacher,2019-09-01,,sch-hb,
r2,,,u-zb,primary,principal,,,sch-sm,
r3,,,u-jn,primary,teacher,,,sch-hb,
r4,,,u-jn,secondary,teacher,,,sch-sm,
r5,,,u-am,primary,districtAdministrator,,,trust-ml,
r6,,,u-gp,primary,teacher,,,dep-sci,
r7,,,u-hd,primary,aide,,,sch-sm,
r8,,,u-na,primary,siteAdministrator,,,sch-hb,
r9,,,u-na,secondary,teacher,,,sch-hb,
r10,,,p-ot,primary,student,,,sch-hb,
r11,,,p-mk,primary,student,,,sch-sm,
r12,,,g-lk,primary,parent,,,sch-sm,
"""

ACADEMIC_SESSIONS = """\
sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear
y2026,,,2026-27,schoolYear,2026-09-01,2027-08-31,,2027
t-aut,,,Autumn term,term,2026-09-01,2026-12-18,y2026,2027
"""

COURSES = """\
sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes
c-sci9,,,y2026,Year 9 Science,SCI9,09,sch-hb,Science,
c-y3,,,y2026,Year 3,Y3,03,sch-sm,,
"""

CLASSES = """\
sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods
k-9x,,,"9X Science, set 2",09,c-sci9,9X/Sc2,scheduled,Lab 3,sch-hb,"y2026,t-aut",Science,,"1,2"
k-oak,,,Year 3 Oak,03,c-y3,3OAK,homeroom,,sch-sm,y2026,,,
"""

ENROLLMENTS = """\
sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate
e1,,,k-9x,sch-hb,u-so,teacher,true,,
e2,,,k-9x,sch-hb,p-ot,student,false,,
e3,,,k-oak,sch-sm,u-jn,teacher,true,,
e4,,,k-oak,sch-sm,p-mk,student,false,,
e5,,,k-9x,sch-hb,u-jn,teacher,false,,
"""

LINE_MANAGEMENT = """\
appraisee_sourced_id,appraiser_sourced_id,academic_year
u-so,u-na,2026-27
u-jn,u-zb,2026-27
"""

PUPIL_MEDIA_CONSENT = """\
pupil_sourced_id,class_sourced_id,media_consent
p-ot,k-9x,no
p-mk,k-oak,yes
"""

OUTCOMES = """\
school_sourced_id,group_type,group_id,week_start,pupils,behaviour_incidents,reward_points,homework_set,homework_completed
sch-hb,class,k-9x,2026-09-07,1,0,12,2,2
sch-hb,year,9,2026-09-07,180,7,310,12,1904
sch-sm,class,k-oak,2026-09-14,1,1,5,1,1
"""


def riverside_files() -> dict[str, str]:
    """Every file of the realistic export, by name."""
    return {
        "manifest.csv": manifest(),
        "orgs.csv": ORGS,
        "users.csv": USERS,
        "roles.csv": ROLES,
        "academicSessions.csv": ACADEMIC_SESSIONS,
        "courses.csv": COURSES,
        "classes.csv": CLASSES,
        "enrollments.csv": ENROLLMENTS,
        "line_management.csv": LINE_MANAGEMENT,
        "pupil_media_consent.csv": PUPIL_MEDIA_CONSENT,
        "outcomes.csv": OUTCOMES,
    }


def write_bundle(
    folder: Path, files: Mapping[str, str], *, bom: bool = False, crlf: bool = False
) -> Path:
    """Write ``files`` into ``folder`` as UTF-8 (optionally with a BOM and CRLF line ends)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        data = (text.replace("\n", "\r\n") if crlf else text).encode("utf-8")
        (folder / name).write_bytes(b"\xef\xbb\xbf" + data if bom else data)
    return folder


BundleWriter = Callable[..., Path]


@pytest.fixture
def bundle(tmp_path: Path) -> BundleWriter:
    """``bundle(name="b1", changes={...}, drop=(...), bom=, crlf=)`` writes a variant of the
    realistic export and returns its folder."""

    def make(
        name: str = "export",
        changes: Mapping[str, str] | None = None,
        drop: tuple[str, ...] = (),
        **options: bool,
    ) -> Path:
        files = {**riverside_files(), **(changes or {})}
        for gone in drop:
            files.pop(gone, None)
        return write_bundle(tmp_path / name, files, **options)

    return make


@pytest.fixture
def files() -> dict[str, str]:
    """The realistic export's files by name (change them, then write with ``write``)."""
    return riverside_files()


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """``write(files, name="export", bom=False, crlf=False)`` writes files into a folder."""

    def make(files: Mapping[str, str], name: str = "export", **options: bool) -> Path:
        return write_bundle(tmp_path / name, files, **options)

    return make


@pytest.fixture
def make_manifest() -> Callable[..., str]:
    """``make_manifest(users="delta", ...)``: a manifest.csv text with the given modes."""
    return manifest


@pytest.fixture
def cpd() -> Cpd:
    """An empty in-memory store with installed plugins."""
    return Cpd.open("memory://")


@pytest.fixture
def admin(cpd: Cpd) -> ActingCpd:
    """The use cases acting as the MIS import of the Moorland trust."""
    return cpd.as_actor(Actor.system(TRUST, "MIS import"))
