"""The OneRoster folder passes cpdcore's MIS conformance kit, reading the sample as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from cpdcore_oneroster.folder import OneRosterFolder

from cpdcore.domain.roster import MisOrgKind
from cpdcore.testing import MisSourceConformance
from cpdcore.testing.conformance import MisSample


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def sample_as_csv(sample: MisSample) -> dict[str, str]:
    """The kit's sample written as a OneRoster 1.2 export plus cpdcore's own files."""
    files: dict[str, str] = {}
    modes = {"orgs": "bulk", "users": "bulk", "roles": "bulk"}
    modes |= {"classes": "bulk", "enrollments": "bulk", "courses": "absent"}
    files["manifest.csv"] = _csv(
        ("propertyName", "value"),
        [("manifest.version", "1.0"), ("oneroster.version", "1.2")]
        + [(f"file.{name}", mode) for name, mode in modes.items()],
    )
    files["orgs.csv"] = _csv(
        ("sourcedId", "status", "dateLastModified", "name", "type", "parentSourcedId"),
        [
            (
                o.sourced_id,
                "",
                "",
                o.name,
                "district" if o.kind is MisOrgKind.TRUST else "school",
                o.parent_sourced_id or "",
            )
            for o in sample.orgs
        ],
    )
    people = [
        (s.sourced_id, "true" if s.active else "false", s.given_name, s.family_name, s.email)
        for s in sample.staff
    ]
    pupils = sorted({f"pupil-{c.sourced_id}-{n}" for c in sample.classes for n in range(c.pupils)})
    files["users.csv"] = _csv(
        ("sourcedId", "enabledUser", "username", "givenName", "familyName", "email"),
        [(sid, enabled, sid, given, family, email) for sid, enabled, given, family, email in people]
        + [(p, "true", p, "Pupil", p, "") for p in pupils],
    )
    roles = [
        (
            f"r-{s.sourced_id}-{i}",
            s.sourced_id,
            "primary" if r.primary else "secondary",
            r.role,
            r.org_sourced_id,
        )
        for s in sample.staff
        for i, r in enumerate(s.roles)
    ]
    school_of = {c.sourced_id: c.school_sourced_id for c in sample.classes}
    roles += [(f"r-{p}", p, "primary", "student", school_of[p.split("-")[1]]) for p in pupils]
    files["roles.csv"] = _csv(
        ("sourcedId", "userSourcedId", "roleType", "role", "orgSourcedId"), roles
    )
    files["classes.csv"] = _csv(
        ("sourcedId", "title", "courseSourcedId", "classType", "schoolSourcedId", "termSourcedIds"),
        [
            (c.sourced_id, c.title, "course", "scheduled", c.school_sourced_id, "term")
            for c in sample.classes
        ],
    )
    enrolments = [
        (
            f"e-{link.staff_sourced_id}-{link.class_sourced_id}",
            link.class_sourced_id,
            school_of[link.class_sourced_id],
            link.staff_sourced_id,
            "teacher",
        )
        for link in sample.links
    ]
    enrolments += [
        (f"e-{p}", p.split("-")[1], school_of[p.split("-")[1]], p, "student") for p in pupils
    ]
    files["enrollments.csv"] = _csv(
        ("sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"), enrolments
    )
    files["pupil_media_consent.csv"] = _csv(
        ("pupil_sourced_id", "class_sourced_id", "media_consent"),
        [
            (c.pupil_sourced_id, c.class_sourced_id, "yes" if c.media_allowed else "no")
            for c in sample.media_consent
        ],
    )
    files["outcomes.csv"] = _csv(
        (
            "school_sourced_id",
            "group_type",
            "group_id",
            "week_start",
            "pupils",
            "behaviour_incidents",
            "reward_points",
            "homework_set",
            "homework_completed",
        ),
        [
            (
                o.school_sourced_id,
                o.group_type,
                o.group_id,
                o.week_start.isoformat(),
                o.pupils,
                o.behaviour_incidents,
                o.reward_points,
                o.homework_set,
                o.homework_completed,
            )
            for o in sample.outcomes
        ],
    )
    files["line_management.csv"] = _csv(
        ("appraisee_sourced_id", "appraiser_sourced_id", "academic_year"),
        [
            (r.appraisee_sourced_id, r.appraiser_sourced_id, r.academic_year)
            for r in sample.line_management
        ],
    )
    return files


class TestOneRosterFolder(MisSourceConformance):
    def make_mis_source(self, sample: MisSample, tmp_path: Path) -> OneRosterFolder:
        folder = tmp_path / "sample"
        folder.mkdir()
        for name, text in sample_as_csv(sample).items():
            (folder / name).write_text(text, encoding="utf-8", newline="")
        return OneRosterFolder.from_url(f"oneroster+file://{folder}")
